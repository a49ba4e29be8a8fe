"""Value kinds: the vocabulary generated codecs use to declare what each field may hold.

Each kind knows its JSON tag and builds a strict pydantic-core schema that validates the
JSON value *and* decodes it to the exact Python value (numpy arrays, tuples, numpy scalars).
A field holding several kinds is a tagged union: the JSON type (or, for tagged objects, the
single key) picks the one kind that is checked, so an error is reported for that kind only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import GetCoreSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, SchemaValidator, core_schema

from milo_codec.values import arrays, objects
from milo_codec.values.members import record_decoded
from milo_codec.values.problems import DecodeProblem
from milo_codec.values.scalars import NONFINITE_NAMES, NUMPY_SCALARS, decode_numpy_scalar

# Tags appear in pydantic error locations; the marker lets error paths drop them.
TAG_MARK = "§"
# Labels the alternatives of a union whose alternatives read alike ("an array or an array"):
# its errors are those of the alternative that came closest (paths.py), not one summary.
ALTERNATIVE_MARK = TAG_MARK + "alternative "


def value_tag(v: Any) -> str:
    """The tag of a raw JSON value: its JSON type, or the key of a tagged object."""
    if v is None:
        return TAG_MARK + "null"
    t = type(v)
    if t is bool:
        return TAG_MARK + "bool"
    if t is int:
        return TAG_MARK + "int"
    if t is float:
        return TAG_MARK + "float"
    if t is str:
        return TAG_MARK + "str"
    if t is list:
        return TAG_MARK + "list"
    if t is dict:
        if "schema" in v and "class" in v:
            return TAG_MARK + "model"
        if len(v) == 1:
            return TAG_MARK + "{" + next(iter(v)) + "}"
        return TAG_MARK + "object"
    return TAG_MARK + "?"


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("milo", message)


LIMIT_ERROR = "milo_limit"  # the pydantic error type of an exceeded resource limit
WRONG_KIND_ERROR = "milo_wrong_kind"  # ... of a value of another kind (DecodeProblem.wrong_kind)


def _raise_problem(p: DecodeProblem, title: str = "value") -> None:
    """Re-raise a located decode problem so pydantic prefixes the outer location."""
    kind = LIMIT_ERROR if p.limit else WRONG_KIND_ERROR if p.wrong_kind else "milo"
    error = PydanticCustomError(kind, p.message)
    if not p.loc:
        raise error
    raise ValidationError.from_exception_data(
        title,
        [{"type": error, "loc": p.loc, "input": None}],
    )


# A hostile file may hold millions of wrong items in one array or unknown members in one
# object. Reported one by one, each costs pydantic and milo about 2 µs and 1 KB of Python
# objects: 63 s and 6.6 GB to refuse a 70 MB file (schemas/README.md §7). So arrays and
# maps stop at their first wrong item, and an object reports its unknown members one by one
# only while they are few.
MAX_UNKNOWN_LISTED = 16


def items_of(items: core_schema.CoreSchema, **bounds: Any) -> core_schema.CoreSchema:
    """A JSON array of ``items``, refused at its first wrong item."""
    return core_schema.list_schema(items, strict=True, fail_fast=True, **bounds)


def map_of(keys: core_schema.CoreSchema, values: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """A JSON object of any members (``keys`` checks their names), refused at the first wrong one."""
    return core_schema.dict_schema(keys, values, strict=True, fail_fast=True)


def closed_object(
    fields: dict[str, core_schema.TypedDictField], **options: Any
) -> core_schema.CoreSchema:
    """A JSON object of exactly these fields (some optional): unknown members are refused,
    one error each while few, one error for all when more than ``MAX_UNKNOWN_LISTED``."""
    td = core_schema.typed_dict_schema(fields, extra_behavior="forbid", **options)
    most = len(fields) + MAX_UNKNOWN_LISTED

    def check(v: Any) -> Any:
        if type(v) is dict and len(v) > most:
            refuse_unknown_members(v, fields)
        return v

    return core_schema.no_info_before_validator_function(check, td)


def refuse_unknown_members(v: dict, known: Any) -> None:
    """Raise one error, at the first unknown member, for an object with many of them."""
    unknown = [key for key in v if key not in known]
    if len(unknown) > MAX_UNKNOWN_LISTED:
        _raise_problem(
            DecodeProblem(
                (unknown[0],),
                f"unknown field; remove it and the {len(unknown) - 1:,} other unknown fields "
                "of this object (fields are fixed by the schema)",
            )
        )


def _member(d: Any, key: str) -> Any:
    """The payload of a one-member wrapper ``{key: payload}``.

    A field of a single kind is decoded without a union choosing it by its key first, so the
    wrapper itself must be checked here: anything else is the file's error, not a KeyError.
    """
    if not (isinstance(d, dict) and len(d) == 1 and key in d):
        raise DecodeProblem((), f'expected {{"{key}": ...}}')
    return d[key]


def _plain(fn: Any) -> core_schema.CoreSchema:
    def validate(v: Any) -> Any:
        try:
            return fn(v)
        except DecodeProblem as p:
            _raise_problem(p)

    return core_schema.no_info_plain_validator_function(validate)


@dataclass(frozen=True)
class Kind:
    tag: ClassVar[str]
    describe: ClassVar[str]

    def schema(self) -> core_schema.CoreSchema:
        raise NotImplementedError


@dataclass(frozen=True)
class Bounds:
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def check(self, x: Any) -> str | None:
        if self.ge is not None and not x >= self.ge:
            return f"must be >= {self.ge}"
        if self.gt is not None and not x > self.gt:
            return f"must be > {self.gt}"
        if self.le is not None and not x <= self.le:
            return f"must be <= {self.le}"
        if self.lt is not None and not x < self.lt:
            return f"must be < {self.lt}"
        return None


@dataclass(frozen=True)
class Null(Kind):
    tag = TAG_MARK + "null"
    describe = "null"

    def schema(self) -> core_schema.CoreSchema:
        return core_schema.none_schema()


@dataclass(frozen=True)
class Bool(Kind):
    tag = TAG_MARK + "bool"
    describe = "a boolean"
    enum: tuple[bool, ...] | None = None

    def schema(self) -> core_schema.CoreSchema:
        strict = core_schema.bool_schema(strict=True)
        return strict if self.enum is None else _one_of_values(strict, self.enum)


@dataclass(frozen=True)
class Int(Kind):
    tag = TAG_MARK + "int"
    describe = "an integer"
    bounds: Bounds = field(default_factory=Bounds)
    enum: tuple[int, ...] | None = None

    def schema(self) -> core_schema.CoreSchema:
        if self.enum is not None:
            return _one_of_values(core_schema.int_schema(strict=True), self.enum)
        b = self.bounds
        return core_schema.int_schema(strict=True, ge=b.ge, gt=b.gt, le=b.le, lt=b.lt)  # type: ignore[arg-type]


def _one_of_values(strict: core_schema.CoreSchema, values: tuple) -> core_schema.CoreSchema:
    """The listed values of one JSON type. A literal schema alone compares by Python
    equality (true == 1, 1.0 == 1, 0 == false); inside a OneOf the value's tag already keeps
    JSON's types apart, and the strict type check first does so wherever the kind is used."""
    return core_schema.chain_schema([strict, core_schema.literal_schema(list(values))])


