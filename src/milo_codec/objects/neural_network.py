"""The MLP's stochastic optimizers (``SGDOptimizer``, ``AdamOptimizer``) with their exact state.

An MLP fitted by ``sgd`` or ``adam`` keeps ``_optimizer``; ``partial_fit`` and a
``warm_start`` fit continue from it, so its learning rate, time step and moment/velocity
arrays must come back exactly. In scikit-learn 1.9 the optimizer does not hold the weights
itself (the MLP passes ``coefs_ + intercepts_`` to every update), so its payload is only its
own attributes, written in the optimizer's attribute order so ``vars()`` comes back equal.

Decoding builds nothing: the payload stays inert until construction (``build``), after the
invariants compared the moment/velocity shapes with the network's weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, exactly

# Weight arrays are float32 or float64, coefficient matrices 2-D and intercepts 1-D.
_WEIGHT_ARRAYS = tuple((dt, nd) for dt in ("float32", "float64") for nd in (1, 2))

# Scalars the optimizer copies from the estimator's parameters (a Python or numpy number)
# or computes itself (Adam's learning rate is a numpy float64 after the first step).
_NUMBER = k.OneOf(
    (
        k.Int(),
        k.Float(),
        k.NonFinite(),
        k.NumpyScalar(dtype="float64"),
        k.NumpyScalar(dtype="float32"),
    )
)

# The payload fields in the optimizer's own attribute order (its __init__ order).
_ADAM_FIELDS: dict[str, k.OneOf] = {
    "learning_rate_init": _NUMBER,
    "learning_rate": _NUMBER,
    "beta_1": _NUMBER,
    "beta_2": _NUMBER,
    "epsilon": _NUMBER,
    "t": k.OneOf((k.Int(bounds=k.Bounds(ge=0, le=2**63 - 1)),)),
    "ms": k.OneOf((k.ListOf(items=k.OneOf((k.NDArray(allowed=_WEIGHT_ARRAYS),))),)),
    "vs": k.OneOf((k.ListOf(items=k.OneOf((k.NDArray(allowed=_WEIGHT_ARRAYS),))),)),
}
_SGD_FIELDS: dict[str, k.OneOf] = {
    "learning_rate_init": _NUMBER,
    "learning_rate": _NUMBER,
    "lr_schedule": k.OneOf((k.Str(enum=("constant", "adaptive", "invscaling")),)),
    "momentum": _NUMBER,
    "nesterov": k.OneOf((k.Bool(), k.NumpyScalar(dtype="bool"))),
    "power_t": _NUMBER,
    "velocities": k.OneOf((k.ListOf(items=k.OneOf((k.NDArray(allowed=_WEIGHT_ARRAYS),))),)),
}


_MODULE = "sklearn.neural_network._stochastic_optimizers"


def _optimizer_class(name: str) -> Any:
    from sklearn.neural_network import _stochastic_optimizers as so

    return getattr(so, name)


def _encoder(fields: dict[str, k.OneOf]) -> Any:
    names = tuple(fields)

    def encode(opt: Any, encode: Encode, path: str) -> Any:
        attrs = vars(opt)
        if tuple(attrs) != names:
            raise TypeError(
                f"{type(opt).__name__} with attributes {list(attrs)} (expected {list(names)})"
            )
        return {name: encode(attrs[name], f"{path}.{name}") for name in names}

    return encode


def _decoder(fields: dict[str, k.OneOf], lists: tuple[str, ...]) -> Any:
    def decoder() -> core_schema.CoreSchema:
        schema = k.closed_object(
            {name: core_schema.typed_dict_field(kind.core()) for name, kind in fields.items()},
        )

        def check(p: dict) -> dict:
            # Each list runs over coefs_ then intercepts_: matrices first, then vectors, as
            # many of each. How they match the network's own weights is an invariant.
            for name in lists:
                ranks = [a.ndim for a in p[name]]
                half = len(ranks) // 2
                if len(ranks) % 2 or ranks != [2] * half + [1] * half:
                    raise PydanticCustomError(
                        "milo",
                        "{name} must hold one matrix per layer followed by one vector per layer",
                        {"name": name},
                    )
            shapes = {tuple(a.shape for a in p[name]) for name in lists}
            if len(shapes) > 1:
                raise PydanticCustomError(
                    "milo", "{names} must have the same shapes", {"names": " and ".join(lists)}
                )
            return p

        return core_schema.no_info_after_validator_function(check, schema)

    return decoder


def _builder(class_name: str, fields: dict[str, k.OneOf]) -> Any:
    def build(payload: dict) -> Any:
        cls = _optimizer_class(class_name)
        opt = cls.__new__(cls)
        for name in fields:  # the optimizer's own attribute order
            setattr(opt, name, payload[name])
        return opt

    return build


def payload_arrays(value: Any) -> tuple[str, dict[str, list[np.ndarray]]] | None:
    """An optimizer's tag and per-weight arrays by attribute name (built or still pending)."""
    from milo_codec.objects.base import Pending

    if type(value) is Pending and value.kind.tag in _LISTS:
        tag = value.kind.tag
        return tag, {name: value.payload[name] for name in _LISTS[tag]}
    for kind in KINDS:
        if kind.matches(value):
            return kind.tag, {name: getattr(value, name) for name in _LISTS[kind.tag]}
    return None


_LISTS = {"mlp_adam_optimizer": ("ms", "vs"), "mlp_sgd_optimizer": ("velocities",)}

KINDS = (
    ObjectKind(
        tag="mlp_adam_optimizer",
        schema_file="common/neural_network/v1.json",
        matches=exactly(_MODULE, "AdamOptimizer"),
        encode=_encoder(_ADAM_FIELDS),
        decoder=_decoder(_ADAM_FIELDS, _LISTS["mlp_adam_optimizer"]),
        build=_builder("AdamOptimizer", _ADAM_FIELDS),
    ),
    ObjectKind(
        tag="mlp_sgd_optimizer",
        schema_file="common/neural_network/v1.json",
        matches=exactly(_MODULE, "SGDOptimizer"),
        encode=_encoder(_SGD_FIELDS),
        decoder=_decoder(_SGD_FIELDS, _LISTS["mlp_sgd_optimizer"]),
        build=_builder("SGDOptimizer", _SGD_FIELDS),
    ),
)
