"""Resource limits for reading a file: every size a file controls is bounded before it is used.

A file is small; what it declares need not be. The limits below are checked before the
corresponding memory is allocated: file size before reading, nesting, strings, object
members and integers right after parsing, and array sizes from their declared shape and
dtype before the array exists. Each limit can be raised or lowered per call::

    milo_codec.load(path, limits=milo_codec.Limits(max_file_bytes=4 << 30))

The defaults admit every model of the benchmark zoo with room to spare and keep the memory a
hostile file can make the loader allocate to about ``max_parsed_bytes`` (the parsed JSON
values) plus ``max_array_bytes`` (the arrays built from them) plus a few times the file.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, fields

from milo_codec.errors import LimitError, Problem
from milo_codec.values.problems import DecodeProblem

# pydantic-core's parser refuses deeper nesting whatever the limit says.
PARSER_MAX_DEPTH = 200


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what a file may make the loader read, allocate or walk."""

    max_file_bytes: int = 1 << 30  # 1 GiB of JSON text
    max_parsed_bytes: int = 4 << 30  # the parsed JSON values' memory, estimated before parsing
    max_depth: int = 128  # nesting of JSON arrays and objects (at most PARSER_MAX_DEPTH)
    max_array_elements: int = 1 << 28  # summed over every array, from declared shapes
    max_array_bytes: int = 4 << 30  # summed over every array: elements × itemsize
    max_string_length: int = 1 << 20  # characters in one JSON string (key or value)
    max_object_keys: int = 1 << 22  # members of one JSON object (e.g. a vocabulary)
    max_integer_bits: int = 1024  # |n| < 2**1024 for any integer literal

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 0:
                raise ValueError(f"Limits.{f.name} must be a non-negative int, got {value!r}")
        if self.max_depth > PARSER_MAX_DEPTH:
            raise ValueError(
                f"Limits.max_depth can be at most {PARSER_MAX_DEPTH} (the JSON parser's own limit)"
            )


DEFAULT_LIMITS = Limits()
# What ``dump`` checks its own output with: the limits guard readers, not writers.
NO_ARRAY_LIMITS = Limits(max_array_elements=1 << 62, max_array_bytes=1 << 62)


def exceeded(name: str, where: str, what: str, limit: int) -> LimitError:
    return LimitError(
        "The document exceeds a resource limit.",
        [
            Problem(
                where,
                f"{what}, over the limit {name} = {limit:,}; if you trust this file, raise it: "
                f"load(..., limits=milo_codec.Limits({name}=...))",
            )
        ],
    )


@dataclass
class _ArrayBudget:
    limits: Limits
    elements: int = 0
    nbytes: int = 0


_BUDGET: contextvars.ContextVar[_ArrayBudget | None] = contextvars.ContextVar(
    "milo_array_budget", default=None
)


@contextlib.contextmanager
def reading(limits: Limits) -> Iterator[None]:
    """Count every array decoded inside the block against ``limits``."""
    token = _BUDGET.set(_ArrayBudget(limits))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def check_array(n_elements: int, itemsize: int) -> None:
    """Refuse an array whose declared size would take the document over its budget.

    Called with the declared shape and dtype, before the array is allocated; ``charge_array``
    books it once it exists (so a decoder trying alternatives never counts an array twice).
    Outside ``reading`` (e.g. ``dump`` checking its own output) the defaults apply.
    """
    budget = _BUDGET.get()
    limits = budget.limits if budget is not None else DEFAULT_LIMITS
    elements = (budget.elements if budget else 0) + n_elements
    nbytes = (budget.nbytes if budget else 0) + n_elements * itemsize
    if elements > limits.max_array_elements:
        raise DecodeProblem(
            (),
            _over("max_array_elements", f"{elements:,} array elements", limits),
            "max_array_elements",
        )
    if nbytes > limits.max_array_bytes:
        raise DecodeProblem(
            (), _over("max_array_bytes", f"{nbytes:,} bytes of arrays", limits), "max_array_bytes"
        )


def charge_array(n_elements: int, itemsize: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.elements += n_elements
        budget.nbytes += n_elements * itemsize


def _over(name: str, what: str, limits: Limits) -> str:
    return (
        f"declares {what} in the document so far, over the limit {name} = "
        f"{getattr(limits, name):,}; if you trust this file, raise it: "
        f"load(..., limits=milo_codec.Limits({name}=...))"
    )
