"""Draft the schema of a scikit-learn estimator, for a person to review and commit.

    python tools/draft_schema.py sklearn.linear_model.Ridge [--write] [--force]

Parameters come from the class's ``_parameter_constraints`` (string options → enum, intervals
→ bounds, ``None`` where allowed), widened by the values the fit recipes actually use.
Fitted state comes from real fitted examples (tests/recipes.py): each attribute's kinds,
dtypes and ranks as observed, whether it is always present, and symbolic shapes for
dimensions that agree across every example (``n_features_in_``, ``n_classes``, ...).

The draft is a starting point: review enums, bounds and shape symbols before committing,
then run ``make codegen``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import numbers
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from recipes import recipes_for, unfitted  # noqa: E402
from sklearn.experimental import (  # noqa: E402, F401  (public paths of experimental classes)
    enable_halving_search_cv,
    enable_iterative_imputer,
)

from milo_codec.errors import UnsupportedModelError  # noqa: E402
from milo_codec.objects import OBJECT_KINDS  # noqa: E402
from milo_codec.values.encode import ValueEncoder  # noqa: E402
from milo_codec.values.objects import FUNCTIONS  # noqa: E402
from milo_codec.values.raw import RawJSON  # noqa: E402
from milo_codec.values.scalars import NUMPY_SCALARS  # noqa: E402

BASE = "https://milo-codec.invalid/schemas/"
V = BASE + "common/values/v1.json#/$defs/"
INT64 = (-(2**63), 2**63 - 1)


def ref(name: str, **refine: Any) -> dict:
    s: dict[str, Any] = {"$ref": V + name}
    if refine:
        s["type"] = "object"
        s["properties"] = refine
    return s


# ---------------------------------------------------------------------------
# Parameters from _parameter_constraints


def _bounds(c: Any) -> dict:
    out: dict[str, Any] = {}
    lo, hi, closed = c.left, c.right, c.closed
    if lo is not None:
        out["minimum" if closed in ("left", "both") else "exclusiveMinimum"] = _num(lo)
    if hi is not None:
        out["maximum" if closed in ("right", "both") else "exclusiveMaximum"] = _num(hi)
    return out


def _num(x: Any) -> int | float:
    return int(x) if isinstance(x, numbers.Integral) else float(x)


def _int_bounds(b: dict) -> dict:
    out = {}
    for k, v in b.items():
        if isinstance(v, float) and not v.is_integer():
            # an integer interval bound given as a float: tighten to the integer range
            v = math.ceil(v) if "imum" in k and "min" in k.lower() else math.floor(v)
            k = "minimum" if "min" in k.lower() else "maximum"
        out[k] = int(v) if isinstance(v, float) and v.is_integer() else v
    return out


def constraint_schemas(c: Any, param: str, cls: type) -> list[dict]:
    from sklearn.utils._param_validation import (
        HasMethods,
        Hidden,
        Interval,
        MissingValues,
        Options,
        StrOptions,
    )

    if isinstance(c, Hidden):
        try:
            return constraint_schemas(c.constraint, param, cls)
        except SystemExit:
            # hidden options the format cannot hold (e.g. a criterion object) are left out
            print(
                f"  review: {cls.__name__}.{param}: hidden constraint {c.constraint!r} left out",
                file=sys.stderr,
            )
            return []
    if c is None:
        return [{"type": "null"}]
    if isinstance(c, StrOptions):
        return [{"type": "string", "enum": sorted(c.options)}]
    if isinstance(c, Options):
        if c.type is type:
            names = sorted(f"{t.__module__}.{t.__name__}" for t in c.options)
            return [ref("type", type={"enum": names})]
        out = []
        for o in sorted(c.options, key=repr):
            if isinstance(o, float) and math.isinf(o):
                out.append(ref("nonfinite", float={"enum": ["Infinity" if o > 0 else "-Infinity"]}))
            elif isinstance(o, numbers.Integral):
                out.append({"type": "integer", "enum": [int(o)]})
            else:
                out.append({"type": "number", "minimum": o, "maximum": o})
        return out
    if isinstance(c, Interval):
        b = _bounds(c)
        real_not_int = c.type.__name__ == "RealNotInt"
        out = []
        if c.type is numbers.Integral:
            ib = _int_bounds(b)
            return [{"type": "integer", **ib}, ref("np_int64", int64={"type": "integer", **ib})]
        if not real_not_int:
            out.append({"type": "integer", **_int_bounds(b)})
        out.append({"type": "number", **b})
        out.append(ref("np_float64", float64={"type": "number", **b}))
        infs = []
        if c.right is None and c.closed in ("right", "both", "left", "neither"):
            infs.append("Infinity")
        if c.left is None:
            infs.append("-Infinity")
        if infs:
            out.append(ref("nonfinite", float={"enum": infs}))
        return out
    if isinstance(c, HasMethods):
        return [ref("model")]
    if isinstance(c, MissingValues):
        return [
            {"type": "integer"},
            {"type": "number"},
            {"type": "string"},
            {"type": "null"},
            ref("nonfinite", float={"enum": ["NaN", "-NaN"]}),
        ]
    if isinstance(c, str):
        table = {
            "boolean": [{"type": "boolean"}, ref("np_bool")],
            "verbose": [{"type": "integer", "minimum": 0}, {"type": "boolean"}],
            "random_state": [
                {"type": "null"},
                {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
            ],
            "array-like": [
                ref("ndarray"),
                {"type": "array", "items": ref("value")},
                ref("tuple"),
            ],
            "sparse matrix": [ref("sparse")],
            "cv_object": [{"type": "null"}, {"type": "integer", "minimum": 2}],
            "no_validation": [ref("value")],
            "missing_values": constraint_schemas(MissingValues(), param, cls),
        }
        if c in table:
            return table[c]
        raise SystemExit(f"{cls.__name__}.{param}: unknown constraint string {c!r}; draft by hand")
    if c is callable:
        return [ref("function", function={"enum": sorted(FUNCTIONS)})]
    if isinstance(c, type):
        if c is numbers.Integral or c is int:
            return [{"type": "integer"}, ref("np_int64")]
        if c is numbers.Real or c is float:
            return [{"type": "number"}, {"type": "integer"}, ref("np_float64")]
        if c is str:
            return [{"type": "string"}]
        if c is dict:
            return [ref("dict"), ref("dict_items")]
        if c is list:
            return [{"type": "array", "items": ref("value")}]
        if c is tuple:
            return [ref("tuple")]
        if c is np.ndarray:
            return [ref("ndarray")]
        if c is type:
            return [ref("type")]
    raise SystemExit(f"{cls.__name__}.{param}: cannot translate constraint {c!r}; draft by hand")


# ---------------------------------------------------------------------------
# Kinds observed in encoded values


def observed_kind(v: Any) -> dict:
    if v is None:
        return {"type": "null"}
    if isinstance(v, bool):
        return {"type": "boolean"}
    if isinstance(v, int):
        return {"type": "integer"}
    if isinstance(v, float):
        return {"type": "number"}
    if isinstance(v, str):
        return {"type": "string"}
    if isinstance(v, list):
        items = merge([observed_kind(x) for x in v]) if v else ref("value")
        return {"type": "array", "items": items}
    assert isinstance(v, dict), v
    if "schema" in v and "class" in v:
        return ref("model")
    ((key, payload),) = v.items()
    if key == "ndarray":
        dt = payload["dtype"]
        name = "str" if dt.startswith("U") else dt
        return ref(f"ndarray_{name}_{len(payload['shape'])}d")
    if key == "float":
        return ref("nonfinite")
    if key in NUMPY_SCALARS:
        return ref(f"np_{key}")
    if key in ("closs", "loss"):
        return ref(
            key, **{key: {"type": "object", "properties": {"name": {"enum": [payload["name"]]}}}}
        )
    if key in ("dtype", "type", "function"):
        return ref(key, **{key: {"enum": [payload]}})
    if key in (
        "tuple",
        "dict",
        "dict_items",
        "sparse",
        "recarray",
        "bspline",
        "bunch",
        "slice",
        "alias",
    ):
        return ref(key)
    if key in OBJECT_KINDS:
        return {"$ref": OBJECT_KINDS[key].ref}
    raise SystemExit(f"unexpected encoded value {key!r}")


def _canon(s: dict) -> str:
    return json.dumps(s, sort_keys=True)


def merge(kinds: list[dict]) -> dict:
    flat: list[dict] = []
    for k in kinds:
        flat.extend(k["anyOf"] if set(k) == {"anyOf"} else [k])
    out: dict[str, dict] = {}
    for k in flat:
        c = _canon(k)
        # named-object kinds with an enum refinement merge their enums
        if (
            "$ref" in k
            and "properties" in k
            and k["$ref"].rsplit("/", 1)[1] in ("closs", "loss", "dtype", "type", "function")
        ):
            key = k["$ref"]
            if key in out:
                out[key] = _merge_enum(out[key], k)
                continue
            out[key] = json.loads(c)
            continue
        out.setdefault(c, k)
    alts = list(out.values())
    return alts[0] if len(alts) == 1 else {"anyOf": alts}


def _merge_enum(a: dict, b: dict) -> dict:
    name = a["$ref"].rsplit("/", 1)[1]
    pa, pb = a["properties"][name], b["properties"][name]
    if name in ("closs", "loss"):
        ea, eb = pa["properties"]["name"]["enum"], pb["properties"]["name"]["enum"]
        pa["properties"]["name"]["enum"] = sorted(set(ea) | set(eb))
    else:
        pa["enum"] = sorted(set(pa["enum"]) | set(pb["enum"]), key=str)
    return a


def accepts(schema_alts: list[dict], kind: dict) -> bool:
    """Whether a drafted parameter schema already covers an observed kind (shallowly)."""
    want = kind.get("$ref") or kind.get("type")
    for a in schema_alts:
        have = a.get("$ref") or a.get("type")
        if have == want:
            return True
        if want == "integer" and have == "number":
            continue
        if isinstance(want, str) and want.startswith(V + "ndarray_") and have == V + "ndarray":
            return True
    return False


# ---------------------------------------------------------------------------


def encoder() -> ValueEncoder:
    def encode_model(est: Any, path: str) -> dict:
        return {"class": type(est).__name__, "schema": "?", "params": {}, "state": None}

    return ValueEncoder(encode_model)


def _plain(v: Any) -> Any:
    """Encoded tree with RawJSON fragments parsed back to JSON values."""
    if isinstance(v, RawJSON):
        return json.loads(v.text)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


SIZE_ATTRS = ("n_features_in_", "n_outputs_", "n_classes_", "n_components_", "n_features_out_")


def draft(class_path: str) -> dict:
    module, name = class_path.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    enc = encoder()
    recipes = recipes_for(cls)
    fitted = [r.fit() for r in recipes]
    schema_id = f"{BASE}{class_path.replace('.', '/')}/v1.json"

    # params
    constraints = getattr(cls, "_parameter_constraints", {})
    base = unfitted(cls)
    param_values: dict[str, list[Any]] = {}
    for est in [cls(), base, *(f.estimator for f in fitted)]:
        for k, v in est.get_params(deep=False).items():
            param_values.setdefault(k, []).append(_plain(enc(v, k)))
    params: dict[str, Any] = {}
    for p in sorted(param_values):
        cons = constraints.get(p)
        if cons is None:
            alts = [observed_kind(v) for v in param_values[p]]
            note = "no _parameter_constraints: drafted from observed values only"
            print(f"  review: {name}.{p}: {note}", file=sys.stderr)
        else:
            if isinstance(cons, str):
                cons = [cons]
            alts = []
            for c in cons:
                alts.extend(constraint_schemas(c, p, cls))
            for v in param_values[p]:
                k = observed_kind(v)
                if not accepts(alts, k):
                    print(
                        f"  review: {name}.{p}: widened with observed {_canon(k)}", file=sys.stderr
                    )
                    alts.append(k)
        params[p] = merge(alts)

    # state
    observed: dict[str, list[Any]] = {}
    derived: set[str] = set()
    order: list[str] = []
    presence: dict[str, int] = {}
    arrays: dict[str, list[tuple[int, ...] | None]] = {}
    sizes: dict[str, list[int | None]] = {s: [] for s in (*SIZE_ATTRS, "n_classes")}
    for f in fitted:
        est = f.estimator
        p = est.get_params(deep=False)
        attrs = {k: v for k, v in vars(est).items() if k not in p}
        for k in attrs:
            if k not in order:
                order.append(k)
            presence[k] = presence.get(k, 0) + 1
        enc = encoder()  # one per model: aliases mark sharing inside that model only
        for k, v in attrs.items():
            try:
                observed.setdefault(k, []).append(_plain(enc(v, k)))
            except UnsupportedModelError as e:
                if _rebuilds_on_setstate(cls):
                    derived.add(k)
                    print(
                        f"  review: {name}.{k} cannot be written ({e}); drafted as derived, "
                        "rebuilt by the class's own __setstate__: confirm that it is",
                        file=sys.stderr,
                    )
                else:
                    raise
        for s in SIZE_ATTRS:
            v = attrs.get(s)
            sizes[s].append(int(v) if isinstance(v, int | np.integer) else None)
        classes = attrs.get("classes_")
        sizes["n_classes"].append(
            classes.shape[0] if isinstance(classes, np.ndarray) and classes.ndim == 1 else None
        )
    for f in fitted:
        attrs = vars(f.estimator)
        for k in order:
            v = attrs.get(k)
            arrays.setdefault(k, []).append(v.shape if isinstance(v, np.ndarray) else None)

    order = [k for k in order if k not in derived]
    shapes = infer_shapes(order, arrays, sizes)
    state_props: dict[str, Any] = {}
    for k in order:
        s = (
            ref("output_config")
            if k == "_sklearn_output_config"
            else merge([observed_kind(v) for v in observed[k]])
        )
        if k in shapes:
            s = {**s, "x-milo-shape": shapes[k]}
        state_props[k] = s
    required = [k for k in order if presence[k] == len(fitted)]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": f"{class_path}, fitted-state layout v1 (scikit-learn 1.9)",
        "x-milo-class": class_path,
        **({"x-milo-derived": sorted(derived)} if derived else {}),
        "type": "object",
        "additionalProperties": False,
        "required": ["class", "schema", "params", "state"],
        "properties": {
            "class": {"const": class_path},
            "schema": {"const": schema_id},
            "params": {
                "type": "object",
                "additionalProperties": False,
                "required": sorted(params),
                "properties": params,
            },
            "state": {
                "anyOf": [
                    {"type": "null"},
                    *([ref("unfitted_state")] if hasattr(cls, "set_output") else []),
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": required,
                        "properties": state_props,
                    },
                ]
            },
        },
    }


SIZE_NAMES = (
    "n_features_in_",
    "n_classes",
    "n_outputs_",
    "n_components_",
    "n_classes_",
    "n_features_out_",
)


def infer_shapes(
    order: list[str],
    arrays: dict[str, list[tuple[int, ...] | None]],
    sizes: dict[str, list[int | None]],
) -> dict[str, Any]:
    """Name array dimensions: after a size attribute they equal in every example, or after
    the first other dimension that varies across examples exactly as they do."""
    dims: dict[tuple[str, int, int], tuple[int | None, ...]] = {}
    for attr in order:
        shapes = arrays[attr]
        for rank in sorted({len(s) for s in shapes if s is not None}):
            for d in range(rank):
                dims[(attr, rank, d)] = tuple(
                    s[d] if s is not None and len(s) == rank else None for s in shapes
                )
    symbols: dict[tuple[str, int, int], str] = {}
    first_seen: dict[tuple[int | None, ...], str] = {}
    for key, vec in dims.items():
        present = [(i, v) for i, v in enumerate(vec) if v is not None]
        name = None
        for size_name in SIZE_NAMES:
            vals = sizes[size_name]
            if len(present) >= 2 and all(vals[i] == v for i, v in present):
                name = size_name
                break
        if name is None and len({v for _, v in present}) >= 2:
            name = first_seen.setdefault(vec, f"{key[0].strip('_')}_dim{key[2]}")
            if (
                name == f"{key[0].strip('_')}_dim{key[2]}"
                and sum(1 for w in dims.values() if w == vec) < 2
            ):
                name = None
        if name is not None:
            symbols[key] = name
    out: dict[str, Any] = {}
    for attr in order:
        if attr == "feature_names_in_":
            out[attr] = ["n_features_in_"]
            continue
        alternatives = []
        for rank in sorted({len(s) for s in arrays[attr] if s is not None}):
            spec = [symbols.get((attr, rank, d), "*") for d in range(rank)]
            if any(x != "*" for x in spec):
                alternatives.append(spec)
        if alternatives:
            out[attr] = alternatives[0] if len(alternatives) == 1 else alternatives
    return out


def format_json(v: Any, indent: int = 0, width: int = 100) -> str:
    """JSON with short values kept on one line, so a schema reads like a table."""
    flat = json.dumps(v, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(v, dict | list) or not v:
        return flat
    pad = " " * (indent + 2)
    if isinstance(v, list):
        inner = (",\n").join(pad + format_json(x, indent + 2, width) for x in v)
        return "[\n" + inner + "\n" + " " * indent + "]"
    inner = (",\n").join(
        f"{pad}{json.dumps(k)}: {format_json(x, indent + 2, width)}" for k, x in v.items()
    )
    return "{\n" + inner + "\n" + " " * indent + "}"


def _rebuilds_on_setstate(cls: type) -> bool:
    from sklearn.base import BaseEstimator

    return cls.__setstate__ is not BaseEstimator.__setstate__


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("class_path", nargs="+", help="e.g. sklearn.linear_model.Ridge")
    ap.add_argument("--write", action="store_true", help="write schemas/<path>/v1.json")
    ap.add_argument("--force", action="store_true", help="overwrite an existing schema file")
    args = ap.parse_args()
    for class_path in args.class_path:
        print(f"drafting {class_path}", file=sys.stderr)
        schema = draft(class_path)
        text = format_json(schema) + "\n"
        if args.write:
            out = ROOT / "schemas" / class_path.replace(".", "/") / "v1.json"
            if out.exists() and not args.force:
                print(
                    f"  {out.relative_to(ROOT)} exists; use --force to overwrite", file=sys.stderr
                )
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
            print(f"  wrote {out.relative_to(ROOT)}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
