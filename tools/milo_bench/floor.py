"""The floor for a readable file: what any reader of the same JSON must do at the least."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

NUMERIC_DTYPES = frozenset(
    ["bool", "float32", "float64"] + [f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64)]
)


def floor_load(blob: bytes) -> Any:
    """The least any reader of a readable file must do: parse the JSON and turn every array
    payload into numpy. No checks, no model: a lower bound for ``milo_codec.loads``."""
    return _to_numpy(orjson.loads(blob))


def _to_numpy(node: Any) -> Any:
    if isinstance(node, list):
        for i, item in enumerate(node):
            node[i] = _to_numpy(item)
    elif isinstance(node, dict):
        if len(node) == 1:
            ((tag, body),) = node.items()
            if tag == "ndarray" and body.get("dtype") in NUMERIC_DTYPES:
                return np.array(body["data"], dtype=body["dtype"])
            if tag == "recarray":
                return {name: np.array(col) for name, col in body["columns"].items()}
        for key, value in node.items():
            node[key] = _to_numpy(value)
    return node
