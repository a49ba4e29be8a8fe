"""Lower the supported JSON Schema subset to the IR; anything else is an error with its pointer."""

from __future__ import annotations

import keyword
import re
from typing import Any

from pydantic import BaseModel

from codegen.discover import BASE_URI, SchemaFile, SchemaProblem
from codegen.ir import FieldIR, KindIR, ModelIR
from milo_codec.objects import OBJECT_KINDS
from milo_codec.values.scalars import NUMPY_SCALARS

VALUES = BASE_URI + "common/values/v1.json#/$defs/"
ANNOTATIONS = {"description", "title", "$comment", "examples", "default"}
NUMERIC = tuple(NUMPY_SCALARS)  # the numpy scalar tags: np_<name> in the common schema
_NDARRAY = re.compile(r"^ndarray_([a-z0-9]+)_([0-9])d$")
_RESERVED = set(dir(BaseModel)) | {
    "k",
    "np",
    "Any",
    "Annotated",
    "Literal",
    "Field",
    "dependent_required",  # CodecModel's class attribute
}


def pyname(name: str) -> str:
    """A Python identifier for a JSON field name (the JSON name stays the alias)."""
    stripped = name.lstrip("_")
    out = "u" * (len(name) - len(stripped)) + ("_" if stripped != name else "") + stripped
    if not out.isidentifier() or keyword.iskeyword(out) or out in _RESERVED:
        out = out + "_"
    if not out.isidentifier():
        raise ValueError(name)
    return out


