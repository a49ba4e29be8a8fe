"""milo_codec: safe, transparent, faithful persistence for scikit-learn models.

Models are written as strict, human-readable JSON and read back as the same Python object.
Every file is checked against its versioned JSON Schema and cross-field invariants before
anything is constructed.
"""

from __future__ import annotations

__version__ = "0.1.0"

from milo_codec.api import dump, dumps, load, loads, supported_models, validate
from milo_codec.errors import (
    ConstructionError,
    DocumentError,
    IntegrityError,
    InvariantError,
    LimitError,
    MiloError,
    ParseError,
    Problem,
    SchemaError,
    UnsupportedModelError,
    VersionError,
)
from milo_codec.limits import DEFAULT_LIMITS, Limits
from milo_codec.report import Report

__all__ = [
    "DEFAULT_LIMITS",
    "ConstructionError",
    "DocumentError",
    "IntegrityError",
    "InvariantError",
    "LimitError",
    "Limits",
    "MiloError",
    "ParseError",
    "Problem",
    "Report",
    "SchemaError",
    "UnsupportedModelError",
    "VersionError",
    "__version__",
    "dump",
    "dumps",
    "load",
    "loads",
    "supported_models",
    "validate",
]
