"""The ``kernel`` object kind: Gaussian-process kernels of ``sklearn.gaussian_process.kernels``.

A kernel is written as its class name (from the closed table ``KERNELS``) and its
constructor parameters, which are its whole ``__dict__``; composite kernels (``Sum``,
``Product``, ``Exponentiation``, ``CompoundKernel``) hold further kernels of the same kind, so
a kernel is a tree. Why an object kind and not model nodes: see schemas/README.md §3.4,
"Gaussian-process kernels".

Everything here is pure data checked on its own (finite positive hyperparameters, bound
shapes that agree with vector-valued hyperparameters, a depth bound on composition); what
ties a kernel to its model (anisotropic length scales vs ``n_features_in_``) is checked by
``invariants/gaussian_process.py``. A kernel is built only at construction (``build=``).
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import numpy as np
from pydantic import ValidationError
from pydantic_core import PydanticCustomError, SchemaValidator, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, Pending
from milo_codec.values.problems import DecodeProblem

# Composition deeper than this is refused: kernel calls recurse once per level, and no
# model needs more than a handful (a sum of products of a few terms).
MAX_DEPTH = 32

# PairwiseKernel metrics: scikit-learn's named pairwise kernels ("precomputed" excluded:
# it treats the query itself as the kernel matrix). A callable metric cannot be written.
PAIRWISE_METRICS = (
    "additive_chi2",
    "chi2",
    "linear",
    "polynomial",
    "poly",
    "rbf",
    "laplacian",
    "sigmoid",
    "cosine",
)

# How each parameter is written and checked (see _field_kind).
_POS = "positive"  # a positive finite scalar hyperparameter
_NONNEG = "non-negative"  # DotProduct's sigma_0 may be 0
_POS_VEC = "positive-or-vector"  # a scalar, or one length scale per feature (anisotropic)
_BOUNDS = "bounds"
_NU = "nu"
_EXPONENT = "exponent"
_METRIC = "metric"
_KWARGS = "pairwise_kernels_kwargs"
_KERNEL = "kernel"
_KERNELS = "kernels"

# class name -> (parameter -> form), in the constructor's order. Bounds name their value.
KERNELS: dict[str, dict[str, str]] = {
    "ConstantKernel": {"constant_value": _POS, "constant_value_bounds": _BOUNDS},
    "WhiteKernel": {"noise_level": _POS, "noise_level_bounds": _BOUNDS},
    "RBF": {"length_scale": _POS_VEC, "length_scale_bounds": _BOUNDS},
    "Matern": {"length_scale": _POS_VEC, "length_scale_bounds": _BOUNDS, "nu": _NU},
    "RationalQuadratic": {
        "length_scale": _POS,
        "alpha": _POS,
        "length_scale_bounds": _BOUNDS,
        "alpha_bounds": _BOUNDS,
    },
    "ExpSineSquared": {
        "length_scale": _POS,
        "periodicity": _POS,
        "length_scale_bounds": _BOUNDS,
        "periodicity_bounds": _BOUNDS,
    },
    "DotProduct": {"sigma_0": _NONNEG, "sigma_0_bounds": _BOUNDS},
    "PairwiseKernel": {
        "gamma": _POS,
        "gamma_bounds": _BOUNDS,
        "metric": _METRIC,
        "pairwise_kernels_kwargs": _KWARGS,
    },
    "Sum": {"k1": _KERNEL, "k2": _KERNEL},
    "Product": {"k1": _KERNEL, "k2": _KERNEL},
    "Exponentiation": {"kernel": _KERNEL, "exponent": _EXPONENT},
    "CompoundKernel": {"kernels": _KERNELS},
}


@functools.cache
def kernel_classes() -> dict[str, type]:
    from sklearn.gaussian_process import kernels

    return {name: getattr(kernels, name) for name in KERNELS}


def _is_kernel(v: Any) -> bool:
    # Looked up, not imported: asked of every value written, and no value can be a kernel
    # unless the kernels module is loaded.
    module = sys.modules.get("sklearn.gaussian_process.kernels")
    return module is not None and isinstance(v, module.Kernel)


# ---------------------------------------------------------------------------
# dump


def _encode_kernel(kernel: Any, encode: Encode, path: str) -> Any:
    name = type(kernel).__name__
    if kernel_classes().get(name) is not type(kernel):
        raise TypeError(
            f"kernels other than sklearn.gaussian_process.kernels.{', '.join(KERNELS)} "
            f"(this one is {type(kernel).__module__}.{type(kernel).__qualname__})"
        )
    attributes = vars(kernel)
    if list(attributes) != list(KERNELS[name]):
        raise TypeError(
            f"{name} kernels holding attributes other than their parameters "
            f"{list(KERNELS[name])} (this one holds {list(attributes)})"
        )
    metric = attributes.get("metric")
    if name == "PairwiseKernel" and not (type(metric) is str and metric in PAIRWISE_METRICS):
        shown = _qualname(metric) if callable(metric) else repr(metric)
        raise TypeError(
            f"PairwiseKernel metrics other than {', '.join(PAIRWISE_METRICS)} (this one is {shown})"
        )
    params: dict[str, Any] = {}
    for p, v in attributes.items():
        at = f"{path}.params.{p}"
        form = KERNELS[name][p]
        # Kernels inside a kernel are written out, never as aliases: a payload is not an
        # addressable place, and the composition must stay a tree.
        if form == _KERNEL:
            params[p] = _nested_payload(v, encode, at)
        elif form == _KERNELS and type(v) is list:
            params[p] = [_nested_payload(x, encode, f"{at}[{i}]") for i, x in enumerate(v)]
        else:
            params[p] = encode(v, at)
    return {"name": name, "params": params}


def _nested_payload(kernel: Any, encode: Encode, path: str) -> Any:
    if not _is_kernel(kernel):
        return encode(kernel, path)  # not a kernel: the schema refuses it, naming the path
    return {"kernel": _encode_kernel(kernel, encode, f"{path}.kernel")}


def _qualname(f: Any) -> str:
    mod = getattr(f, "__module__", None) or type(f).__module__
    return f"the callable {mod}.{getattr(f, '__qualname__', type(f).__qualname__)}"


# ---------------------------------------------------------------------------
# load


def _num(**bounds: float) -> list[k.Kind]:
    b = k.Bounds(**bounds)
    return [k.Float(bounds=b), k.Int(bounds=b), k.NumpyScalar(dtype="float64", bounds=b)]


def _field_kind(form: str) -> k.OneOf:
    positive = _num(gt=0)
    if form == _POS:
        return k.OneOf(positive)
    if form == _NONNEG:
        return k.OneOf(_num(ge=0))
    if form == _POS_VEC:
        items = k.OneOf(positive[:2])
        return k.OneOf(
            (
                *positive,
                k.NDArray(allowed=(("float64", 1),)),
                k.ListOf(items=items, min_items=1),
                k.TupleOf(items=items, min_items=1),
            )
        )
    if form == _BOUNDS:
        end = k.OneOf(_num(ge=0))
        pair = (k.TupleOf(prefix=(end, end)), k.ListOf(prefix=(end, end)))
        return k.OneOf(
            (
                k.Str(enum=("fixed",)),
                *pair,
                # one pair per length scale, e.g. [(1e-3, 1e3)] * n_features
                k.ListOf(items=k.OneOf(pair), min_items=1),
                k.NDArray(allowed=(("float64", 1), ("float64", 2))),
            )
        )
    if form == _NU:
        return k.OneOf((*positive, k.NonFinite(allowed=("Infinity",))))
    if form == _EXPONENT:
        return k.OneOf(_num())
    if form == _METRIC:
        return k.OneOf((k.Str(enum=PAIRWISE_METRICS),))
    if form == _KWARGS:
        number = k.OneOf(_num())
        return k.OneOf(
            (k.Null(), k.DictOf(properties=(("degree", number, False), ("coef0", number, False))))
        )
    raise ValueError(form)


@functools.cache
def _params_validator(name: str) -> SchemaValidator:
    """The non-kernel parameters of one kernel class (kernel-valued ones are decoded here)."""
    passthrough = core_schema.any_schema()
    fields = {
        p: core_schema.typed_dict_field(
            passthrough if form in (_KERNEL, _KERNELS) else _field_kind(form).core()
        )
        for p, form in KERNELS[name].items()
    }
    return SchemaValidator(k.closed_object(fields))


def _decode(v: Any, depth: int) -> dict:
    """A kernel payload → the inert payload, nested kernels as ``Pending`` (built later)."""
    if depth > MAX_DEPTH:
        raise DecodeProblem((), f"kernels are composed more than {MAX_DEPTH} levels deep")
    if not (isinstance(v, dict) and set(v) == {"name", "params"}):
        raise DecodeProblem((), 'expected {"name": <kernel class>, "params": {...}}')
    name = v["name"]
    # A dict or list is not hashable: test the type first, or the lookup raises TypeError.
    if type(name) is not str or name not in KERNELS:
        raise DecodeProblem(("name",), f"expected one of {', '.join(KERNELS)}")
    try:
        params = dict(_params_validator(name).validate_python(v["params"]))
    except ValidationError as e:
        raise k.first_problem(e, ("params",)) from None
    for p, form in KERNELS[name].items():
        if form == _KERNEL:
            params[p] = _nested(params[p], depth, ("params", p))
        elif form == _KERNELS:
            items = params[p]
            if not (isinstance(items, list) and items):
                raise DecodeProblem(("params", p), "expected a non-empty array of kernels")
            params[p] = [_nested(x, depth, ("params", p, i)) for i, x in enumerate(items)]
    # Key order as the file gives it was checked against the table by the typed dict only
    # for membership: keep the constructor's order, which is the kernel's __dict__ order.
    problem = check_payload(name, params)
    if problem is not None:
        loc, message = problem
        raise DecodeProblem(("params", *loc), message)
    return {"name": name, "params": {p: params[p] for p in KERNELS[name]}}


def _nested(v: Any, depth: int, loc: tuple[str | int, ...]) -> Pending:
    if not (isinstance(v, dict) and set(v) == {"kernel"}):
        raise DecodeProblem(loc, 'expected a kernel: {"kernel": {"name": ..., "params": ...}}')
    try:
        return Pending(_kind(), _decode(v["kernel"], depth + 1))
    except DecodeProblem as p:
        raise p.within(*loc, "kernel") from None


def _elements(value: Any) -> int:
    """How many elements a hyperparameter value has (its length when vector-valued)."""
    if isinstance(value, np.ndarray | list | tuple):
        return len(value)
    return 1


def _vector_problem(value: Any) -> str | None:
    # Numbers in lists and tuples were checked finite and positive by their kinds.
    if isinstance(value, np.ndarray):
        if value.shape[0] < 1:
            return "must hold at least one length scale"
        if not (np.isfinite(value).all() and (value > 0).all()):
            return "must be finite and positive"
    return None


def check_payload(name: str, params: dict) -> tuple[tuple[str, ...], str] | None:
    """What is wrong with one kernel's parameters on their own (None: nothing)."""
    for p, form in KERNELS[name].items():
        if form == _POS_VEC:
            problem = _vector_problem(params[p])
            if problem:
                return (p,), problem
        if form != _BOUNDS:
            continue
        bounds = params[p]
        value = params[p[: -len("_bounds")]]
        n = _elements(value)
        pairs = type(bounds) is list and isinstance(bounds[0], list | tuple)
        if pairs and len(bounds) not in (1, n):
            want = "1 pair" if n == 1 else f"1 or {n} pairs"
            return (p,), f"{len(bounds)} pairs of bounds but {name}.{p[:-7]} needs {want}"
        if isinstance(bounds, np.ndarray):
            if not (np.isfinite(bounds).all() and (bounds >= 0).all()):
                return (p,), "bounds must be finite and non-negative"
            shape = bounds.shape
            if bounds.ndim == 1 and shape != (2,):
                return (p,), f"a 1-d array of bounds has 2 entries, not {shape[0]}"
            if bounds.ndim == 2 and not (shape[1] == 2 and shape[0] in (1, n)):
                want = "(1, 2)" if n == 1 else f"(1, 2) or ({n}, 2)"
                return (p,), f"bounds have shape {shape} but {name}.{p[:-7]} needs {want}"
    return None


# ---------------------------------------------------------------------------


def _decoder() -> core_schema.CoreSchema:
    def decode(v: Any) -> Any:
        try:
            return _decode(v, 1)
        except DecodeProblem as p:
            if not p.loc:
                raise PydanticCustomError("milo", p.message) from None
            raise ValidationError.from_exception_data(
                "kernel",
                [
                    {
                        "type": PydanticCustomError("milo", p.message),
                        "loc": p.loc,
                        "input": None,
                    }
                ],
            ) from None

    return core_schema.no_info_plain_validator_function(decode)


def _build(payload: dict) -> Any:
    """Nested kernels were built first (construct resolves Pending payloads bottom-up)."""
    cls = kernel_classes()[payload["name"]]
    return cls(**payload["params"])


@functools.cache
def _kind() -> ObjectKind:
    return KINDS[0]


KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        tag="kernel",
        schema_file="common/gaussian_process/v1.json",
        matches=_is_kernel,
        encode=_encode_kernel,
        decoder=_decoder,
        build=_build,
        # A multi-class GaussianProcessClassifier hands its own kernel object to the binary
        # classifier it clones for each class: written once, it comes back shared.
        shareable=True,
    ),
)
