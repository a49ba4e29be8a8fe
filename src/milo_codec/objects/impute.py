"""IterativeImputer's imputation steps: ``_ImputerTriplet(feat_idx, neighbor_feat_idx, estimator)``.

IterativeImputer keeps ``imputation_sequence_``, one named tuple per feature imputed per
round: the feature's column, the columns its estimator reads, and that fitted estimator.
transform replays the steps in order, so each comes back as the same named tuple with the
same field types (feat_idx is a numpy int64, neighbor_feat_idx an int64 array).

The estimator is a model node: it is checked against its own schema and invariants like any
nested model, and the triplet is built only at construction, after the imputer's
invariants compared the indices with n_features_in_.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic_core import core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, exactly


def _triplet_type() -> type:
    from sklearn.impute._iterative import _ImputerTriplet

    return _ImputerTriplet


_matches = exactly("sklearn.impute._iterative", "_ImputerTriplet")


def _encode(t: Any, encode: Encode, path: str) -> Any:
    if type(t.feat_idx) is not np.int64:
        raise TypeError(f"feat_idx of type {type(t.feat_idx).__name__} is not supported")
    return {
        "feat_idx": encode(t.feat_idx, f"{path}.feat_idx"),
        "neighbor_feat_idx": encode(t.neighbor_feat_idx, f"{path}.neighbor_feat_idx"),
        "estimator": encode(t.estimator, f"{path}.estimator"),
    }


_FIELDS: dict[str, k.OneOf] = {
    "feat_idx": k.OneOf((k.NumpyScalar(dtype="int64", bounds=k.Bounds(ge=0)),)),
    "neighbor_feat_idx": k.OneOf((k.NDArray(allowed=(("int64", 1),)),)),
    "estimator": k.OneOf((k.Model(),)),
}


def _decoder() -> core_schema.CoreSchema:
    return k.closed_object(
        {name: core_schema.typed_dict_field(kinds.core()) for name, kinds in _FIELDS.items()},
    )


def _build(p: dict) -> Any:
    return _triplet_type()(p["feat_idx"], p["neighbor_feat_idx"], p["estimator"])


KINDS = (
    ObjectKind(
        tag="imputer_triplet",
        schema_file="common/impute/v1.json",
        matches=_matches,
        encode=_encode,
        decoder=_decoder,
        build=_build,
    ),
)
