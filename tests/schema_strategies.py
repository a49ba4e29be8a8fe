"""Hypothesis strategies that walk the milo JSON Schemas and draw instances of them.

``instances(schema)`` draws values that a schema of the milo dialect (schemas/README.md §4)
describes: enums and consts, bounded integers and numbers, strings with a pattern or a
maximum length, arrays with ``items``/``prefixItems`` and length bounds, closed objects,
``anyOf`` unions, and ``$ref``s into the shared files, optionally refined by sibling
``properties`` (numpy scalars with bounds, functions with an enum, dicts with known keys).
With ``near=True`` a draw may also miss the schema by a little at any node: a bound crossed
by one step, an exclusive bound hit exactly, an integer written as ``1.0`` or a float as
``1``, an enum string altered by one character, a required key dropped, an unknown key
added, an array one item too long or short, a value of the wrong type.

The strategy is only a source of candidates: whether a drawn value is valid is decided by a
JSON Schema validator, so it does not have to follow the schema exactly, and it does not.
Nested model nodes (``$defs/model``) are drawn from a pool of real documents' nodes given by
the caller, since generating a whole nested estimator adds nothing the pool does not cover.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
MODEL_REF = "https://milo-codec.invalid/schemas/common/values/v1.json#/$defs/model"
CATALOG = "https://milo-codec.invalid/schemas/catalog.json"

# Values to try beside the bounds: they exercise 64-bit edges and the int/float boundary.
_INT_EDGES = (0, 1, -1, 2, 2**31 - 1, 2**31, 2**32 - 1, 2**53 + 1, 2**63 - 1, 2**63, 2**64)
_FLOAT_EDGES = (0.0, -0.0, 0.5, 1.0, -1.0, 1e-300, 1e300, 5e-324, 3.5e38, 1.7976931348623157e308)
_WRONG_TYPES: tuple[Any, ...] = (None, True, 1, 1.5, "x", [], {})


def _absolute(node: Any, base: str) -> Any:
    """The schema with every local ``$ref`` ("#/...") made absolute against its file's $id."""
    if isinstance(node, dict):
        out = {k: _absolute(v, base) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = base + ref
        return out
    if isinstance(node, list):
        return [_absolute(v, base) for v in node]
    return node


class Schemas:
    """Every schema file of the repository, by $id, with $refs made absolute."""

    def __init__(self, root: Path = SCHEMAS) -> None:
        self.files: dict[str, Any] = {}
        for path in sorted(root.rglob("*.json")):
            schema = json.loads(path.read_text())
            self.files[schema["$id"]] = _absolute(schema, schema["$id"])

    def resolve(self, ref: str) -> Any:
        uri, _, pointer = ref.partition("#")
        node = self.files[uri]
        for part in filter(None, pointer.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def model_ids(self) -> list[str]:
        return sorted(i for i in self.files if i.split("/schemas/", 1)[1].startswith("sklearn/"))


def _merge(base: dict, refinement: dict) -> dict:
    """A ``$ref`` target refined by its sibling keywords (both apply, as in JSON Schema):
    approximated by letting the refinement's keywords and properties take precedence."""
    out = {k: v for k, v in base.items() if k not in ("description", "$comment", "title")}
    for key, value in refinement.items():
        if key == "$ref":
            continue
        if key == "properties" and isinstance(out.get("properties"), dict):
            out["properties"] = {**out["properties"], **value}
        else:
            out[key] = value
    return out


class Drawer:
    """Draws one instance per call; ``near`` lets any node miss its schema by a little."""

    def __init__(
        self,
        schemas: Schemas,
        draw: Any,
        near: bool,
        models: Sequence[dict],
        max_depth: int = 6,
    ) -> None:
        self.schemas = schemas
        self.draw = draw
        self.near = near
        self.models = models
        self.max_depth = max_depth

    # -- helpers --------------------------------------------------------------------------
    def _miss(self) -> bool:
        """Whether this node misses its schema (rarely, so most nodes of a near draw are valid)."""
        return self.near and self.draw(st.integers(0, 15)) == 0

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[self.draw(st.integers(0, len(options) - 1))]

    # -- the walk -------------------------------------------------------------------------
    def value(self, schema: Any, depth: int = 0) -> Any:
        if schema is True or schema == {}:
            return self._pick(_WRONG_TYPES[:6])
        if schema is False:
            return None
        if self._miss():
            return self._pick(_WRONG_TYPES)
        ref = schema.get("$ref")
        if ref is not None:
            if ref in (MODEL_REF, CATALOG):
                return self._model(schema)
            target = self.schemas.resolve(ref)
            refined = _merge(target, schema) if len(schema) > 1 else target
            return self.value(refined, depth + 1)
        if "anyOf" in schema:
            branches = schema["anyOf"]
            if depth >= self.max_depth:
                leaves = [b for b in branches if "$ref" not in b and "anyOf" not in b]
                branches = leaves or branches
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            branch = self._pick(branches)
            return self.value(_merge(branch, rest) if rest else branch, depth + 1)
        if "const" in schema:
            return self._near_enum([schema["const"]])
        if "enum" in schema:
            return self._near_enum(schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = self._pick(kind)
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else None
        if kind == "null":
            return None
        if kind == "boolean":
            return self.draw(st.booleans())
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "string":
            return self._string(schema)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "object":
            return self._object(schema, depth)
        return self._pick(_WRONG_TYPES[:6])

    def _model(self, schema: dict) -> Any:
        wanted = schema.get("properties", {}).get("schema", {})
        allowed = wanted.get("enum") or ([wanted["const"]] if "const" in wanted else None)
        pool = [m for m in self.models if allowed is None or m.get("schema") in allowed]
        return json.loads(json.dumps(self._pick(pool or self.models)))

    def _near_enum(self, options: list) -> Any:
        value = self._pick(options)
        if not self._miss():
            return value
        if isinstance(value, str):
            return self._pick(
                [value + "x", value[:-1], value.upper() if value.upper() != value else value + " "]
            )
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return self._pick([value + 1, float(value)])
        return self._pick(_WRONG_TYPES)

    def _integer(self, schema: dict) -> Any:
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        if "exclusiveMinimum" in schema:
            lo = math.floor(schema["exclusiveMinimum"]) + 1
        if "exclusiveMaximum" in schema:
            hi = math.ceil(schema["exclusiveMaximum"]) - 1
        lo = None if lo is None else math.ceil(lo)
        hi = None if hi is None else math.floor(hi)
        if self._miss():
            misses = [
                v
                for v in (lo - 1 if lo is not None else None, hi + 1 if hi is not None else None)
                if v is not None
            ]
            base = self.draw(st.integers(lo, hi)) if lo is None or hi is None or lo <= hi else 0
            return self._pick([*misses, float(base), bool(base % 2), str(base)])
        edges = [e for e in (*_INT_EDGES, lo, hi) if e is not None]
        edges = [e for e in edges if (lo is None or e >= lo) and (hi is None or e <= hi)]
        if edges and self.draw(st.booleans()):
            return self._pick(edges)
        if lo is not None and hi is not None and lo > hi:  # no integer fits: a near miss
            return lo
        return self.draw(st.integers(lo, hi))

    def _number(self, schema: dict) -> Any:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        low = lo if lo is not None else xlo
        high = hi if hi is not None else xhi
        if self._miss():
            misses: list[Any] = []
            if xlo is not None:
                misses += [float(xlo), math.nextafter(float(xlo), -math.inf)]
            if lo is not None:
                misses.append(math.nextafter(float(lo), -math.inf))
            if xhi is not None:
                misses += [float(xhi), math.nextafter(float(xhi), math.inf)]
            if hi is not None:
                misses.append(math.nextafter(float(hi), math.inf))
            # an integral value in integer form: `number` fields are floats by lexical form
            whole = [int(v) for v in (low, high, 1) if v is not None and float(v).is_integer()]
            return self._pick([*misses, *whole, True, "1.0"])
        edges = [float(e) for e in (*_FLOAT_EDGES, lo, hi) if e is not None]
        edges = [
            e
            for e in edges
            if (lo is None or e >= lo)
            and (hi is None or e <= hi)
            and (xlo is None or e > xlo)
            and (xhi is None or e < xhi)
        ]
        if edges and self.draw(st.booleans()):
            return self._pick(edges)
        return self.draw(
            st.floats(
                min_value=None if low is None else float(low),
                max_value=None if high is None else float(high),
                exclude_min=xlo is not None and lo is None,
                exclude_max=xhi is not None and hi is None,
                allow_nan=False,
                allow_infinity=False,
            )
        )

    def _string(self, schema: dict) -> Any:
        limit = schema.get("maxLength")
        pattern = schema.get("pattern")
        if self._miss():
            if limit is not None:
                return "a" * (limit + 1)
            if pattern is not None:
                return self._pick(["", " ", "\x00", "__class__", "a" * 300])
            return self._pick([1, None])
        if pattern is not None:
            text = self.draw(st.from_regex(re.compile(pattern), fullmatch=False))
            return text if limit is None else text[:limit]
        return self.draw(st.text(max_size=limit if limit is not None else 12))

    def _array(self, schema: dict, depth: int) -> list:
        prefix = schema.get("prefixItems", [])
        items = schema.get("items", not prefix)
        lo = schema.get("minItems", 0)
        hi = schema.get("maxItems")
        if items is False:
            hi = len(prefix) if hi is None else min(hi, len(prefix))
        cap = 0 if depth >= self.max_depth else 3
        top = lo + cap if hi is None else min(hi, lo + cap)
        n = self.draw(st.integers(min(lo, top), max(lo, top)))
        if self._miss():
            n = self._pick([m for m in (lo - 1, (hi or n) + 1) if m >= 0] or [n + 1])
        out = []
        for i in range(n):
            sub = prefix[i] if i < len(prefix) else (items if items is not False else True)
            out.append(self.value(sub, depth + 1))
        return out

    def _object(self, schema: dict, depth: int) -> dict:
        props = schema.get("properties", {})
        required = list(schema.get("required", []))
        extra = schema.get("additionalProperties", True)
        out: dict[str, Any] = {}
        for key, sub in props.items():
            if key in required or (depth < self.max_depth and self.draw(st.booleans())):
                out[key] = self.value(sub, depth + 1)
        if extra is not False and not props and depth < self.max_depth:
            keys = self.draw(st.lists(st.text(min_size=1, max_size=6), max_size=2, unique=True))
            for key in keys:
                out[key] = self.value(extra if isinstance(extra, dict) else True, depth + 1)
        if self._miss():
            if required and self.draw(st.booleans()):
                out.pop(self._pick(required), None)
            else:
                out["unexpected_key"] = 1
        return out


@st.composite
def instances(
    draw: Any,
    schemas: Schemas,
    schema: Any,
    models: Sequence[dict] = (),
    near: bool | None = None,
) -> Any:
    """An instance of ``schema``, or (``near``; drawn when None) a near miss of it."""
    if near is None:
        near = draw(st.booleans())
    return Drawer(schemas, draw, near, models).value(schema)


def params_of(schemas: Schemas, schema_id: str) -> dict:
    """The ``params`` part of a model schema."""
    return schemas.files[schema_id]["properties"]["params"]