@dataclass(frozen=True)
class Float(Kind):
    """A finite Python float (a JSON number with a fraction or exponent)."""

    tag = TAG_MARK + "float"
    describe = "a float"
    bounds: Bounds = field(default_factory=Bounds)

    def schema(self) -> core_schema.CoreSchema:
        b = self.bounds
        return core_schema.float_schema(
            strict=True, allow_inf_nan=False, ge=b.ge, gt=b.gt, le=b.le, lt=b.lt
        )


@dataclass(frozen=True)
class NonFinite(Kind):
    """A non-finite Python float: ``{"float": "NaN" | "-NaN" | "Infinity" | "-Infinity"}``."""

    tag = TAG_MARK + "{float}"
    describe = '{"float": "NaN" | "-NaN" | "Infinity" | "-Infinity"}'
    allowed: tuple[str, ...] = ("NaN", "-NaN", "Infinity", "-Infinity")

    def schema(self) -> core_schema.CoreSchema:
        inner = closed_object(
            {"float": core_schema.typed_dict_field(core_schema.literal_schema(list(self.allowed)))},
        )
        return core_schema.no_info_after_validator_function(
            lambda d: NONFINITE_NAMES[d["float"]], inner
        )


@dataclass(frozen=True)
class Str(Kind):
    tag = TAG_MARK + "str"
    describe = "a string"
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None

    def schema(self) -> core_schema.CoreSchema:
        if self.enum is not None:
            return core_schema.literal_schema(list(self.enum))
        return core_schema.str_schema(strict=True, pattern=self.pattern, max_length=self.max_length)


