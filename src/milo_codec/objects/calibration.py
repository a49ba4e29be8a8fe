"""The object kind of sklearn.calibration: ``_CalibratedClassifier``.

``CalibratedClassifierCV.calibrated_classifiers_`` holds one ``_CalibratedClassifier`` per
cross-validation fold (or one): a plain object, not an estimator (no ``get_params``), whose
four attributes are exactly its constructor arguments — a fitted classifier, its fitted
calibrators (``_SigmoidCalibration``, ``IsotonicRegression`` or ``_TemperatureScaling``, model
nodes with their own schemas), the labels and the method. So it is an object kind whose
payload holds model nodes, not a model node: a model node's ``params``/``state`` split would
have nothing to describe.

The payload stays inert until construction (``build``): its nested models are built first,
then the object, after the invariants (``invariants/calibration.py``) tied the calibrators
to the method, the labels and the classifier. Its fields are addressable (``addressable``):
the labels every calibrated classifier shares with the model are written once, and a nested
classifier whose schema requires aliases inside it (a VotingClassifier) can be written.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import core_schema

from milo_codec.codecs import kinds as k
from milo_codec.codecs.constants import SCHEMA_BASE
from milo_codec.objects.base import Encode, ObjectKind, exactly

METHODS = ("isotonic", "sigmoid", "temperature")

# The calibrator each method fits (a model node of exactly this schema).
CALIBRATOR_SCHEMAS: dict[str, str] = {
    "sigmoid": f"{SCHEMA_BASE}sklearn/calibration/_SigmoidCalibration/v1.json",
    "isotonic": f"{SCHEMA_BASE}sklearn/isotonic/IsotonicRegression/v1.json",
    "temperature": f"{SCHEMA_BASE}sklearn/calibration/_TemperatureScaling/v1.json",
}

# Label arrays a classifier's classes_ may be (LabelEncoder output).
_LABELS = tuple(
    (dt, 1)
    for dt in (
        *("int64", "int32", "float64", "float32", "bool", "U", "object"),
        *("uint8", "int8", "int16", "uint16", "uint32", "uint64"),
    )
)

_FIELDS: dict[str, k.OneOf] = {
    # An alias when the classifier is CalibratedClassifierCV's own estimator (a FrozenEstimator
    # is calibrated as it is, not cloned).
    "estimator": k.OneOf((k.Model(), k.Alias(models=True))),
    "calibrators": k.OneOf(
        (
            k.ListOf(
                items=k.OneOf((k.Model(schemas=tuple(sorted(CALIBRATOR_SCHEMAS.values()))),)),
                min_items=1,
            ),
        )
    ),
    # the model's own classes_ (each later calibrated classifier names the first one's)
    "classes": k.OneOf((k.NDArray(allowed=_LABELS), k.Alias(arrays=_LABELS))),
    "method": k.OneOf((k.Str(enum=METHODS),)),
}
_NAMES = tuple(_FIELDS)
_MODULE = "sklearn.calibration"


def _calibrated_classifier_class() -> Any:
    from sklearn.calibration import _CalibratedClassifier

    return _CalibratedClassifier


_matches = exactly(_MODULE, "_CalibratedClassifier")


def _encode(obj: Any, encode: Encode, path: str) -> Any:
    attrs = vars(obj)
    if tuple(attrs) != _NAMES:
        raise TypeError(
            f"_CalibratedClassifier with attributes {list(attrs)} (expected {list(_NAMES)})"
        )
    return {name: encode(attrs[name], f"{path}.{name}") for name in _NAMES}


def _decoder() -> core_schema.CoreSchema:
    return k.closed_object(
        {name: core_schema.typed_dict_field(kind.core()) for name, kind in _FIELDS.items()},
    )


def _build(payload: dict) -> Any:
    cls = _calibrated_classifier_class()
    obj = cls.__new__(cls)
    for name in _NAMES:  # the object's own attribute order
        setattr(obj, name, payload[name])
    return obj


KINDS = (
    ObjectKind(
        tag="calibrated_classifier",
        schema_file="common/calibration/v1.json",
        matches=_matches,
        encode=_encode,
        decoder=_decoder,
        build=_build,
        addressable=True,
    ),
)
