"""Bytes → JSON values, strictly: UTF-8 without BOM, RFC 8259 only, no duplicate keys."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_core import from_json

from milo_codec.errors import LimitError, ParseError, Problem
from milo_codec.limits import DEFAULT_LIMITS, Limits, exceeded
from milo_codec.paths import json_path


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f'bare {name} is not JSON; milo files write it as the string "{name}"')


def _fail(message: str) -> ParseError:
    return ParseError("The file is not strict JSON.", [Problem("$", message)])


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


class _Scan:
    """One walk over the parsed tree: counts object members (to detect duplicate keys) and
    enforces the nesting, string, member and integer limits.

    Lists of scalars (array data) are checked with C-level builtins (``max(map(len, ...))``,
    ``min``/``max``), never element by element in Python.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.members = 0
        self.max_int = 1 << limits.max_integer_bits

    def fail(self, loc: list[str | int], name: str, what: str) -> LimitError:
        return exceeded(name, json_path(loc), what, getattr(self.limits, name))

    def string(self, x: str, loc: list[str | int]) -> None:
        if len(x) > self.limits.max_string_length:
            raise self.fail(loc, "max_string_length", f"a string of {len(x):,} characters")

    def integer(self, x: int, loc: list[str | int]) -> None:
        if not -self.max_int < x < self.max_int:
            raise self.fail(loc, "max_integer_bits", f"an integer of {x.bit_length()} bits")

    def walk(self, value: Any, loc: list[str | int]) -> None:
        if len(loc) >= self.limits.max_depth:
            raise self.fail(loc, "max_depth", f"values nested {len(loc) + 1} deep")
        if type(value) is dict:
            n = len(value)
            self.members += n
            if n > self.limits.max_object_keys:
                raise self.fail(loc, "max_object_keys", f"an object with {n:,} members")
            if n and max(map(len, value)) > self.limits.max_string_length:
                key = next(k for k in value if len(k) > self.limits.max_string_length)
                self.string(key, [*loc, key])
            for key, v in value.items():
                t = type(v)
                if t is dict or t is list:
                    loc.append(key)
                    self.walk(v, loc)
                    loc.pop()
                elif t is str:
                    if len(v) > self.limits.max_string_length:
                        self.string(v, [*loc, key])
                elif t is int:
                    self.integer(v, [*loc, key])
            return
        # a list
        kinds = set(map(type, value))
        if dict in kinds or list in kinds:
            for i, v in enumerate(value):
                t = type(v)
                if t is dict or t is list:
                    loc.append(i)
                    self.walk(v, loc)
                    loc.pop()
                elif t is str:
                    self.string(v, [*loc, i])
                elif t is int:
                    self.integer(v, [*loc, i])
            return
        if str in kinds:
            strings = value if kinds == {str} else [x for x in value if type(x) is str]
            if max(map(len, strings)) > self.limits.max_string_length:
                i = next(
                    i
                    for i, x in enumerate(value)
                    if type(x) is str and len(x) > self.limits.max_string_length
                )
                self.string(value[i], [*loc, i])
        if kinds == {int} and (max(value) >= self.max_int or min(value) <= -self.max_int):
            i = next(i for i, x in enumerate(value) if not -self.max_int < x < self.max_int)
            self.integer(value[i], [*loc, i])


def _scan(value: Any, limits: Limits) -> int:
    """Enforce the parse-time limits on ``value``; the number of object members it holds."""
    scan = _Scan(limits)
    t = type(value)
    if t is dict or t is list:
        scan.walk(value, [])
    elif t is str:
        scan.string(value, [])
    elif t is int:
        scan.integer(value, [])
    return scan.members


_FAILED = object()


def _parse_fast(text: str, limits: Limits) -> tuple[Any, str | None]:
    """pydantic-core's JSON parser, when it provably reads the text as the strict one would.

    It is strict RFC 8259 (no BOM, no bare NaN, no lone surrogates, nothing trailing) and
    keeps big integers exact, but keeps the last of duplicate keys: so the parsed members
    are counted against the text's member separators, and any difference (or any error)
    goes to the strict parser, which names the offending byte.
    """
    try:
        value = from_json(text, allow_inf_nan=False, cache_strings="keys")
    except ValueError as e:
        return _FAILED, str(e)
    colons = text.count(":")
    if colons:
        colons -= sum(s.count(":") for s in _STRING.findall(text) if ":" in s)
    return (value, None) if _scan(value, limits) == colons else (_FAILED, "duplicate keys")


def parse(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse a milo document; every failure is a :class:`ParseError` with a byte offset, or a
    :class:`LimitError` naming the limit."""
    if len(data) > limits.max_file_bytes:
        raise exceeded(
            "max_file_bytes", "$", f"the document has {len(data):,} bytes", limits.max_file_bytes
        )
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if raw.startswith(b"\xef\xbb\xbf"):
            raise _fail(
                "byte 0: a byte-order mark is not allowed; save the file as UTF-8 without BOM"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _fail(f"byte {e.start}: invalid UTF-8") from None
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            raise _fail("byte 0: a byte-order mark is not allowed")
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    fast, refusal = _parse_fast(text, limits)
    if fast is not _FAILED:
        return fast
    # The reference parser names the offending byte.
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _Duplicate as e:
        raise _fail(f"duplicate key {e.args[0]!r}: every key may appear once per object") from None
    except json.JSONDecodeError as e:
        offset = len(text[: e.pos].encode("utf-8", "surrogatepass"))
        raise _fail(f"byte {offset} (line {e.lineno}, column {e.colno}): {e.msg}") from None
    except ValueError as e:
        raise _fail(str(e)) from None
    except RecursionError:
        raise _fail("the document is nested too deeply") from None
    # Accepted by the reference parser but not by the strict one: e.g. a lone surrogate escape.
    del value
    raise _fail(refusal or "not strict JSON")


def parse_own_output(text: str) -> Any:
    """Parse text that ``dump`` itself just wrote (no duplicate keys or BOM by construction)."""
    return from_json(text, allow_inf_nan=False, cache_strings="keys")
