"""Mutants of valid milo documents, drawn by hypothesis: what a careless or hostile editor makes.

A mutant starts from a real document (``editable_doc`` of a fitted estimator) and gets one to
three edits at places drawn from the whole tree: a member dropped, duplicated under a new
name, renamed or retyped; a dtype or shape changed; an array made shorter, longer or empty;
an integer moved just out of range (±1, +1000, -1, the int64/uint64 edges, beyond the
integer limit); numbers turned into strings and strings into numbers; a value buried under
deep nesting. The edits are plain JSON surgery, so every class is covered by the same code.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

# A long array contributes its first, second and last elements: enough to hit both ends of
# index ranges without letting the data of one large array crowd out the structure.
_SAMPLED_ELEMENTS = 4

_DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex128",
    "object",
    "U1",
    "U999999",
    "S4",
    "V8",
    "<f8",
    "datetime64[s]",
    "int65",
    "",
]

_EDGE_INTEGERS = [
    0,
    -1,
    2**31,
    2**32,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    2**1100,
]

_EDGE_FLOATS = [
    0.0,
    -0.0,
    -1.0,
    5e-324,
    3.5e38,
    1.7976931348623157e308,
    float("inf"),  # written as a bare Infinity: not JSON
    float("nan"),  # written as a bare NaN: not JSON
    1e300,
]

_EDGE_STRINGS = [
    "",
    "NaN",
    "Infinity",
    "-Infinity",
    "0",
    "1.5",
    "\ud800",  # a lone surrogate
    "\x00",
    "__class__",
    "os.system",
    "builtins.eval",
    "sklearn.tree.DecisionTreeClassifier",
    "../../../../etc/passwd",
    "x" * 5000,
]


def paths(node: Any, path: Path = ()) -> list[Path]:
    """Every place an edit can go (the root excluded), with long arrays sampled."""
    out: list[Path] = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*path, key))
    elif isinstance(node, list):
        n = len(node)
        indices = range(n) if n <= _SAMPLED_ELEMENTS else (0, 1, n - 1)
        for i in indices:
            out += paths(node[i], (*path, i))
    return out


def _parent(doc: Any, path: Path) -> Any:
    node = doc
    for step in path[:-1]:
        node = node[step]
    return node


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


def _ops(key: str | int, value: Any) -> list[str]:
    ops = ["drop", "retype", "nest"]
    if isinstance(key, str):
        ops += ["duplicate", "rename"]
    if key == "dtype":
        ops += ["dtype"] * 4
    elif key == "shape" and isinstance(value, list):
        ops += ["shape"] * 4
    elif isinstance(value, bool):
        ops += ["flip"]
    elif isinstance(value, int):
        ops += ["integer"] * 3 + ["to_string"]
    elif isinstance(value, float):
        ops += ["float"] * 2 + ["to_string"]
    elif isinstance(value, str):
        ops += ["string"] * 2
    elif isinstance(value, list):
        ops += ["length"] * 3
    return ops


def _edit(draw: Any, doc: Any) -> str:
    """Apply one drawn edit to ``doc`` in place; describe it (for failure reports)."""
    path = draw(st.sampled_from(paths(doc)))
    parent = _parent(doc, path)
    key = path[-1]
    value = parent[key]
    op = draw(st.sampled_from(_ops(key, value)))
    new: Any = value
    if op == "drop":
        del parent[key]
    elif op == "duplicate":
        parent[f"{key}_copy"] = json.loads(json.dumps(value))
    elif op == "rename":
        assert isinstance(key, str)
        others = [k for k in parent if k != key]
        name = draw(st.sampled_from([f"{key}x", key.upper(), "__dict__", "", *others[:3]]))
        parent[name] = parent.pop(key)
        return f"{op} {_show(path)} -> {name!r}"
    elif op == "retype":
        new = draw(st.sampled_from([None, True, 0, -1, 1.5, "x", [], {}, [value], {"x": value}]))
    elif op == "nest":
        new = _nest(value, draw(st.sampled_from([2, 20, 129, 210])), draw(st.booleans()))
    elif op == "dtype":
        new = draw(st.sampled_from(_DTYPES))
    elif op == "shape":
        new = _reshape(draw, value)
    elif op == "flip":
        new = draw(st.sampled_from([not value, int(value), "true"]))
    elif op == "integer":
        as_float = [float(value)] if abs(value) < 2**1000 else []
        new = draw(
            st.sampled_from(
                [value + 1, value - 1, value + 1000, -value - 1, *_EDGE_INTEGERS, *as_float]
            )
        )
    elif op == "float":
        whole = [int(value)] if math.isfinite(value) else []
        new = draw(st.sampled_from([-value, value * 1e300, *_EDGE_FLOATS, *whole]))
    elif op == "to_string":
        new = str(value)
    elif op == "string":
        new = draw(st.sampled_from([*_EDGE_STRINGS, 0, 1.5, value * 3, value[:-1]]))
    elif op == "length":
        new = _relength(draw, value)
    if op not in ("drop", "duplicate"):
        parent[key] = new
    return f"{op} {_show(path)}"


def _reshape(draw: Any, shape: list) -> Any:
    if not shape:
        return draw(st.sampled_from([[0], [1], [2**40]]))
    i = draw(st.integers(0, len(shape) - 1))
    dim = shape[i]
    if not isinstance(dim, int):
        return [*shape[:i], 1, *shape[i + 1 :]]
    change = draw(
        st.sampled_from(
            ["plus", "minus", "zero", "huge", "negative", "append", "drop", "square", "float"]
        )
    )
    if change == "append":
        return [*shape, draw(st.sampled_from([1, 2, 2**20]))]
    if change == "drop":
        return shape[:i] + shape[i + 1 :]
    if change == "square":
        return [*shape[:i], dim, dim, *shape[i + 1 :]]
    replacement = {
        "plus": dim + 1,
        "minus": dim - 1,
        "zero": 0,
        "huge": draw(st.sampled_from([2**31, 2**40, 2**62, 2**64])),
        "negative": -1,
        "float": float(dim),
    }[change]
    return [*shape[:i], replacement, *shape[i + 1 :]]


def _relength(draw: Any, items: list) -> list:
    change = draw(st.sampled_from(["truncate", "empty", "extend", "pop", "reverse", "repeat"]))
    if change == "truncate" and items:
        return items[: draw(st.integers(0, len(items) - 1))]
    if change == "empty":
        return []
    if change == "extend" and items:
        return [*items, json.loads(json.dumps(items[-1]))]
    if change == "pop" and items:
        return items[1:]
    if change == "reverse":
        return items[::-1]
    if change == "repeat":
        return items * 2
    return [*items, 0]


def _show(path: Path) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


@st.composite
def mutants(draw: Any, seed_text: str) -> tuple[str, list[str]]:
    """A mutant of the document ``seed_text`` as JSON text, and the edits that made it."""
    doc = json.loads(seed_text)
    edits = [_edit(draw, doc) for _ in range(draw(st.integers(1, 3)))]
    # ensure_ascii escapes lone surrogates (\ud800) instead of failing to encode them;
    # allow_nan writes bare NaN/Infinity, which the reader must refuse.
    return json.dumps(doc, ensure_ascii=True, allow_nan=True), edits
