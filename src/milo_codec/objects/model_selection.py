"""Object kinds of the model_selection family: CV splitters, scorers, frozen distributions.

All three are written as *what they are built from*, by names from closed tables here, and
rebuilt by scikit-learn/scipy's own constructors; ``dump`` rebuilds each one and refuses to
write it unless the rebuilt object has exactly the original's attributes (so a splitter
whose attributes were changed after construction, a scorer made by ``make_scorer`` from a
custom function, or a distribution outside the table is refused by name, never guessed).

* ``cv_splitter``: the splitters of ``sklearn.model_selection`` with their constructor
  parameters (``{"splitter": "KFold", "params": {...}}``). A ``random_state`` that is a
  ``RandomState`` is written as one (or an alias of one written earlier), so ``split()``
  after loading yields the very same folds. Any schema's ``cv`` parameter can reference
  ``common/model_selection/v1.json#/$defs/cv_splitter``.
* ``scorer``: ``{"name": "accuracy"}`` (a scorer of ``sklearn.metrics.get_scorer_names()``),
  ``{"passthrough": <model or alias>}`` (``estimator.score``), or ``{"curve": {...}}``
  (the threshold-curve scorer TunedThresholdClassifierCV builds from a named scorer).
* ``distribution``: a frozen ``scipy.stats`` distribution from a closed list, with its
  ``args``/``kwds`` and its own random state (``null``: numpy's global one).
"""

from __future__ import annotations

import functools
import types
from typing import Any

import numpy as np
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, instance_of

_SCHEMA = "common/model_selection/v1.json"
_UINT32_MAX = 2**32 - 1


