"""Symbolic shapes declared with ``x-milo-shape``: every dimension named the same must agree.

``"*"`` leaves a dimension free. A symbol that names an integer field of the node (``n_features_in_``) is bound to that
field's value; any other symbol is bound by its first use and checked at every later use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import ModelCodec
from milo_codec.errors import Problem


def check_shapes(
    codec: ModelCodec, params: dict[str, Any], state: dict[str, Any], path: str
) -> list[Problem]:
    env: dict[str, tuple[int, str]] = {}
    for section, values in (("params", params), ("state", state)):
        for name, v in values.items():
            if type(v) is int or isinstance(v, np.integer):
                env[name] = (int(v), f"{path}.{section}.{name}")
    problems = []
    for field, alternatives in codec.shapes.items():
        v = state.get(field)
        shape = getattr(v, "shape", None)
        if shape is None:
            continue
        where = f"{path}.state.{field}"
        spec = next((a for a in alternatives if len(a) == len(shape)), None)
        if spec is None:
            continue  # the schema's array kinds decide which ranks are allowed
        for i, (n, sym) in enumerate(zip(shape, spec, strict=True)):
            if sym == "*":
                continue
            if isinstance(sym, int):
                if n != sym:
                    problems.append(Problem(where, f"shape[{i}] is {n} but must be {sym}"))
            elif sym in env:
                expected, source = env[sym]
                if n != expected:
                    problems.append(
                        Problem(where, f"shape[{i}] is {n} but {sym} is {expected} (from {source})")
                    )
            else:
                env[sym] = (n, f"{where}.shape[{i}]")
    return problems
