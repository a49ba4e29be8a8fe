"""Pre-rendered JSON text embedded in an encoded tree (array data rendered by numpy)."""

from __future__ import annotations


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
