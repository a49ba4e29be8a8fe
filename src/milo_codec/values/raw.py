"""Pre-rendered JSON text embedded in an encoded tree (array data rendered by numpy), and
which values are JSON as they are."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any


class RawJSON:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:40]!r})"


def json_int(v: int) -> int | RawJSON:
    """``v``, or its text beyond 64 bits (e.g. a PCG64 state), which orjson cannot write: the
    writers then stay on their fast path. The text reads back as the same int."""
    return v if -(1 << 63) <= v < 1 << 64 else RawJSON(int.__repr__(v))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_json(values: Collection[Any]) -> bool:
    """Whether ``values`` (a list, or a dict's values) are JSON scalars written as they are:
    strings, booleans, nulls, finite floats and integers within 64 bits.

    Types are collected, integers compared and floats tested in C, so a container of 50,000
    of them needs no Python call per element.
    """
    kinds = set(map(type, values))
    if not kinds <= _SCALARS:
        return False
    if int in kinds:
        ints = values if kinds == {int} else [x for x in values if type(x) is int]
        if not (min(ints) >= -(1 << 63) and max(ints) < 1 << 64):
            return False
    if float in kinds:
        floats = values if kinds == {float} else [x for x in values if type(x) is float]
        return all(map(math.isfinite, floats))
    return True
