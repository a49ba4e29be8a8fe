"""A problem found while decoding one value, located relative to that value."""

from __future__ import annotations


class DecodeProblem(Exception):
    """Raised by value decoders; ``loc`` is relative to the value being decoded."""

    def __init__(self, loc: tuple[str | int, ...], message: str, limit: str | None = None) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
        self.message = message
        self.limit = limit  # the name of the resource limit exceeded, if that is the problem

    def within(self, *outer: str | int) -> DecodeProblem:
        """The same problem seen from an enclosing value."""
        return DecodeProblem((*outer, *self.loc), self.message, self.limit)