class Lowering:
    def __init__(self, file: SchemaFile) -> None:
        self.file = file

    def fail(self, pointer: str, message: str) -> SchemaProblem:
        return SchemaProblem(f"schemas/{self.file.path}#{pointer}: {message}")

    def keys(self, s: dict, pointer: str, allowed: set[str]) -> None:
        extra = set(s) - allowed - ANNOTATIONS
        if extra:
            raise self.fail(pointer, f"unsupported keyword {sorted(extra)[0]!r} here")

    # -- models ---------------------------------------------------------------

    def model(self) -> ModelIR:
        s = self.file.schema
        self.keys(
            s,
            "",
            {
                "$schema",
                "$id",
                "type",
                "additionalProperties",
                "required",
                "properties",
                "x-milo-class",
                "x-milo-derived",
                "x-milo-invariants",
                "x-milo-import-first",
            },
        )
        class_path = s.get("x-milo-class")
        if not isinstance(class_path, str) or not class_path.startswith("sklearn."):
            raise self.fail(
                "/x-milo-class", "must name the public class path, e.g. sklearn.linear_model.Ridge"
            )
        import_first = s.get("x-milo-import-first")
        if import_first is not None and not (
            isinstance(import_first, str)
            and re.fullmatch(r"sklearn\.experimental\.enable_[a-z_]+", import_first)
        ):
            raise self.fail(
                "/x-milo-import-first",
                "must name a module of sklearn.experimental that enables the class",
            )
        expected_path = class_path.replace(".", "/") + "/"
        rel = self.file.path.as_posix()
        m = re.match(r"^(.*/)v([1-9][0-9]*)\.json$", rel)
        if not m or m.group(1) != expected_path:
            raise self.fail("", f"file must be {expected_path}v<N>.json for {class_path}")
        props = s.get("properties", {})
        if s.get("required") != ["class", "schema", "params", "state"] or set(props) != {
            "class",
            "schema",
            "params",
            "state",
        }:
            raise self.fail("/properties", "a model node has exactly class, schema, params, state")
        if props["class"] != {"const": class_path}:
            raise self.fail("/properties/class", f"must be {{'const': {class_path!r}}}")
        if props["schema"] != {"const": self.file.id}:
            raise self.fail("/properties/schema", "must be {'const': <this file's $id>}")
        params = self.object_fields(props["params"], "/properties/params", fitted=False)
        state_s = props["state"]
        alts = state_s.get("anyOf")
        unfitted = {"$ref": VALUES + "unfitted_state"}
        if not (
            isinstance(alts, list)
            and alts[0] == {"type": "null"}
            and (len(alts) == 2 or (len(alts) == 3 and alts[1] == unfitted))
        ):
            raise self.fail(
                "/properties/state",
                "must be anyOf [{type: null}, (the unfitted_state $ref,) {fitted state object}]",
            )
        fitted = f"/properties/state/anyOf/{len(alts) - 1}"
        state = self.object_fields(alts[-1], fitted, fitted=True)
        dependent_required = self.dependent_required(alts[-1], fitted, state)
        module = "milo_codec._generated." + rel[: -len(".json")].replace("/", ".")
        derived = tuple(s.get("x-milo-derived", ()))
        invariants = tuple(s.get("x-milo-invariants", ()))
        return ModelIR(
            schema_id=self.file.id,
            class_path=class_path,
            source="schemas/" + rel,
            sha256=self.file.sha256,
            module=module,
            version=int(m.group(2)),
            params=params,
            state=state,
            unfitted_state=len(alts) == 3,
            dependent_required=dependent_required,
            derived=derived,
            invariants=invariants,
            notes=s.get("description", ""),
            import_first=import_first,
        )

    def object_fields(self, s: dict, pointer: str, fitted: bool) -> tuple[FieldIR, ...]:
        """A closed object's fields; ``fitted``: the fitted-state object, the only one that may
        declare shapes and dependentRequired."""
        allowed = {"type", "additionalProperties", "required", "properties"}
        self.keys(s, pointer, (allowed | {"dependentRequired"}) if fitted else allowed)
        if s.get("type") != "object" or s.get("additionalProperties") is not False:
            raise self.fail(
                pointer, "must be a closed object (type object, additionalProperties false)"
            )
        required = s.get("required", [])
        fields = []
        names = set()
        for name, fs in s.get("properties", {}).items():
            fp = f"{pointer}/properties/{name}"
            shape: tuple[tuple[int | str, ...], ...] = ()
            if "x-milo-shape" in fs:
                if not fitted:
                    raise self.fail(fp, "x-milo-shape is only used on fitted state")
                shape = self.shape(fs["x-milo-shape"], fp + "/x-milo-shape")
                fs = {k: v for k, v in fs.items() if k != "x-milo-shape"}
            py = pyname(name)
            if py in names:
                raise self.fail(fp, f"Python name {py!r} collides with another field")
            names.add(py)
            fields.append(FieldIR(name, py, name in required, self.field(fs, fp), shape))
        unknown = set(required) - set(s.get("properties", {}))
        if unknown:
            raise self.fail(pointer + "/required", f"names undeclared fields {sorted(unknown)}")
        return tuple(fields)

    def dependent_required(
        self, s: dict, pointer: str, fields: tuple[FieldIR, ...]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The fitted state's ``dependentRequired``: each field that, when present, needs others
        present too (a fitted state is whole: schemas/README.md §2)."""
        if "dependentRequired" not in s:
            return ()
        pointer += "/dependentRequired"
        deps = s["dependentRequired"]
        if not isinstance(deps, dict) or not deps:
            raise self.fail(pointer, "must map field names to the fields they require")
        declared = {f.name for f in fields}
        out = []
        for key, names in deps.items():
            kp = f"{pointer}/{key}"
            if key not in declared:
                raise self.fail(kp, f"names an undeclared field {key!r}")
            if not isinstance(names, list):
                raise self.fail(kp, "must be a list of the field names it requires")
            if not names:
                raise self.fail(kp, "an empty list requires nothing: remove the entry")
            for i, name in enumerate(names):
                if not isinstance(name, str) or name not in declared:
                    raise self.fail(f"{kp}/{i}", f"names an undeclared field {name!r}")
            out.append((key, tuple(names)))
        return tuple(out)

    def shape(self, v: Any, pointer: str) -> tuple[tuple[int | str, ...], ...]:
        alts = v if v and isinstance(v[0], list) else [v]
        out = []
        for a in alts:
            if not isinstance(a, list) or not all(
                (isinstance(x, int) and x >= 0)
                or (isinstance(x, str) and (x.isidentifier() or x == "*"))
                for x in a
            ):
                raise self.fail(
                    pointer, 'a shape lists identifiers, non-negative integers or "*" (any size)'
                )
            out.append(tuple(a))
        return tuple(out)

    # -- fields ---------------------------------------------------------------

    def field(self, s: dict, pointer: str) -> tuple[KindIR, ...]:
        if "anyOf" in s:
            self.keys(s, pointer, {"anyOf"})
            kinds: list[KindIR] = []
            for i, alt in enumerate(s["anyOf"]):
                kinds.extend(self.field(alt, f"{pointer}/anyOf/{i}"))
            return _bind_aliases(_merge_arrays(kinds))
        return (self.alternative(s, pointer),)

    def alternative(self, s: dict, pointer: str) -> KindIR:
        if "$ref" in s:
            return self.ref(s, pointer)
        t = s.get("type")
        if t is None and ("enum" in s or "const" in s):
            values = s.get("enum", [s.get("const")])
            if all(isinstance(v, str) for v in values):
                self.keys(s, pointer, {"enum", "const"})
                return _str_enum(values)
            raise self.fail(pointer, "enum/const without a type must list strings")
        if t == "null":
            self.keys(s, pointer, {"type"})
            return KindIR("k.Null()", "None")
        if t == "boolean":
            self.keys(s, pointer, {"type", "enum", "const"})
            if "enum" in s or "const" in s:
                values = tuple(s.get("enum", [s.get("const")]))
                if not all(isinstance(v, bool) for v in values):
                    raise self.fail(pointer, "a boolean enum/const lists booleans")
                return KindIR(f"k.Bool(enum={values!r})", "bool")
            return KindIR("k.Bool()", "bool")
        if t == "integer":
            self.keys(s, pointer, {"type", "enum", "const", *_BOUND_KEYS})
            if "enum" in s or "const" in s:
                values = tuple(s.get("enum", [s.get("const")]))
                return KindIR(f"k.Int(enum={values!r})", "int")
            return KindIR(f"k.Int({_bounds(s)})", "int")
        if t == "number":
            self.keys(s, pointer, {"type", *_BOUND_KEYS})
            return KindIR(f"k.Float({_bounds(s)})", "float")
        if t == "string":
            self.keys(s, pointer, {"type", "enum", "const", "pattern", "maxLength"})
            if "enum" in s or "const" in s:
                return _str_enum(s.get("enum", [s.get("const")]))
            args = []
            if "pattern" in s:
                args.append(f"pattern={s['pattern']!r}")
            if "maxLength" in s:
                args.append(f"max_length={s['maxLength']!r}")
            return KindIR(f"k.Str({', '.join(args)})", "str")
        if t == "array":
            return KindIR(f"k.ListOf({self.sequence(s, pointer)})", "list[Any]")
        raise self.fail(pointer, f"unsupported schema form (type {t!r})")

    def sequence(self, s: dict, pointer: str) -> str:
        self.keys(s, pointer, {"type", "items", "prefixItems", "minItems", "maxItems"})
        args = []
        if "prefixItems" in s:
            if s.get("items") is not False:
                raise self.fail(pointer, "prefixItems needs items: false")
            parts = [
                self.one_of(p, f"{pointer}/prefixItems/{i}") for i, p in enumerate(s["prefixItems"])
            ]
            args.append(f"prefix=({''.join(p + ', ' for p in parts)})")
        elif "items" in s:
            args.append(f"items={self.one_of(s['items'], pointer + '/items')}")
        if "minItems" in s:
            args.append(f"min_items={s['minItems']!r}")
        if "maxItems" in s:
            args.append(f"max_items={s['maxItems']!r}")
        return ", ".join(args)

    def one_of(self, s: dict, pointer: str) -> str:
        kinds = self.field(s, pointer)
        return "k.OneOf((" + "".join(k.expr + ", " for k in kinds) + "))"

    def ref(self, s: dict, pointer: str) -> KindIR:
        ref = s["$ref"]
        registered = _REGISTERED.get(ref)
        if registered is not None:
            self.keys(s, pointer, {"$ref"})
            return KindIR(f"k.Registered(name={registered!r})", "Any")
        if not ref.startswith(VALUES):
            raise self.fail(pointer, f"$ref must point into {VALUES} or name an object kind")
        name = ref[len(VALUES) :]
        refine = s.get("properties", {})
        self.keys(s, pointer, {"$ref", "type", "properties"} if refine else {"$ref"})
        if refine and s.get("type") != "object":
            raise self.fail(pointer, "refinements need type: object beside the $ref")
        rp = pointer + "/properties"

        def only(*keys: str) -> None:
            if set(refine) - set(keys):
                raise self.fail(rp, f"only {list(keys)} may be refined here")

        if name == "nonfinite":
            only("float")
            allowed = refine.get("float", {}).get("enum")
            return KindIR(
                f"k.NonFinite(allowed={tuple(allowed)!r})" if allowed else "k.NonFinite()", "float"
            )
        if name.startswith("np_") and name[3:] in NUMERIC:
            dt = name[3:]
            only(dt)
            inner = refine.get(dt, {})
            self.keys(inner, f"{rp}/{dt}", {"type", *_BOUND_KEYS})
            b = _bounds(inner)
            return KindIR(
                f"k.NumpyScalar(dtype={dt!r}{', ' + b if b else ''})",
                "np.bool_" if dt == "bool" else f"np.{dt}",
            )
        if name == "tuple":
            only("tuple")
            inner = self.sequence(refine["tuple"], rp + "/tuple") if "tuple" in refine else ""
            return KindIR(f"k.TupleOf({inner})", "tuple[Any, ...]")
        if name == "dict":
            only("dict")
            return KindIR(
                f"k.DictOf({self.dict_refinement(refine.get('dict'), rp + '/dict')})",
                "dict[str, Any]",
            )
        if name == "bunch":
            only("bunch")
            args = ""
            if "bunch" in refine:
                b = refine["bunch"]
                self.keys(b, rp + "/bunch", {"type", "additionalProperties"})
                if "additionalProperties" in b:
                    args = f"values={self.one_of(b['additionalProperties'], rp + '/bunch/additionalProperties')}"
            return KindIR(f"k.BunchOf({args})", "dict[str, Any]")
        if name == "dict_items":
            only("dict_items")
            args = ""
            if "dict_items" in refine:
                items = refine["dict_items"].get("items", {})
                pre = items.get("prefixItems")
                if not (isinstance(pre, list) and len(pre) == 2):
                    raise self.fail(
                        rp + "/dict_items", "refine with items.prefixItems [key, value]"
                    )
                key = self.one_of(pre[0], rp + "/dict_items/items/prefixItems/0")
                val = self.one_of(pre[1], rp + "/dict_items/items/prefixItems/1")
                args = f"keys={key}, values={val}"
            return KindIR(f"k.DictItems({args})", "dict[Any, Any]")
        m = _NDARRAY.match(name)
        if m:
            dt = "U" if m.group(1) == "str" else m.group(1)
            rank = int(m.group(2))
            if dt == "object" and refine:
                return KindIR(
                    f"k.NDArray(allowed=(('object', {rank}),), elements={self.elements(refine, rp, rank)})",
                    "np.ndarray",
                )
            only()
            return KindIR(f"k.NDArray(allowed=(({dt!r}, {rank}),))", "np.ndarray")
        if name == "ndarray":
            only()
            return KindIR("k.NDArray(allowed=ANY_ARRAY)", "np.ndarray")
        simple = {
            "sparse": ("k.Sparse()", "Any"),
            "recarray": ("k.Recarray()", "np.ndarray"),
            "slice": ("k.Slice()", "slice"),
            "alias": ("k.Alias()", "Any"),
            "bspline": ("k.BSpline()", "Any"),
            "model": ("k.Model()", "NodeModel"),
            "value": ("k.AnyValue()", "Any"),
            "output_config": (
                "k.DictOf(properties=(('transform', k.OneOf((k.Str(enum=('default', 'pandas', 'polars')),)), False),))",
                "dict[str, Any]",
            ),
        }
        if name in simple:
            only()
            return KindIR(*simple[name])
        named = {
            "function": ("Callable[..., Any]", True),
            "type": ("type", False),
            "dtype": ("np.dtype", False),
        }
        if name in named:
            only(name)
            names = refine.get(name, {}).get("enum")
            pytype, needs_enum = named[name]
            if names is None:
                if needs_enum:
                    raise self.fail(rp, f"{name} values must be narrowed with an enum")
                return KindIR(f"k.Named(key={name!r}, names=ALL_{name.upper()}S)", pytype)
            return KindIR(f"k.Named(key={name!r}, names={tuple(names)!r})", pytype)
        if name in ("closs", "loss"):
            only(name)
            names = refine.get(name, {}).get("properties", {}).get("name", {}).get("enum")
            if not names:
                raise self.fail(
                    rp,
                    f"{name} values must be narrowed with properties.{name}.properties.name.enum",
                )
            cls = "CompiledLoss" if name == "closs" else "Loss"
            return KindIR(f"k.{cls}(names={tuple(names)!r})", "Any")
        raise self.fail(pointer, f"unknown value kind {name!r}")

    def elements(self, refine: dict, pointer: str, rank: int) -> str:
        """An object array's element kinds: properties.ndarray.properties.data, ``rank`` deep."""
        nd = refine.get("ndarray")
        if set(refine) != {"ndarray"} or not isinstance(nd, dict):
            raise self.fail(
                pointer, "refine an object array under properties.ndarray.properties.data"
            )
        self.keys(nd, pointer + "/ndarray", {"type", "properties"})
        data = nd.get("properties", {}).get("data")
        if set(nd.get("properties", {})) != {"data"} or not isinstance(data, dict):
            raise self.fail(pointer + "/ndarray", "only data may be refined")
        p = pointer + "/ndarray/properties/data"
        for _ in range(rank):
            self.keys(data, p, {"type", "items"})
            if data.get("type") != "array" or "items" not in data:
                raise self.fail(p, f"needs {rank} levels of type: array with items")
            data, p = data["items"], p + "/items"
        return self.one_of(data, p)

    def dict_refinement(self, s: dict | None, pointer: str) -> str:
        if s is None:
            return ""
        self.keys(s, pointer, {"type", "properties", "required", "additionalProperties"})
        if "properties" in s:
            if s.get("additionalProperties") is not False:
                raise self.fail(
                    pointer, "a dict with listed keys needs additionalProperties: false"
                )
            req = set(s.get("required", []))
            props = ", ".join(
                f"({n!r}, {self.one_of(p, f'{pointer}/properties/{n}')}, {n in req})"
                for n, p in s["properties"].items()
            )
            return f"properties=({props},)"
        if "additionalProperties" in s:
            return f"values={self.one_of(s['additionalProperties'], pointer + '/additionalProperties')}"
        return ""


# Object kinds are defined in their own common schema files and bound in milo_codec.objects.
_REGISTERED = {kind.ref: tag for tag, kind in OBJECT_KINDS.items()}

_BOUND_KEYS = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}


