"""Scalars whose exact type matters: non-finite Python floats and numpy scalars.

A Python float is a JSON number written with a fraction or exponent (``1.0``), a Python int
a JSON integer (``1``); the two never mix. Non-finite floats and numpy scalars are tagged:
``{"float": "NaN"}``, ``{"float64": 0.5}``, ``{"int64": 3}``, ``{"bool": true}``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson

from milo_codec.values.problems import DecodeProblem
from milo_codec.values.raw import RawJSON

NONFINITE_NAMES = {"NaN": math.nan, "-NaN": -math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

NUMPY_SCALARS: dict[str, type] = {
    "bool": np.bool_,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float32": np.float32,
    "float64": np.float64,
    "str_": np.str_,
}
_NAME_OF = {t: name for name, t in NUMPY_SCALARS.items()}


def nonfinite_name(x: float) -> str:
    if math.isnan(x):
        return "-NaN" if math.copysign(1.0, x) < 0 else "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def encode_float(x: float) -> Any:
    return x if math.isfinite(x) else {"float": nonfinite_name(x)}


def encode_numpy_scalar(v: np.generic) -> dict:
    name = _NAME_OF[type(v)]
    if name == "str_":
        return {name: str(v)}
    if name == "bool":
        return {name: bool(v)}
    if name.startswith("float"):
        f = float(v)
        if not math.isfinite(f):
            return {name: nonfinite_name(f)}
        if name == "float32":
            # float32's own shortest repr reads back to the same float32 value.
            return {name: _shortest32(v)}
        return {name: f}
    return {name: int(v)}


def _shortest32(v: np.generic) -> Any:
    # The same writer as float32 arrays: the shortest text that reads back to this float32.
    return RawJSON(orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode())


def decode_numpy_scalar(name: str, value: Any) -> np.generic:
    t = NUMPY_SCALARS[name]
    if name == "str_":
        if type(value) is not str:
            raise DecodeProblem((name,), "expected a string")
        return np.str_(value)
    if name == "bool":
        if type(value) is not bool:
            raise DecodeProblem((name,), "expected a boolean")
        return np.bool_(value)
    if name.startswith("float"):
        if type(value) is str:
            if value not in NONFINITE_NAMES:
                raise DecodeProblem(
                    (name,), 'expected a number or "NaN", "-NaN", "Infinity", "-Infinity"'
                )
            return t(NONFINITE_NAMES[value])
        if type(value) not in (float, int):
            raise DecodeProblem((name,), "expected a number")
        try:
            with np.errstate(over="ignore"):
                out = t(value)
        except OverflowError:  # an integer literal beyond float64's range
            raise DecodeProblem((name,), f"number overflows {name}") from None
        if not np.isfinite(out):
            raise DecodeProblem((name,), f"number overflows {name}")
        return out
    if type(value) is not int:
        raise DecodeProblem((name,), "expected an integer")
    info = np.iinfo(t)
    if not info.min <= value <= info.max:
        raise DecodeProblem((name,), f"{value} is out of range for {name}")
    return t(value)


def decode_nonfinite(value: Any) -> float:
    if type(value) is not str or value not in NONFINITE_NAMES:
        raise DecodeProblem(("float",), 'expected "NaN", "-NaN", "Infinity" or "-Infinity"')
    return NONFINITE_NAMES[value]
