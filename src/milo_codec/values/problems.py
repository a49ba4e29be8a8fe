"""A problem found while decoding one value, located relative to that value."""

from __future__ import annotations


class DecodeProblem(Exception):
    """Raised by value decoders; ``loc`` is relative to the value being decoded."""

    def __init__(
        self,
        loc: tuple[str | int, ...],
        message: str,
        limit: str | None = None,
        wrong_kind: bool = False,
    ) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
        self.message = message
        self.limit = limit  # the name of the resource limit exceeded, if that is the problem
        # The value is not of the kind decoded at all (another dtype): of a union's
        # alternatives, one that found the right kind and then a problem came closer.
        self.wrong_kind = wrong_kind

    def within(self, *outer: str | int) -> DecodeProblem:
        """The same problem seen from an enclosing value."""
        return DecodeProblem((*outer, *self.loc), self.message, self.limit, self.wrong_kind)
