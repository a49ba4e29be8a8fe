"""Fitted attributes that exist together or not at all.

Some estimators set constants in ``__init__`` that are not parameters (PLS models' deflation
mode, GraphicalLasso's ``store_precision``), so even an unfitted one has a state. Their
schemas list the fitted attributes as optional, to admit that state; this check restores
the rule that a fitted model has every one of them.
"""

from __future__ import annotations

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check


def fitted_together(names: tuple[str, ...]) -> Check:
    def check(params: dict, state: dict, path: str) -> list[Problem]:
        if not any(name in state for name in names):
            return []  # unfitted
        return [
            Problem(f"{path}.state.{name}", "is missing: a fitted model has every fitted attribute")
            for name in names
            if name not in state
        ]

    return check
