"""The shape of a named invariant check."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from milo_codec.errors import Problem

# (params, state, JSON path of the node) → problems; params and state hold decoded values.
Check = Callable[[dict[str, Any], dict[str, Any], str], list[Problem]]

# The targets of the document walk in progress (run.py sets them), so a check can resolve an
# alias that stays unresolved inside an object kind's payload (e.g. a search tree's data
# naming the array its model also holds).
WALK_TARGETS: ContextVar[dict[str, Any] | None] = ContextVar("WALK_TARGETS", default=None)


def resolve_alias(path: str) -> Any:
    """What an alias to ``path`` names in the document being checked (None if nothing)."""
    targets = WALK_TARGETS.get()
    return None if targets is None else targets.get(path)


def as_int(v: Any) -> int | None:
    """An integer a check can compare (Python or numpy, never a bool), else None: a check
    reads values of any type the schema let through and reports only what it can compare."""
    return int(v) if isinstance(v, int | np.integer) and not isinstance(v, bool) else None
