"""An object kind: one kind of sklearn/numpy/scipy internal object the format can hold.

Each family module (``objects/random.py``, ``objects/tree.py``, ...) declares its kinds:
how a value of exactly that type is written (the payload under its tag), how the payload is
validated and rebuilt (a pydantic-core schema), and which common schema file defines it.
The table in ``objects/__init__.py`` is the only way an object kind enters the format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_core import core_schema

Encode = Callable[[Any, str], Any]  # the ValueEncoder: value, JSON path → JSON tree


@dataclass(frozen=True)
class ObjectKind:
    tag: str  # the tagged object's key, and the $defs name in its common schema
    schema_file: str  # e.g. "common/random/v1.json"
    matches: Callable[[Any], bool]  # exact-type test on a Python value
    encode: Callable[[Any, Encode, str], Any]  # value, encoder, path → payload
    decoder: Callable[[], core_schema.CoreSchema]  # validates the payload, returns the object

    @property
    def ref(self) -> str:
        from milo_codec.codecs.constants import SCHEMA_BASE

        return f"{SCHEMA_BASE}{self.schema_file}#/$defs/{self.tag}"