def _bounds(s: dict) -> str:
    names = {"minimum": "ge", "exclusiveMinimum": "gt", "maximum": "le", "exclusiveMaximum": "lt"}
    parts = [
        f"{names[key]}={s[key]!r}"
        for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
        if key in s
    ]
    return f"bounds=k.Bounds({', '.join(parts)})" if parts else ""


def _str_enum(values: list) -> KindIR:
    return KindIR(
        f"k.Str(enum={tuple(values)!r})",
        "Literal[" + ", ".join(repr(v) for v in values) + "]",
    )


def _bind_aliases(kinds: tuple[KindIR, ...]) -> tuple[KindIR, ...]:
    """An alias may only name what the field itself could hold: its arrays or model nodes."""
    if not any(kd.expr == "k.Alias()" for kd in kinds):
        return kinds
    arrays = "()"
    for kd in kinds:
        # the allowed (dtype, rank) pairs end at the first "),)": pairs are joined by "), ("
        m = re.match(r"k\.NDArray\(allowed=(\(\(.*?\),\))", kd.expr)
        if m:
            arrays = m.group(1)
    models = any(kd.expr.startswith("k.Model(") for kd in kinds)
    objects = tuple(
        m.group(1) for kd in kinds if (m := re.fullmatch(r"k\.Registered\(name='(\w+)'\)", kd.expr))
    )
    extra = f", objects={objects!r}" if objects else ""
    bound = KindIR(f"k.Alias(arrays={arrays}, models={models}{extra})", "Any")
    return tuple(bound if kd.expr == "k.Alias()" else kd for kd in kinds)


def _merge_arrays(kinds: list[KindIR]) -> tuple[KindIR, ...]:
    """Alternative array kinds become one NDArray kind listing every (dtype, rank) pair."""
    pairs: list[str] = []
    out: list[KindIR] = []
    first = None
    for kd in kinds:
        m = re.fullmatch(r"k\.NDArray\(allowed=\((.*),\)\)", kd.expr)
        if m and kd.expr != "k.NDArray(allowed=ANY_ARRAY)":
            pairs.append(m.group(1))
            if first is None:
                first = len(out)
                out.append(kd)
        else:
            out.append(kd)
    if first is not None and len(pairs) > 1:
        out[first] = KindIR(f"k.NDArray(allowed=({', '.join(pairs)},))", "np.ndarray")
    return tuple(out)