@dataclass(frozen=True)
class NumpyScalar(Kind):
    """``{"float64": 0.5}`` → ``np.float64(0.5)``; the bounds apply to the value."""

    dtype: str = "float64"
    bounds: Bounds = field(default_factory=Bounds)
    describe = "a numpy scalar"

    @property
    def tag(self) -> str:  # type: ignore[override]
        return TAG_MARK + "{" + self.dtype + "}"

    def schema(self) -> core_schema.CoreSchema:
        name, bounds = self.dtype, self.bounds

        def decode(d: Any) -> Any:
            x = decode_numpy_scalar(name, _member(d, name))
            if name not in ("bool", "str_"):
                problem = bounds.check(x)
                if problem:
                    raise DecodeProblem((name,), problem)
            if name == "float32":
                record_decoded(d, x)  # written in float32's own shortest text (convert.py)
            return x

        if name not in NUMPY_SCALARS:
            raise ValueError(f"unknown numpy scalar dtype {name}")
        return _plain(decode)


@dataclass(frozen=True)
class ListOf(Kind):
    tag = TAG_MARK + "list"
    describe = "an array"
    items: OneOf | None = None
    prefix: tuple[OneOf, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None

    def schema(self) -> core_schema.CoreSchema:
        if self.prefix is not None:
            return core_schema.no_info_after_validator_function(
                list,
                # JSON gives lists; the items' own schemas stay strict.
                core_schema.tuple_schema([p.core() for p in self.prefix], strict=False),
            )

        def of(items: core_schema.CoreSchema) -> core_schema.CoreSchema:
            return items_of(items, min_length=self.min_items, max_length=self.max_items)

        if self.items is None:
            return of(AnyValue().schema())
        return _scalars_first(self.items, of)


@dataclass(frozen=True)
class TupleOf(Kind):
    """``{"tuple": [...]}`` → a Python tuple."""

    tag = TAG_MARK + "{tuple}"
    describe = '{"tuple": [...]}'
    items: OneOf | None = None
    prefix: tuple[OneOf, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None

    def schema(self) -> core_schema.CoreSchema:
        inner = ListOf(
            items=self.items, prefix=self.prefix, min_items=self.min_items, max_items=self.max_items
        ).schema()
        td = closed_object({"tuple": core_schema.typed_dict_field(inner)})
        return core_schema.no_info_after_validator_function(lambda d: tuple(d["tuple"]), td)


@dataclass(frozen=True)
class DictOf(Kind):
    """``{"dict": {"key": value, ...}}`` → a dict with string keys (order kept)."""

    tag = TAG_MARK + "{dict}"
    describe = '{"dict": {...}}'
    values: OneOf | None = None
    properties: tuple[tuple[str, OneOf, bool], ...] | None = None

    def schema(self) -> core_schema.CoreSchema:
        if self.properties is not None:
            inner: core_schema.CoreSchema = closed_object(
                {
                    name: core_schema.typed_dict_field(kind.core(), required=required)
                    for name, kind, required in self.properties
                },
            )
        elif self.values is None:
            inner = _str_dict(AnyValue().schema())
        else:
            inner = _scalars_first(self.values, _str_dict)
        td = closed_object({"dict": core_schema.typed_dict_field(inner)})
        return core_schema.no_info_after_validator_function(lambda d: dict(d["dict"]), td)


def _str_dict(values: core_schema.CoreSchema) -> core_schema.CoreSchema:
    return map_of(core_schema.str_schema(strict=True), values)


@dataclass(frozen=True)
class BunchOf(Kind):
    """``{"bunch": {"key": value, ...}}`` → ``sklearn.utils.Bunch`` (e.g. ``named_estimators_``)."""

    tag = TAG_MARK + "{bunch}"
    describe = '{"bunch": {...}}'
    values: OneOf | None = None

    def schema(self) -> core_schema.CoreSchema:
        if self.values is None:
            inner = _str_dict(AnyValue().schema())
        else:
            inner = _scalars_first(self.values, _str_dict)
        td = closed_object({"bunch": core_schema.typed_dict_field(inner)})

        def build(d: Any) -> Any:
            from sklearn.utils import Bunch

            return Bunch(**d["bunch"])

        return core_schema.no_info_after_validator_function(build, td)


@dataclass(frozen=True)
class Slice(Kind):
    """``{"slice": [start, stop, step]}`` → a Python slice of integers or nulls."""

    tag = TAG_MARK + "{slice}"
    describe = '{"slice": [start, stop, step]}'

    def schema(self) -> core_schema.CoreSchema:
        part = core_schema.nullable_schema(core_schema.int_schema(strict=True))
        td = closed_object(
            {"slice": core_schema.typed_dict_field(core_schema.tuple_schema([part, part, part]))},
        )
        return core_schema.no_info_after_validator_function(lambda d: slice(*d["slice"]), td)


@dataclass(frozen=True)
class DictItems(Kind):
    """``{"dict_items": [[key, value], ...]}`` → a dict whose keys are not all strings."""

    tag = TAG_MARK + "{dict_items}"
    describe = '{"dict_items": [[key, value], ...]}'
    keys: OneOf | None = None
    values: OneOf | None = None

    def schema(self) -> core_schema.CoreSchema:
        k = self.keys.core() if self.keys is not None else AnyValue().schema()
        v = self.values.core() if self.values is not None else AnyValue().schema()
        pairs = items_of(core_schema.tuple_schema([k, v], strict=False))
        td = closed_object({"dict_items": core_schema.typed_dict_field(pairs)})

        def build(d: Any) -> dict:
            out: dict = {}
            for i, (key, value) in enumerate(d["dict_items"]):
                try:
                    if key in out:
                        raise _located(("dict_items", i, 0), f"duplicate key {key!r}")
                except TypeError:
                    raise _located(("dict_items", i, 0), "key is not hashable") from None
                out[key] = value
            return out

        return core_schema.no_info_after_validator_function(build, td)


def _located(loc: tuple, message: str) -> ValidationError:
    return ValidationError.from_exception_data(
        "value", [{"type": _fail(message), "loc": loc, "input": None}]
    )


@dataclass(frozen=True)
class NDArray(Kind):
    """``{"ndarray": {...}}`` with a dtype and rank from ``allowed`` (dtype ``"U"`` = any width)."""

    tag = TAG_MARK + "{ndarray}"
    describe = '{"ndarray": {...}}'
    allowed: tuple[tuple[str, int], ...] = ()
    elements: OneOf | None = None  # what an object array's elements may be (default: any value)

    def schema(self) -> core_schema.CoreSchema:
        allowed = self.allowed
        decode_element = (
            decode_any_element if self.elements is None else _element_decoder(self.elements)
        )

        def decode(d: Any) -> np.ndarray:
            payload = d.get("ndarray") if isinstance(d, dict) and len(d) == 1 else None
            if not isinstance(payload, dict):
                raise DecodeProblem((), 'expected {"ndarray": {...}}')
            dtype = payload.get("dtype")
            shape = payload.get("shape")
            ndim = len(shape) if isinstance(shape, list) else -1
            family = "U" if isinstance(dtype, str) and dtype[:1] == "U" else dtype
            if not any(family == dt and (nd == ndim or nd < 0) for dt, nd in allowed):
                wanted = ", ".join(
                    f"{'str' if dt == 'U' else dt} ({nd}-D)" if nd >= 0 else dt
                    for dt, nd in allowed
                )
                # a dtype that is no dtype name as the file spells it: "NaN", {}, ""
                known = family == "U" or dtype in (*arrays.NUMERIC_DTYPES, "object")
                named = dtype if known else json.dumps(dtype)
                raise DecodeProblem(
                    ("ndarray",),
                    f"array is {named} ({ndim}-D); expected one of: {wanted}",
                    wrong_kind=True,
                )
            try:
                return arrays.decode_ndarray(payload, decode_element)
            except DecodeProblem as p:
                raise p.within("ndarray") from None

        return _plain(decode)


@dataclass(frozen=True)
class Recarray(Kind):
    tag = TAG_MARK + "{recarray}"
    describe = '{"recarray": {...}}'

    def schema(self) -> core_schema.CoreSchema:
        def decode(d: Any) -> np.ndarray:
            payload = _member(d, "recarray")
            try:
                return arrays.decode_recarray(payload)
            except DecodeProblem as p:
                raise p.within("recarray") from None

        return _plain(decode)


@dataclass(frozen=True)
class Sparse(Kind):
    tag = TAG_MARK + "{sparse}"
    describe = '{"sparse": {...}}'

    def schema(self) -> core_schema.CoreSchema:
        def decode(d: Any) -> Any:
            payload = _member(d, "sparse")
            try:
                return arrays.decode_sparse(payload)
            except DecodeProblem as p:
                raise p.within("sparse") from None

        return _plain(decode)


@dataclass(frozen=True)
class Named(Kind):
    """A closed-table object named by a string: ``{"function": "numpy.log1p"}`` and friends."""

    key: str = "function"
    names: tuple[str, ...] = ()
    describe = "a named object"

    @property
    def tag(self) -> str:  # type: ignore[override]
        return TAG_MARK + "{" + self.key + "}"

    def schema(self) -> core_schema.CoreSchema:
        key, names = self.key, self.names
        table = _NAMED_TABLES[key]

        def decode(d: Any) -> Any:
            name = _member(d, key)
            if not isinstance(name, str) or name not in names:
                raise DecodeProblem((key,), f"expected one of {', '.join(map(repr, names))}")
            return table(name)

        return _plain(decode)


_NAMED_TABLES: dict[str, Any] = {
    "function": objects.function,
    "type": lambda n: objects.TYPES[n],
    "dtype": lambda n: arrays.parse_dtype(n),
}


@dataclass(frozen=True)
class CompiledLoss(Kind):
    tag = TAG_MARK + "{closs}"
    describe = '{"closs": {...}}'
    names: tuple[str, ...] = ()

    def schema(self) -> core_schema.CoreSchema:
        names = self.names

        def decode(d: Any) -> Any:
            payload = _member(d, "closs")
            if isinstance(payload, dict) and payload.get("name") not in names:
                raise DecodeProblem(("closs", "name"), f"expected one of {', '.join(names)}")
            try:
                return objects.decode_compiled_loss(payload)
            except DecodeProblem as p:
                raise p.within("closs") from None

        return _plain(decode)


@dataclass(frozen=True)
class Loss(Kind):
    tag = TAG_MARK + "{loss}"
    describe = '{"loss": {...}}'
    names: tuple[str, ...] = ()

    def schema(self) -> core_schema.CoreSchema:
        names = self.names
        args = map_of(core_schema.str_schema(strict=True), OneOf((Int(), Float(), Null())).core())
        td = closed_object(
            {
                "name": core_schema.typed_dict_field(core_schema.literal_schema(list(names))),
                "args": core_schema.typed_dict_field(args),
                "constant_hessian": core_schema.typed_dict_field(
                    core_schema.bool_schema(strict=True)
                ),
            },
        )
        outer = closed_object({"loss": core_schema.typed_dict_field(td)})

        def build(d: Any) -> Any:
            p = d["loss"]
            try:
                return objects.decode_python_loss(p["name"], p["args"], p["constant_hessian"])
            except DecodeProblem as e:
                raise _located(("loss", *e.loc), e.message) from None

        return core_schema.no_info_after_validator_function(build, outer)


@dataclass(frozen=True)
class BSpline(Kind):
    tag = TAG_MARK + "{bspline}"
    describe = '{"bspline": {...}}'

    def schema(self) -> core_schema.CoreSchema:
        td = closed_object(
            {
                "t": core_schema.typed_dict_field(NDArray(allowed=(("float64", 1),)).schema()),
                "c": core_schema.typed_dict_field(
                    NDArray(allowed=(("float64", 1), ("float64", 2))).schema()
                ),
                "k": core_schema.typed_dict_field(core_schema.int_schema(strict=True, ge=0, le=20)),
                "extrapolate": core_schema.typed_dict_field(
                    core_schema.union_schema(
                        [
                            core_schema.bool_schema(strict=True),
                            core_schema.literal_schema(["periodic"]),
                        ]
                    )
                ),
                "axis": core_schema.typed_dict_field(
                    core_schema.int_schema(strict=True, ge=0, le=1)
                ),
            },
        )
        outer = closed_object({"bspline": core_schema.typed_dict_field(td)})

        def build(d: Any) -> Any:
            from scipy.interpolate import BSpline as _BSpline

            p = d["bspline"]
            t, c, k = p["t"], p["c"], p["k"]
            if t.shape[0] < 2 * k + 2:
                raise _located(("bspline", "t"), f"needs at least {2 * k + 2} knots for degree {k}")
            if c.shape[0] < t.shape[0] - k - 1:
                raise _located(("bspline", "c"), "fewer coefficients than knots - degree - 1")
            if (np.diff(t) < 0).any() or not np.isfinite(t).all():
                raise _located(("bspline", "t"), "knots must be finite and non-decreasing")
            if p["axis"] >= c.ndim:
                raise _located(("bspline", "axis"), "axis out of range for c")
            return _BSpline.construct_fast(t, c, k, extrapolate=p["extrapolate"], axis=p["axis"])

        return core_schema.no_info_after_validator_function(build, outer)


@dataclass(frozen=True)
class Registered(Kind):
    """An object kind from ``milo_codec.objects`` (random generators, tree structures, ...)."""

    name: str = ""
    describe = "an object"

    @property
    def tag(self) -> str:  # type: ignore[override]
        return TAG_MARK + "{" + self.name + "}"

    def schema(self) -> core_schema.CoreSchema:
        from milo_codec.objects import OBJECT_KINDS
        from milo_codec.objects.base import Pending

        name = self.name
        kind = OBJECT_KINDS[name]
        outer = closed_object({name: core_schema.typed_dict_field(kind.decoder())})
        if kind.build is None:
            return core_schema.no_info_after_validator_function(lambda d: d[name], outer)
        return core_schema.no_info_after_validator_function(lambda d: Pending(kind, d[name]), outer)


@dataclass(frozen=True)
class Alias(Kind):
    """``{"alias": "$.model..."}``: the same object as one written earlier (shared references)."""

    tag = TAG_MARK + "{alias}"
    describe = '{"alias": "$.model..."}'
    arrays: tuple[tuple[str, int], ...] = ()  # the field's own array kinds: what it may alias
    models: bool = False
    objects: tuple[str, ...] = ()

    def schema(self) -> core_schema.CoreSchema:
        from milo_codec.objects.base import AliasRef

        arrays, models, objects = self.arrays, self.models, self.objects
        td = closed_object(
            {
                "alias": core_schema.typed_dict_field(
                    core_schema.str_schema(strict=True, pattern=r"^\$\.model", max_length=4096)
                )
            },
        )
        return core_schema.no_info_after_validator_function(
            lambda d: AliasRef(d["alias"], arrays, models, objects), td
        )


@dataclass(frozen=True)
class Model(Kind):
    """A nested model node; ``schemas`` restricts which models may stand here (empty: any)."""

    tag = TAG_MARK + "model"
    describe = "a model node"
    schemas: tuple[str, ...] = ()

    def schema(self) -> core_schema.CoreSchema:
        allowed = self.schemas

        def validate(v: Any) -> Any:
            from milo_codec.codecs.registry import codec_for

            sid = v.get("schema")
            codec = codec_for(sid) if isinstance(sid, str) else None
            if codec is None:
                raise _located(
                    ("schema",),
                    f"unknown model schema {sid!r}; milo_codec.supported_models() lists the known ones",
                )
            if allowed and sid not in allowed:
                raise _located(("schema",), f"this field does not accept {codec.class_path}")
            return codec.node.model_validate(v)

        return core_schema.no_info_plain_validator_function(validate)


@dataclass(frozen=True)
class AnyValue(Kind):
    """Any value of the milo encoding except a model node (object-array elements, untyped slots).

    Nested models stand only where a schema names the model kind, never inside generic values.
    """

    tag = TAG_MARK + "*"
    describe = "any value"

    def schema(self) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(_validate_any)


def _generic_kinds() -> OneOf:
    return OneOf(
        (
            Null(),
            Bool(),
            Int(),
            Float(),
            Str(),
            NonFinite(),
            *(NumpyScalar(dtype=n) for n in NUMPY_SCALARS),
            ListOf(),
            TupleOf(),
            DictOf(),
            DictItems(),
            BunchOf(),
            Slice(),
            NDArray(allowed=tuple((dt, -1) for dt in (*arrays.NUMERIC_DTYPES, "U", "object"))),
            Sparse(),
            Recarray(),
            Named(key="dtype", names=(*arrays.NUMERIC_DTYPES, "object")),
            Named(key="type", names=tuple(objects.TYPES)),
            Alias(arrays=tuple((dt, -1) for dt in (*arrays.NUMERIC_DTYPES, "U", "object"))),
        )
    )


_ANY_VALIDATOR: list[Any] = []


def _validate_any(v: Any) -> Any:
    if not _ANY_VALIDATOR:
        from typing import Annotated

        from pydantic import TypeAdapter

        _ANY_VALIDATOR.append(TypeAdapter(Annotated[Any, _generic_kinds()]))
    # Not validate_python(strict=True): that would override the deliberately lax container
    # of [key, value] pairs (JSON lists); every value kind sets its own strictness.
    return _ANY_VALIDATOR[0].validate_python(v)


def decode_any_element(v: Any, loc: tuple[str | int, ...]) -> Any:
    try:
        return _validate_any(v)
    except ValidationError as e:
        raise first_problem(e, loc) from None


def closest_alternatives(errors: list[Any]) -> list[Any]:
    """The errors, keeping of each union whose alternatives read alike (two lists of arrays
    of other dtypes) only those of the alternative that came closest: the fewest errors,
    then the deepest. Its message names what is wrong, where "an array or an array" would not.
    """
    order: list[Any] = []  # errors, and in its first error's place each union's location
    unions: dict[tuple, dict[str, list[Any]]] = {}
    for e in errors:
        loc = e["loc"]
        at = next((i for i, p in enumerate(loc) if _is_alternative(p)), None)
        if at is None:
            order.append(e)
            continue
        where = tuple(loc[:at])
        if where not in unions:
            order.append(where)
        # the label marked consumed, so that nested unions are resolved in turn
        seen = {**e, "loc": (*loc[:at], TAG_MARK, *loc[at + 1 :])}
        unions.setdefault(where, {}).setdefault(loc[at], []).append(seen)
    out: list[Any] = []
    for item in order:
        if type(item) is not tuple:
            out.append(item)
            continue
        alternatives = unions[item].values()
        closest = max(alternatives, key=_closeness)
        out.extend(closest_alternatives(closest))
    return out


def _is_alternative(part: Any) -> bool:
    return isinstance(part, str) and part.startswith(ALTERNATIVE_MARK)


def _closeness(errors: list[Any]) -> tuple:
    """How close an alternative came: values of the right kind (an array of its dtype), then
    the fewest errors, then the deepest and furthest (arrays stop at their first wrong item,
    so an alternative that failed at item 3 got further than one that failed at item 0)."""
    wrong_kinds = sum(1 for e in errors if e["type"] == WRONG_KIND_ERROR)
    return (-wrong_kinds, -len(errors), max(map(_progress, errors)))


def _progress(error: Any) -> tuple[int, tuple[int, ...]]:
    path = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith(TAG_MARK))]
    return len(path), tuple(p for p in path if isinstance(p, int))


