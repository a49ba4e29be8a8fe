"""The exceptions milo_codec raises. Every failure of the public API is one of these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class MiloError(Exception):
    """Base class of every error raised by milo_codec."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a document: where (a JSON path such as ``$.model.params.C``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DocumentError(MiloError):
    """The document was refused; ``problems`` lists every problem found, each with its JSON path."""

    def __init__(self, summary: str, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [summary, *(f"  {p}" for p in self.problems[:20])]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more")
        super().__init__("\n".join(lines))


class ParseError(DocumentError):
    """The bytes are not strict RFC 8259 JSON in UTF-8."""


class SchemaError(DocumentError):
    """The document does not match its JSON Schema (checked before anything is constructed)."""


class InvariantError(DocumentError):
    """The document matches its schema but its fields disagree with each other."""


class IntegrityError(DocumentError):
    """The model node does not hash to the digest written in the file, or to the one the caller
    pinned with ``expected_digest``."""


class LimitError(DocumentError):
    """The document exceeds a resource limit (``milo_codec.Limits``); nothing was allocated for
    the part over the limit. The message names the limit and how to raise it."""


class VersionError(MiloError):
    """The file's format or producing versions cannot be loaded by this installation."""


class UnsupportedModelError(MiloError):
    """``dump`` was given an estimator (or a value inside one) that milo_codec cannot write."""


class ConstructionError(MiloError):
    """The validated model could not be rebuilt; nothing is returned."""