def _fail(message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("milo", message, context or None)


def same_state(a: Any, b: Any, generated: bool = False) -> bool:
    """Whether two objects hold exactly the same attributes (types, bits, identities).

    Functions must be the same object, except with ``generated``: scipy.stats makes each
    distribution's argument parsers per instance from one template, so there they are
    compared by their code.
    """

    def same(x: Any, y: Any) -> bool:
        return same_state(x, y, generated)

    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "O":
            return all(same(x, y) for x, y in zip(a.flat, b.flat, strict=True))
        return a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.tobytes() == b.tobytes()
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if a is None or isinstance(a, bool | int | float | str | type):
        return a == b or (a != a and b != b)  # NaN equals NaN here
    if isinstance(a, np.random.RandomState | np.random.Generator):
        return a is b
    if hasattr(a, "__func__"):  # a bound method: the same function (its owner is compared)
        return same(a.__func__, b.__func__)
    if isinstance(a, types.FunctionType):
        if a is b:
            return True
        return generated and a.__code__ == b.__code__ and a.__qualname__ == b.__qualname__
    if callable(a) and not hasattr(a, "__dict__"):
        return a is b
    if hasattr(a, "__dict__"):
        return same(vars(a), vars(b))
    return bool(a == b)


# ---------------------------------------------------------------------------
# CV splitters

# name → constructor parameters, in the constructor's order
SPLITTERS: dict[str, tuple[str, ...]] = {
    "KFold": ("n_splits", "shuffle", "random_state"),
    "StratifiedKFold": ("n_splits", "shuffle", "random_state"),
    "GroupKFold": ("n_splits", "shuffle", "random_state"),
    "StratifiedGroupKFold": ("n_splits", "shuffle", "random_state"),
    "TimeSeriesSplit": ("n_splits", "max_train_size", "test_size", "gap"),
    "ShuffleSplit": ("n_splits", "test_size", "train_size", "random_state"),
    "StratifiedShuffleSplit": ("n_splits", "test_size", "train_size", "random_state"),
    "GroupShuffleSplit": ("n_splits", "test_size", "train_size", "random_state"),
    "RepeatedKFold": ("n_splits", "n_repeats", "random_state"),
    "RepeatedStratifiedKFold": ("n_splits", "n_repeats", "random_state"),
    "LeaveOneOut": (),
    "LeavePOut": ("p",),
    "LeaveOneGroupOut": (),
    "LeavePGroupsOut": ("n_groups",),
    "PredefinedSplit": ("test_fold",),
    # an iterable of (train, test) index arrays given as cv, as scikit-learn wraps it
    "splits": ("cv",),
}
_SHUFFLING = ("KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold")


@functools.cache
def _splitter_classes() -> dict[str, type]:
    import sklearn.model_selection as ms
    from sklearn.model_selection._split import _CVIterableWrapper

    table = {name: getattr(ms, name) for name in SPLITTERS if name != "splits"}
    return {**table, "splits": _CVIterableWrapper}


def _splitter_name(v: Any) -> str | None:
    return next((n for n, cls in _splitter_classes().items() if cls is type(v)), None)


def _index_pairs_ok(cv: Any) -> bool:
    return isinstance(cv, list) and all(
        type(pair) is tuple
        and len(pair) == 2
        and all(type(a) is np.ndarray and a.ndim == 1 and a.dtype.kind == "i" for a in pair)
        for pair in cv
    )


_is_splitter = instance_of(
    "sklearn.model_selection._split", "BaseCrossValidator", "BaseShuffleSplit", "_RepeatedSplits"
)


def _splitter_params(v: Any, name: str) -> dict[str, Any]:
    state = vars(v)
    if name.startswith("Repeated"):
        return {
            "n_splits": state.get("cvargs", {}).get("n_splits"),
            "n_repeats": state.get("n_repeats"),
            "random_state": state.get("random_state"),
        }
    return {p: state.get(p) for p in SPLITTERS[name]}


def _encode_splitter(v: Any, encode: Encode, path: str) -> Any:
    name = _splitter_name(v)
    if name is None:
        raise TypeError(
            f"cross-validation splitters other than {', '.join(SPLITTERS)} "
            f"(this one is {type(v).__module__}.{type(v).__qualname__})"
        )
    params = _splitter_params(v, name)
    for p, x in params.items():
        if p == "cv":
            ok = _index_pairs_ok(x)
        elif p == "test_fold":
            ok = isinstance(x, np.ndarray)
        else:
            ok = x is None or type(x) in (bool, int, float) or type(x) is np.random.RandomState
        if not ok:
            raise TypeError(
                f"{name} with {p} = {x!r} (Python numbers, None or a RandomState; "
                "splits as a list of (train, test) integer arrays)"
            )
    try:
        again = _rebuild(type(v), params)
    except Exception as e:
        raise TypeError(f"{name} objects that cannot be rebuilt ({e})") from None
    if not same_state(vars(again), vars(v)):
        raise TypeError(f"{name} objects whose attributes were changed after construction")
    return {
        "splitter": name,
        "params": {p: encode(x, f"{path}.params.{p}") for p, x in params.items()},
    }


def _random_state_field() -> core_schema.CoreSchema:
    return k.OneOf(
        (
            k.Null(),
            k.Int(bounds=k.Bounds(ge=0, le=_UINT32_MAX)),
            k.Registered(name="random_state"),
            k.Alias(objects=("random_state",)),
        )
    ).core()


def _size_field() -> core_schema.CoreSchema:
    """test_size / train_size: a fraction in (0, 1), a count, or null."""
    return k.OneOf(
        (k.Null(), k.Float(bounds=k.Bounds(gt=0.0, lt=1.0)), k.Int(bounds=k.Bounds(ge=1)))
    ).core()


def _int(ge: int) -> core_schema.CoreSchema:
    return core_schema.int_schema(strict=True, ge=ge, le=2**63 - 1)


_INDEX_ARRAYS = (("int64", 1), ("int32", 1))
# normally aliases of the arrays of the cv parameter itself
_INDICES = k.OneOf((k.NDArray(allowed=_INDEX_ARRAYS), k.Alias(arrays=_INDEX_ARRAYS)))


def _splitter_params_schema(name: str) -> core_schema.CoreSchema:
    field = core_schema.typed_dict_field
    n_splits_min = 1 if name.endswith("ShuffleSplit") else 2
    schemas: dict[str, core_schema.CoreSchema] = {
        "n_splits": _int(n_splits_min),
        "shuffle": core_schema.bool_schema(strict=True),
        "random_state": _random_state_field(),
        "max_train_size": k.OneOf((k.Null(), k.Int(bounds=k.Bounds(ge=1)))).core(),
        "gap": _int(0),
        "n_repeats": _int(1),
        "p": _int(1),
        "n_groups": _int(1),
        "test_fold": k.NDArray(allowed=(("int64", 1),)).schema(),
        "cv": k.ListOf(
            items=k.OneOf((k.TupleOf(prefix=(_INDICES, _INDICES)),)), min_items=1
        ).schema(),
    }
    fields = {}
    for p in SPLITTERS[name]:
        if p == "test_size" and name == "TimeSeriesSplit":
            fields[p] = field(k.OneOf((k.Null(), k.Int(bounds=k.Bounds(ge=1)))).core())
        elif p in ("test_size", "train_size"):
            fields[p] = field(_size_field())
        else:
            fields[p] = field(schemas[p])
    return k.closed_object(fields)


def _splitter_decoder() -> core_schema.CoreSchema:
    choices: dict[Any, core_schema.CoreSchema] = {
        name: k.closed_object(
            {
                "splitter": core_schema.typed_dict_field(core_schema.literal_schema([name])),
                "params": core_schema.typed_dict_field(_splitter_params_schema(name)),
            },
        )
        for name in SPLITTERS
    }

    def check(p: dict) -> dict:
        name, params = p["splitter"], p["params"]
        if name in _SHUFFLING and not params["shuffle"] and type(params["random_state"]) is int:
            # scikit-learn refuses it too: the folds would not depend on the seed. (A
            # generator is possible: stacking estimators give one to their splitter.)
            raise _fail("random_state must not be a seed when shuffle is false")
        if name == "PredefinedSplit" and params["test_fold"].shape[0] < 1:
            raise _fail("test_fold must not be empty")
        return p  # inert: a RandomState alias is resolved at construction

    union = core_schema.tagged_union_schema(
        choices,
        discriminator="splitter",
        custom_error_type="milo",
        custom_error_message=f"expected a splitter named one of {', '.join(SPLITTERS)}",
    )
    return core_schema.no_info_after_validator_function(check, union)


def _rebuild(cls: type, params: dict[str, Any]) -> Any:
    """The splitter from its parameters, as scikit-learn may have left it.

    Stacking estimators set ``cv.random_state = RandomState()`` on an unshuffled splitter
    they are given, a state the constructor itself refuses: it is set the same way here.
    """
    if params.get("shuffle") is False and params.get("random_state") is not None:
        splitter = cls(**{**params, "random_state": None})
        splitter.random_state = params["random_state"]
        return splitter
    return cls(**params)


def _build_splitter(p: dict) -> Any:
    return _rebuild(_splitter_classes()[p["splitter"]], p["params"])


# ---------------------------------------------------------------------------
# Scorers


@functools.cache
def scorer_names() -> tuple[str, ...]:
    from sklearn.metrics import get_scorer_names

    return tuple(get_scorer_names())


def _named_scorer(name: str) -> Any:
    from sklearn.metrics import get_scorer

    return get_scorer(name)


def _scorer_name(v: Any) -> str | None:
    """The name whose scorer is exactly ``v`` (the same function, sign, arguments)."""
    for name in scorer_names():
        if same_state(vars(_named_scorer(name)), vars(v)):
            return name
    return None


def _score_func_name(v: Any) -> str:
    f = getattr(v, "_score_func", v)
    return f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', type(f).__qualname__)}"


_is_scorer = instance_of("sklearn.metrics._scorer", "_BaseScorer", "_PassthroughScorer")


def _not_named(v: Any) -> TypeError:
    return TypeError(
        f"scorers other than scikit-learn's named ones (this one scores with "
        f"{_score_func_name(v)}); allowed: {', '.join(scorer_names())}"
    )


def _encode_scorer(v: Any, encode: Encode, path: str) -> Any:
    from sklearn.metrics._scorer import _CurveScorer, _PassthroughScorer, _Scorer

    if type(v) is _PassthroughScorer:
        if set(vars(v)) != {"_estimator"}:
            raise TypeError("passthrough scorers with extra attributes")
        return {"passthrough": encode(v._estimator, f"{path}.passthrough")}
    if type(v) is _Scorer:
        name = _scorer_name(v)
        if name is None:
            raise _not_named(v)
        return {"name": name}
    if type(v) is _CurveScorer:
        base = {key: x for key, x in vars(v).items() if key in ("_score_func", "_sign", "_kwargs")}
        name = next(
            (
                n
                for n in scorer_names()
                if same_state(
                    base,
                    {
                        key: x
                        for key, x in vars(_named_scorer(n)).items()
                        if key in ("_score_func", "_sign", "_kwargs")
                    },
                )
            ),
            None,
        )
        if name is None:
            raise _not_named(v)
        payload = {
            "name": name,
            "response_method": v._response_method,
            "thresholds": v._thresholds,
        }
        if not same_state(vars(_build_curve(payload)), vars(v)):
            raise TypeError(
                "threshold-curve scorers with attributes their constructor does not set"
            )
        return {
            "curve": {
                "name": name,
                "response_method": encode(v._response_method, f"{path}.curve.response_method"),
                "thresholds": encode(v._thresholds, f"{path}.curve.thresholds"),
            }
        }
    raise _not_named(v)


def _build_curve(p: dict) -> Any:
    from sklearn.metrics._scorer import _CurveScorer

    return _CurveScorer.from_scorer(_named_scorer(p["name"]), p["response_method"], p["thresholds"])


_THRESHOLD_ARRAYS = (("float64", 1), ("int64", 1))
_RESPONSE = k.Str(enum=("predict_proba", "decision_function"))


def _scorer_decoder() -> core_schema.CoreSchema:
    field = core_schema.typed_dict_field
    names = core_schema.literal_schema(list(scorer_names()))
    response = k.OneOf(
        (
            _RESPONSE,
            k.ListOf(items=k.OneOf((_RESPONSE,)), min_items=1),
            k.TupleOf(items=k.OneOf((_RESPONSE,)), min_items=1),
        )
    )
    curve = k.closed_object(
        {
            "name": field(names),
            "response_method": field(response.core()),
            "thresholds": field(
                k.OneOf(
                    (
                        k.Int(bounds=k.Bounds(ge=1)),
                        k.NDArray(allowed=_THRESHOLD_ARRAYS),
                        k.ListOf(items=k.OneOf((k.Float(), k.Int())), min_items=1),
                        # normally the estimator's own thresholds parameter
                        k.Alias(arrays=_THRESHOLD_ARRAYS),
                    )
                ).core()
            ),
        },
    )
    choices: dict[Any, core_schema.CoreSchema] = {
        "name": k.closed_object({"name": field(names)}),
        "passthrough": k.closed_object(
            {"passthrough": field(k.OneOf((k.Model(), k.Alias(models=True))).core())},
        ),
        "curve": k.closed_object({"curve": field(curve)}),
    }

    def tag(v: Any) -> str | None:
        return next(iter(v)) if isinstance(v, dict) and len(v) == 1 else None

    return core_schema.tagged_union_schema(
        choices,
        discriminator=tag,
        custom_error_type="milo",
        custom_error_message='expected {"name": ...}, {"passthrough": ...} or {"curve": {...}}',
    )


def _build_scorer(p: dict) -> Any:
    from sklearn.metrics._scorer import _PassthroughScorer

    if "passthrough" in p:
        return _PassthroughScorer(p["passthrough"])
    if "curve" in p:
        return _build_curve(p["curve"])
    return _named_scorer(p["name"])


# ---------------------------------------------------------------------------
# Frozen scipy.stats distributions (RandomizedSearchCV's param_distributions)

DISTRIBUTIONS = (
    "uniform",
    "loguniform",
    "reciprocal",
    "norm",
    "truncnorm",
    "halfnorm",
    "expon",
    "lognorm",
    "gamma",
    "beta",
    "randint",
    "poisson",
    "geom",
    "binom",
)


@functools.cache
def _distribution_table() -> dict[str, Any]:
    import scipy.stats

    return {name: getattr(scipy.stats, name) for name in DISTRIBUTIONS}


_is_distribution = instance_of("scipy.stats._distn_infrastructure", "rv_frozen")


def _distribution_name(v: Any) -> str | None:
    name = getattr(getattr(v, "dist", None), "name", None)
    table = _distribution_table()
    if name in table and type(v.dist) is type(table[name]):
        return str(name)
    return None


def _number_ok(x: Any) -> bool:
    return type(x) in (int, float, np.int64, np.float64)


def _attributes(v: Any) -> dict[str, Any]:
    return dict(sorted(vars(v).items()))


def _encode_distribution(v: Any, encode: Encode, path: str) -> Any:
    name = _distribution_name(v)
    if name is None:
        raise TypeError(
            f"distributions other than scipy.stats {', '.join(DISTRIBUTIONS)} "
            f"(this one is {type(getattr(v, 'dist', v)).__qualname__})"
        )
    args, kwds = v.args, v.kwds
    if type(args) is not tuple or type(kwds) is not dict:
        raise TypeError(f"{name} distributions with unusual args/kwds")
    if not (all(map(_number_ok, args)) and all(map(_number_ok, kwds.values()))):
        raise TypeError(f"{name} distributions whose parameters are not plain numbers")
    rs = v.dist._random_state
    again = _distribution_table()[name](*args, **kwds)
    # Attribute order is not state: a deep copy (as ``clone`` makes of a search's
    # distributions) re-attaches scipy's generated argument parsers after the rest.
    mine, theirs = _attributes(v), _attributes(again)
    mine["dist"], theirs["dist"] = _attributes(v.dist), _attributes(again.dist)
    mine["dist"].pop("_random_state"), theirs["dist"].pop("_random_state")
    if not same_state(mine, theirs, generated=True):
        raise TypeError(f"{name} distributions whose attributes were changed after freezing")
    if rs is not np.random.mtrand._rand and type(rs) not in (
        np.random.RandomState,
        np.random.Generator,
    ):
        raise TypeError(f"{name} distributions with random_state {rs!r}")
    return {
        "name": name,
        "args": [encode(a, f"{path}.args[{i}]") for i, a in enumerate(args)],
        "kwds": {key: encode(x, f"{path}.kwds.{key}") for key, x in kwds.items()},
        # numpy's global RandomState (the default) is not state of the model
        "random_state": None
        if rs is np.random.mtrand._rand
        else encode(rs, f"{path}.random_state"),
    }


_NUMBER = k.OneOf(
    (
        k.Int(),
        k.Float(),
        k.NonFinite(),
        k.NumpyScalar(dtype="int64"),
        k.NumpyScalar(dtype="float64"),
    )
)


def _distribution_decoder() -> core_schema.CoreSchema:
    field = core_schema.typed_dict_field
    fields = {
        "name": field(core_schema.literal_schema(list(DISTRIBUTIONS))),
        "args": field(k.ListOf(items=_NUMBER, max_items=8).schema()),
        "kwds": field(
            k.map_of(
                core_schema.str_schema(strict=True, pattern=r"^[a-z_]{1,20}$"),
                _NUMBER.core(),
            )
        ),
        "random_state": field(
            k.OneOf(
                (
                    k.Null(),
                    k.Registered(name="random_state"),
                    k.Registered(name="generator"),
                    k.Alias(objects=("random_state", "generator")),
                )
            ).core()
        ),
    }

    def check(p: dict) -> dict:
        # scipy validates the shape parameters lazily (an invalid one gives NaN draws):
        # freezing here refuses a wrong number of arguments before anything else is built.
        try:
            frozen = _distribution_table()[p["name"]](*p["args"], **p["kwds"])
        except (TypeError, ValueError) as e:
            raise _fail(
                "invalid arguments for {name}: {error}", name=p["name"], error=str(e)
            ) from None
        shapes, _, scale = frozen.dist._parse_args(*p["args"], **p["kwds"])
        if not (bool(np.all(frozen.dist._argcheck(*shapes))) and scale > 0):
            raise _fail("invalid parameters for {name}", name=p["name"])
        return p

    return core_schema.no_info_after_validator_function(check, k.closed_object(fields))


def _build_distribution(p: dict) -> Any:
    frozen = _distribution_table()[p["name"]](*p["args"], **p["kwds"])
    if p["random_state"] is not None:
        frozen.random_state = p["random_state"]
    return frozen


KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        tag="cv_splitter",
        schema_file=_SCHEMA,
        matches=_is_splitter,
        encode=_encode_splitter,
        decoder=_splitter_decoder,
        build=_build_splitter,
        shareable=True,
    ),
    ObjectKind(
        tag="scorer",
        schema_file=_SCHEMA,
        matches=_is_scorer,
        encode=_encode_scorer,
        decoder=_scorer_decoder,
        build=_build_scorer,
        shareable=True,
    ),
    ObjectKind(
        tag="distribution",
        schema_file=_SCHEMA,
        matches=_is_distribution,
        encode=_encode_distribution,
        decoder=_distribution_decoder,
        build=_build_distribution,
        shareable=True,
    ),
)