_MESSAGES = {
    "extra_forbidden": "unknown field; remove it (fields are fixed by the schema)",
    "missing": "required field is missing",
}


def error_message(error: Any) -> str:
    """A pydantic error's message in milo's words (pydantic's own for most kinds of error)."""
    if error["type"] == "literal_error" and "expected" in error.get("ctx", {}):
        return f"expected {error['ctx']['expected']}"
    return _MESSAGES.get(error["type"], error["msg"])


def chosen_errors(error: ValidationError) -> list[Any]:
    """A validation's errors, of each union only its closest alternative's."""
    return closest_alternatives(error.errors(include_url=False, include_input=False))


def first_problem(e: ValidationError, loc: tuple[str | int, ...]) -> DecodeProblem:
    """The first problem of a nested validation, placed at ``loc`` in the document."""
    err = chosen_errors(e)[0]
    inner = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith(TAG_MARK)))
    return DecodeProblem((*loc, *inner), error_message(err))


def _element_decoder(elements: OneOf) -> Any:
    """Decode object-array elements with the kinds a schema allows (e.g. model nodes)."""
    validator = SchemaValidator(elements.core())

    def decode(v: Any, loc: tuple[str | int, ...]) -> Any:
        try:
            return validator.validate_python(v)
        except ValidationError as e:
            raise first_problem(e, loc) from None

    return decode


