"""Closed lists that generated codecs refer to by name."""

from __future__ import annotations

from milo_codec.values.arrays import NUMERIC_DTYPES
from milo_codec.values.objects import TYPES

SCHEMA_BASE = "https://milo-codec.invalid/schemas/"

ANY_ARRAY: tuple[tuple[str, int], ...] = tuple((dt, -1) for dt in (*NUMERIC_DTYPES, "U", "object"))
ALL_TYPES: tuple[str, ...] = tuple(TYPES)
# Exactly the enum of $defs/dtype in common/values/v1.json.
ALL_DTYPES: tuple[str, ...] = (*NUMERIC_DTYPES, "object")
