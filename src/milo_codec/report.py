"""The result of ``validate``: every problem found, each with its JSON path."""

from __future__ import annotations

from dataclasses import dataclass

from milo_codec.errors import Problem


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    class_path: str | None = None
    digest: str | None = None  # the model's SHA-256 (to pin with load(expected_digest=...))

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"valid ({self.class_path})"
        return "\n".join(str(p) for p in self.problems)
