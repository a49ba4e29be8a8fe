"""The only table of loadable classes: generated from ``schemas/`` and resolved lazily.

A file's ``schema`` string is only ever used as a key into the generated table; the modules
imported are the table's literal values, never names read from a file.
"""

from __future__ import annotations

import importlib
from typing import Any

from milo_codec._generated.registry import BY_CLASS_NAME, LATEST, SCHEMAS
from milo_codec.codecs.base import ModelCodec
from milo_codec.errors import UnsupportedModelError

_LOADED: dict[str, ModelCodec] = {}


def codec_for(schema_id: str) -> ModelCodec | None:
    """The codec of a schema ``$id``, importing its generated module on first use."""
    codec = _LOADED.get(schema_id)
    if codec is None:
        module = SCHEMAS.get(schema_id)
        if module is None:
            return None
        codec = importlib.import_module(module).CODEC
        _LOADED[schema_id] = codec
    return codec


def codec_for_estimator(estimator: Any, path: str = "$.model") -> ModelCodec:
    """The newest codec for exactly this estimator's class (no fallback to parent classes)."""
    cls = type(estimator)
    class_path = BY_CLASS_NAME.get(cls.__name__)
    codec = codec_for(LATEST[class_path]) if class_path else None
    if codec is None or codec.estimator_class() is not cls:
        raise UnsupportedModelError(
            f"{path}: {cls.__module__}.{cls.__qualname__} is not supported by milo_codec. "
            "milo_codec.supported_models() lists the supported classes; to add one, draft its "
            "schema with tools/draft_schema.py, review it into schemas/, and run make codegen."
        )
    return codec


def supported_models() -> dict[str, str]:
    """Public class path → newest schema ``$id`` of every class that can be written and read."""
    return dict(sorted(LATEST.items()))


def all_schema_ids() -> tuple[str, ...]:
    return tuple(SCHEMAS)
