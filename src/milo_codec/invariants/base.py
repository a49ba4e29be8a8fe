"""The shape of a named invariant check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from milo_codec.errors import Problem

# (params, state, JSON path of the node) → problems; params and state hold decoded values.
Check = Callable[[dict[str, Any], dict[str, Any], str], list[Problem]]