@dataclass(frozen=True)
class OneOf:
    """The kinds a field may hold. Used as ``Annotated[T, OneOf((...))]`` in generated codecs."""

    kinds: Sequence[Kind]

    def core(self) -> core_schema.CoreSchema:
        kinds = _merge_string_enums(self.kinds)
        by_tag: dict[str, list[Kind]] = {}
        for k in kinds:
            if isinstance(k, AnyValue):
                return k.schema()
            by_tag.setdefault(k.tag, []).append(k)
        choices: dict[Any, core_schema.CoreSchema] = {}
        floats = [k for k in kinds if isinstance(k, Float)]
        for tag, same in by_tag.items():
            bounded = any(isinstance(k, Int) and k.bounds != Bounds() for k in same)
            if tag == Int.tag and floats and bounded:
                # An integer out of range where floats are taken too (min_samples_split: an
                # integer ≥ 2 or a float ≤ 1): say both, since JSON's 1 and 1.0 look alike.
                choices[tag] = core_schema.custom_error_schema(
                    core_schema.union_schema([k.schema() for k in same], mode="left_to_right"),
                    custom_error_type="milo",
                    custom_error_message=f"expected {_describe_alternatives([*same, *floats])}",
                )
            elif len(same) == 1:
                choices[tag] = same[0].schema()
            elif len({_describe_alternatives([k]) for k in same}) == 1:
                choices[tag] = core_schema.union_schema(
                    [(k.schema(), f"{ALTERNATIVE_MARK}{i}") for i, k in enumerate(same)],
                    mode="left_to_right",
                )
            else:  # e.g. two integer ranges: one message naming both
                choices[tag] = core_schema.union_schema(
                    [k.schema() for k in same],
                    mode="left_to_right",
                    custom_error_type="milo",
                    custom_error_message=f"expected {_describe_alternatives(same)}",
                )
        expected = _describe_expected(kinds)
        return core_schema.tagged_union_schema(
            choices,
            discriminator=value_tag,
            custom_error_type="milo",
            custom_error_message=f"expected {expected}",
        )

    def __get_pydantic_core_schema__(
        self, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return self.core()


# What a JSON scalar kind's values are, as compiled checks of exactly the type ``value_tag``
# picks the kind by (strict integers exclude booleans); such values decode to themselves.
_SCALAR_TYPES: dict[type, core_schema.CoreSchema] = {
    Null: core_schema.none_schema(),
    Bool: core_schema.is_instance_schema(bool),
    Int: core_schema.int_schema(strict=True),
    Float: core_schema.is_instance_schema(float),
    Str: core_schema.is_instance_schema(str),
}


def _scalars_first(
    elements: OneOf, container: Callable[[core_schema.CoreSchema], core_schema.CoreSchema]
) -> core_schema.CoreSchema:
    """``container(elements.core())``, first tried with the elements' JSON scalar kinds chosen
    by exact type in compiled code.

    The tagged union calls ``value_tag`` (Python) once per element: 15 ms for a vocabulary of
    50,000 terms, against 4 ms this way. The quick pass accepts a subset of what the union
    accepts (an element of a non-scalar kind fails it) and decodes it to the same values;
    anything it refuses goes through the union, whose errors are the ones reported.
    """
    full = container(elements.core())
    kinds = [k for k in _merge_string_enums(elements.kinds) if type(k) in _SCALAR_TYPES]
    if not kinds or any(isinstance(k, AnyValue) for k in elements.kinds):
        return full
    scalars = core_schema.union_schema(
        [core_schema.chain_schema([_SCALAR_TYPES[type(k)], k.schema()]) for k in kinds],
        mode="left_to_right",
    )
    quick = SchemaValidator(container(scalars))

    def validate(v: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
        try:
            return quick.validate_python(v)
        except ValidationError:
            return handler(v)

    return core_schema.no_info_wrap_validator_function(validate, full)


def _merge_string_enums(kinds: Sequence[Kind]) -> list[Kind]:
    """String options split over several schema branches become one enum."""
    enums = [k for k in kinds if isinstance(k, Str) and k.enum is not None]
    if len(enums) < 2:
        return list(kinds)
    merged = Str(enum=tuple(dict.fromkeys(v for k in enums for v in k.enum or ())))
    out: list[Kind] = []
    for k in kinds:
        if k in enums:
            if merged not in out:
                out.append(merged)
        else:
            out.append(k)
    return out


def _describe_alternatives(kinds: Sequence[Kind]) -> str:
    parts = []
    for k in kinds:
        bounds = getattr(k, "bounds", None)
        text = k.describe
        if isinstance(bounds, Bounds):
            limits = [
                f"{op} {v}"
                for op, v in (
                    ("≥", bounds.ge),
                    (">", bounds.gt),
                    ("≤", bounds.le),
                    ("<", bounds.lt),
                )
                if v is not None
            ]
            if limits:
                text += " " + " and ".join(limits)
        parts.append(text)
    return " or ".join(parts)


def describe_accepted(one_of: OneOf) -> str:
    """What a field accepts, as its error messages say it (e.g. "one of 'knn', 'rbf'")."""
    return _describe_expected(_merge_string_enums(one_of.kinds))


def _describe_expected(kinds: Sequence[Kind]) -> str:
    parts: list[str] = []
    for k in kinds:
        if isinstance(k, Str) and k.enum is not None:
            d = "one of " + ", ".join(repr(x) for x in k.enum)
        elif isinstance(k, NumpyScalar):
            d = f'{{"{k.dtype}": ...}}'
        elif isinstance(k, Named):
            d = f'{{"{k.key}": ...}}'
        elif isinstance(k, Float) and not any(isinstance(i, Int) for i in kinds):
            d = "a float (a number with a decimal point or an exponent, e.g. 1.0)"
        else:
            d = k.describe
        if d not in parts:
            parts.append(d)
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]
