"""Closed tables of the non-data objects a model may hold, and how each is written and rebuilt.

Nothing outside these tables can be written or read: a file names an entry by its key and
can never name an arbitrary import path. Every entry is bound here, in code.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from milo_codec.values.problems import DecodeProblem


class ClosedTable(Mapping[str, Any]):
    """Names → objects, each found on first use by the module and attribute written here.

    The names are known without importing anything (schemas and error messages list them);
    an object's module is imported only when a file or a model uses that entry.
    """

    def __init__(self, where: dict[str, tuple[str, str]]) -> None:
        self._where = where
        self._found: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        found = self._found.get(name, _MISSING)
        if found is _MISSING:
            module, attribute = self._where[name]
            found = self._found[name] = getattr(importlib.import_module(module), attribute)
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._where  # without importing the entry's module

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def name_of(self, value: Any) -> str | None:
        """The name of exactly this object; entries whose module is not loaded are skipped,
        since no value can be their object."""
        for name, (module, _) in self._where.items():
            if module in sys.modules and self[name] is value:
                return name
        return None


_MISSING = object()

# Functions a model may hold (e.g. FunctionTransformer's func). A schema narrows this list
# further for each field; this table only maps the names used in files to the objects.
FUNCTIONS = ClosedTable(
    {
        **{
            f"numpy.{name}": ("numpy", name)
            for name in (
                "abs",
                "arcsinh",
                "arctan",
                "cbrt",
                "exp",
                "exp2",
                "expm1",
                "log",
                "log10",
                "log1p",
                "log2",
                "negative",
                "reciprocal",
                "sign",
                "sinh",
                "sqrt",
                "square",
                "tanh",
                "arctanh",
                # pooling functions (FeatureAgglomeration.pooling_func: called as f(X, axis=1))
                "mean",
                "median",
                "max",
                "min",
            )
        },
        # The univariate selectors' score functions (score_func=): each schema narrows a
        # field to the ones that make sense there.
        **{
            f"sklearn.feature_selection.{name}": ("sklearn.feature_selection", name)
            for name in (
                "f_classif",
                "f_regression",
                "r_regression",
                "chi2",
                "mutual_info_classif",
                "mutual_info_regression",
            )
        },
    }
)


# Python and numpy type objects used as parameters (e.g. ``dtype=np.float64``).
TYPES: dict[str, type] = {
    "builtins.bool": bool,
    "builtins.int": int,
    "builtins.float": float,
    "builtins.str": str,
    "builtins.object": object,
    **{
        f"numpy.{name}": getattr(np, name)
        for name in (
            "bool_",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float32",
            "float64",
            # Abstract scalar types: dtype selections such as make_column_selector's
            # dtype_include=numpy.number.
            "number",
            "integer",
            "signedinteger",
            "unsignedinteger",
            "floating",
            "object_",
            "datetime64",
            "timedelta64",
        )
    },
}


def _identity_lookup(table: dict[str, Any], value: Any) -> str | None:
    for name, obj in table.items():
        if obj is value:
            return name
    return None


# Functions scikit-learn itself builds with functools.partial (never user code), matched by
# structure: HistGradientBoosting's categorical preprocessor holds this one.
_CHECK_ARRAY_FLOAT64 = "sklearn.utils.check_array(dtype=[numpy.float64], ensure_all_finite=False)"


def _partials() -> dict[str, tuple[Any, tuple, dict]]:
    from sklearn.utils.validation import check_array

    return {
        _CHECK_ARRAY_FLOAT64: (check_array, (), {"dtype": [np.float64], "ensure_all_finite": False})
    }


# scikit-learn's own module-level functions that a fitted model keeps (chosen by a parameter,
# never by user code): BisectingKMeans holds the k-means routine of its ``algorithm``.
_SKLEARN_FUNCTIONS = ClosedTable(
    {
        f"sklearn.cluster._kmeans.{name}": ("sklearn.cluster._kmeans", name)
        for name in ("_kmeans_single_lloyd", "_kmeans_single_elkan")
    }
)


def function_name(value: Any) -> str | None:
    name = FUNCTIONS.name_of(value)
    if name is None and getattr(value, "__module__", "").startswith("sklearn."):
        name = _SKLEARN_FUNCTIONS.name_of(value)
    if name is None and type(value) is functools.partial:
        for candidate, (func, args, keywords) in _partials().items():
            if value.func is func and value.args == args and value.keywords == keywords:
                return candidate
    return name


def function(name: str) -> Any:
    """The function a file names (the name was checked against the field's enum)."""
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    if name in _SKLEARN_FUNCTIONS:
        return _SKLEARN_FUNCTIONS[name]
    func, args, keywords = _partials()[name]
    return functools.partial(func, *args, **keywords)


def type_name(value: Any) -> str | None:
    return _identity_lookup(TYPES, value)


# ---------------------------------------------------------------------------
# Compiled (Cython) loss objects held by SGD models and sklearn's loss classes.


def _compiled_losses() -> dict[str, tuple[type, int]]:
    from sklearn._loss import _loss as cy
    from sklearn.linear_model import _sgd_fast as sgd

    table: dict[str, tuple[type, int]] = {
        "Hinge": (sgd.Hinge, 1),
        "SquaredHinge": (sgd.SquaredHinge, 1),
        "ModifiedHuber": (sgd.ModifiedHuber, 0),
        "EpsilonInsensitive": (sgd.EpsilonInsensitive, 1),
        "SquaredEpsilonInsensitive": (sgd.SquaredEpsilonInsensitive, 1),
    }
    for name, nargs in (
        ("CyHalfSquaredError", 0),
        ("CyAbsoluteError", 0),
        ("CyPinballLoss", 1),
        ("CyHuberLoss", 1),
        ("CyHalfPoissonLoss", 0),
        ("CyHalfGammaLoss", 0),
        ("CyHalfTweedieLoss", 1),
        ("CyHalfTweedieLossIdentity", 1),
        ("CyHalfBinomialLoss", 0),
        ("CyExponentialLoss", 0),
        ("CyHalfMultinomialLoss", 0),
    ):
        table[name] = (getattr(cy, name), nargs)
    return table


def _python_losses() -> dict[str, tuple[type, tuple[str, ...]]]:
    from sklearn._loss import loss

    table: dict[str, tuple[type, tuple[str, ...]]] = {}
    for name in (
        "HalfSquaredError",
        "AbsoluteError",
        "PinballLoss",
        "HuberLoss",
        "HalfPoissonLoss",
        "HalfGammaLoss",
        "HalfTweedieLoss",
        "HalfTweedieLossIdentity",
        "HalfBinomialLoss",
        "ExponentialLoss",
        "HalfMultinomialLoss",
    ):
        cls = getattr(loss, name)
        args = tuple(
            p
            for p in inspect.signature(cls.__init__).parameters
            if p not in ("self", "sample_weight", "xp", "device")
        )
        table[name] = (cls, args)
    return table


_CACHE: dict[str, Any] = {}


def compiled_losses() -> dict[str, tuple[type, int]]:
    if "compiled" not in _CACHE:
        _CACHE["compiled"] = _compiled_losses()
    return _CACHE["compiled"]


def python_losses() -> dict[str, tuple[type, tuple[str, ...]]]:
    if "python" not in _CACHE:
        _CACHE["python"] = _python_losses()
    return _CACHE["python"]


def is_compiled_loss(value: Any) -> bool:
    mod = type(value).__module__
    return mod in ("sklearn.linear_model._sgd_fast", "sklearn._loss._loss")


def is_python_loss(value: Any) -> bool:
    return type(value).__module__ == "sklearn._loss.loss"


def encode_compiled_loss(value: Any) -> dict:
    name = type(value).__name__
    entry = compiled_losses().get(name)
    if entry is None or type(value) is not entry[0]:
        raise TypeError(f"compiled loss {type(value).__qualname__} is not supported")
    reduced: Any = value.__reduce__()
    args = tuple(reduced[1])
    if len(args) != entry[1]:
        raise TypeError(f"compiled loss {name} has unexpected state {args!r}")
    return {"closs": {"name": name, "args": [float(a) for a in args]}}


def decode_compiled_loss(payload: Any) -> Any:
    if not (isinstance(payload, dict) and set(payload) == {"name", "args"}):
        raise DecodeProblem((), 'expected {"name": ..., "args": [...]}')
    entry = compiled_losses().get(payload["name"])
    if entry is None:
        raise DecodeProblem(("name",), f"unknown compiled loss {payload['name']!r}")
    args = payload["args"]
    if not isinstance(args, list) or len(args) != entry[1]:
        raise DecodeProblem(("args",), f"expected {entry[1]} numeric arguments")
    for i, a in enumerate(args):
        if type(a) not in (int, float) or not np.isfinite(a):
            raise DecodeProblem(("args", i), "expected a finite number")
    return entry[0](*[float(a) for a in args])


def encode_python_loss(value: Any, encode: Any, path: str) -> dict:
    name = type(value).__name__
    entry = python_losses().get(name)
    if entry is None or type(value) is not entry[0]:
        raise TypeError(f"loss {type(value).__qualname__} is not supported")
    arg_names = entry[1]
    loss: Any = value
    args = {}
    for a in arg_names:
        v = getattr(loss, a, None)
        if v is None:
            v = getattr(loss.closs, a)
        args[a] = v
    return {
        "loss": {
            "name": name,
            "args": {k: encode(v, f"{path}.args.{k}") for k, v in args.items()},
            "constant_hessian": bool(loss.constant_hessian),
        }
    }


def decode_python_loss(name: Any, args: dict, constant_hessian: Any) -> Any:
    entry = python_losses().get(name)
    if entry is None:
        raise DecodeProblem(("name",), f"unknown loss {name!r}")
    cls, arg_names = entry
    if set(args) != set(arg_names):
        raise DecodeProblem(("args",), f"expected exactly the arguments {list(arg_names)}")
    if type(constant_hessian) is not bool:
        raise DecodeProblem(("constant_hessian",), "expected a boolean")
    try:
        obj = cls(**args)
    except (ValueError, TypeError) as e:
        raise DecodeProblem(("args",), str(e)) from None
    # Set by the loss's constructor from whether sample weights were given at fit time.
    obj.constant_hessian = constant_hessian
    return obj


# What a parameter takes instead of a function, for parameters where scikit-learn accepts
# callables the format cannot hold: appended to the refusal of a callable there.
def _scoring_hint() -> str:
    from sklearn.metrics import get_scorer_names

    return (
        "scoring takes the name of one of scikit-learn's scorers (or a list or dict of them): "
        + ", ".join(get_scorer_names())
    )


CALLABLE_HINTS: dict[str, Any] = {
    "scoring": _scoring_hint,
    "refit": lambda: "refit takes true, false or the name of a metric in scoring",
}


def callable_hint(path: str) -> str:
    """The hint for a callable refused at ``path`` ($.model.params.scoring, ...), if any."""
    parts = path.replace("[", ".").split(".")
    for name, hint in CALLABLE_HINTS.items():
        if ".params." in path and name in parts:
            return " " + hint() + "."
    return ""
