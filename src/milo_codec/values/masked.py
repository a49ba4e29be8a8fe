"""``numpy.ma.MaskedArray``: the data array, its mask and its fill value.

Model selection results (``cv_results_["param_C"]``) are masked arrays: a candidate that
does not set a parameter has that entry masked. Their object-dtype data may hold the very
estimators a parameter grid lists, so elements may be model nodes or aliases of them; the
array is therefore built at construction, once those are (``build=``).

``fill_value`` is the stored ``_fill_value`` (``null`` until numpy first computes the
default), read without touching the ``fill_value`` property, which would set it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.codecs.constants import ANY_ARRAY
from milo_codec.objects.base import Encode, ObjectKind
from milo_codec.values.objects import FUNCTIONS

# The attributes numpy gives a masked array made by MaskedArray(data, mask=...): anything
# else (a subclass as base class, field views, extra info) is not written.
_PLAIN = {"_isfield": False, "_baseclass": np.ndarray, "_optinfo": {}, "_basedict": {}}


def _matches(v: Any) -> bool:
    return isinstance(v, np.ma.MaskedArray)


def _encode(m: np.ma.MaskedArray, encode: Encode, path: str) -> Any:
    if type(m) is not np.ma.MaskedArray:
        raise TypeError(f"subclasses of numpy.ma.MaskedArray ({type(m).__qualname__})")
    state = vars(m)
    for name, plain in _PLAIN.items():
        if not (state.get(name) is plain or state.get(name) == plain):
            raise TypeError(f"masked arrays with {name} = {state.get(name)!r}")
    mask, fill = state["_mask"], state["_fill_value"]
    if not (mask is np.ma.nomask or (type(mask) is np.ndarray and mask.shape == m.shape)):
        raise TypeError("masked arrays whose mask is not a boolean array of their own shape")
    if not (fill is None or (type(fill) is np.ndarray and fill.ndim == 0)):
        raise TypeError("masked arrays whose fill value is not a 0-d array")
    return {
        "data": encode(m.data, f"{path}.data"),
        "mask": None if mask is np.ma.nomask else encode(mask, f"{path}.mask"),
        "fill_value": None if fill is None else encode(fill, f"{path}.fill_value"),
        "hard_mask": bool(state["_hardmask"]),
        "shared_mask": bool(state["_sharedmask"]),
    }


def _element_kinds() -> k.OneOf:
    """Generic values, plus model nodes, aliases (a grid's estimators, shared) and functions
    from the closed list (a grid over FunctionTransformer's func)."""
    generic = [kd for kd in k._generic_kinds().kinds if not isinstance(kd, k.Alias)]
    return k.OneOf(
        (
            *generic,
            k.Named(key="function", names=tuple(FUNCTIONS)),
            k.Model(),
            k.Alias(arrays=ANY_ARRAY, models=True),
        )
    )


def _decoder() -> core_schema.CoreSchema:
    fields = {
        "data": core_schema.typed_dict_field(
            k.NDArray(allowed=ANY_ARRAY, elements=_element_kinds()).schema()
        ),
        "mask": core_schema.typed_dict_field(
            k.OneOf((k.Null(), k.NDArray(allowed=(("bool", -1),)))).core()
        ),
        "fill_value": core_schema.typed_dict_field(
            k.OneOf((k.Null(), k.NDArray(allowed=ANY_ARRAY))).core()
        ),
        "hard_mask": core_schema.typed_dict_field(core_schema.bool_schema(strict=True)),
        "shared_mask": core_schema.typed_dict_field(core_schema.bool_schema(strict=True)),
    }

    def check(p: dict) -> dict:
        data, mask, fill = p["data"], p["mask"], p["fill_value"]
        if mask is not None and mask.shape != data.shape:
            raise PydanticCustomError(
                "milo",
                "mask has shape {mask} but data has shape {data}",
                {"mask": list(mask.shape), "data": list(data.shape)},
            )
        if fill is not None and fill.ndim != 0:
            raise PydanticCustomError("milo", "fill_value must be a 0-d array")
        return p  # inert: object elements may be model nodes, built at construction

    return core_schema.no_info_after_validator_function(check, k.closed_object(fields))


def _build(p: dict) -> np.ma.MaskedArray:
    mask = np.ma.nomask if p["mask"] is None else p["mask"]
    m = np.ma.MaskedArray(p["data"], mask=mask)
    vars(m).update(
        _fill_value=p["fill_value"], _hardmask=p["hard_mask"], _sharedmask=p["shared_mask"]
    )
    return m


KINDS = (
    ObjectKind(
        tag="masked_array",
        schema_file="common/values/v1.json",
        matches=_matches,
        encode=_encode,
        decoder=_decoder,
        build=_build,
    ),
)
