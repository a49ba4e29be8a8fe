"""Object kinds of the hist_gradient_boosting family (see objects/base.py).

``hgb_predictor``: a fitted tree of a HistGradientBoosting model
(``sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor``): its node records and
the bitsets of its categorical splits.

The compiled predictors walk ``nodes`` with no bounds checks (``while True: node =
nodes[node_idx]``), read ``X[row, feature_idx]`` and bitset rows by index. The decoder here
only checks the containers (exact record dtype, 8-word bitset rows); whether the nodes form a
tree whose indices are in range of the model's features, bins and bitsets needs the whole
model, so it is the invariant ``hgb_predictors`` (invariants/hist_gradient_boosting.py). The
predictor itself is built only after every invariant passed (``build=``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, exactly

BITSET_WORDS = 8  # 256 bits: one per uint8 bin or raw category value


def _record_dtype() -> np.dtype:
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    return np.dtype(PREDICTOR_RECORD_DTYPE)


def _encode_predictor(predictor: Any, encode: Encode, path: str) -> Any:
    state = vars(predictor)
    if set(state) != {"nodes", "binned_left_cat_bitsets", "raw_left_cat_bitsets"}:
        raise TypeError(f"TreePredictor with attributes {sorted(state)}")
    if state["nodes"].dtype != _record_dtype():
        raise TypeError(f"TreePredictor nodes of dtype {state['nodes'].dtype}")
    return {
        name: encode(state[name], f"{path}.{name}")
        for name in ("nodes", "binned_left_cat_bitsets", "raw_left_cat_bitsets")
    }


def _located(field: str, message: str) -> ValidationError:
    return ValidationError.from_exception_data(
        "hgb_predictor",
        [{"type": PydanticCustomError("milo", message), "loc": (field,), "input": None}],
    )


def _predictor_decoder() -> core_schema.CoreSchema:
    def nodes(a: np.ndarray) -> np.ndarray:
        # Exactly sklearn's record layout: the compiled code reads the raw bytes as its
        # node_struct, so another field order, width or padding would be misread.
        if a.dtype != _record_dtype():
            raise PydanticCustomError(
                "milo",
                "nodes must have exactly the fields, dtypes and offsets of PREDICTOR_RECORD_DTYPE",
            )
        if a.ndim != 1 or a.shape[0] < 1:
            raise PydanticCustomError("milo", "nodes must be a 1-D array of at least one node")
        return a

    def bitsets(a: np.ndarray) -> np.ndarray:
        if a.shape[1] != BITSET_WORDS:
            raise PydanticCustomError("milo", "each bitset row must hold 8 uint32 words")
        return a

    def field(fn: Any, kind: k.Kind) -> core_schema.TypedDictField:
        return core_schema.typed_dict_field(
            core_schema.no_info_after_validator_function(fn, kind.schema())
        )

    uint32_2d = k.NDArray(allowed=(("uint32", 2),))
    fields = {
        "nodes": field(nodes, k.Recarray()),
        "binned_left_cat_bitsets": field(bitsets, uint32_2d),
        "raw_left_cat_bitsets": field(bitsets, uint32_2d),
    }

    def whole(p: dict) -> dict:
        # one row per categorical split, in both the binned and the raw category space
        if p["raw_left_cat_bitsets"].shape[0] != p["binned_left_cat_bitsets"].shape[0]:
            raise _located(
                "raw_left_cat_bitsets", "must have as many rows as binned_left_cat_bitsets"
            )
        return p

    return core_schema.no_info_after_validator_function(whole, k.closed_object(fields))


def _build_predictor(p: dict) -> Any:
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    # the compiled code wants C-contiguous bitset rows (``[:, ::1]`` memoryviews)
    return TreePredictor(
        p["nodes"],
        np.ascontiguousarray(p["binned_left_cat_bitsets"]),
        np.ascontiguousarray(p["raw_left_cat_bitsets"]),
    )


KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        tag="hgb_predictor",
        schema_file="common/hist_gradient_boosting/v1.json",
        matches=exactly("sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor"),
        encode=_encode_predictor,
        decoder=_predictor_decoder,
        build=_build_predictor,
    ),
)
