"""Pre-rendered JSON text embedded in an encoded tree (array data rendered by numpy)."""

from __future__ import annotations


class RawJSON:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:40]!r})"
