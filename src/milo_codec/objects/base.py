"""An object kind: one kind of sklearn/numpy/scipy internal object the format can hold.

Each family module (``objects/random.py``, ``objects/tree.py``, ...) declares its kinds:
how a value of exactly that type is written (the payload under its tag), how the payload is
validated and rebuilt (a pydantic-core schema), and which common schema file defines it.
The table in ``objects/__init__.py`` is the only way an object kind enters the format.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_core import core_schema

Encode = Callable[[Any, str], Any]  # the ValueEncoder: value, JSON path → JSON tree


def loaded(module: str, name: str) -> Any:
    """``module``'s attribute ``name`` if that module is imported already, else None.

    Every kind's ``matches`` is asked about every value written and rebuilt. A value can only
    be an instance of a class whose module is loaded, so the class is looked up here rather
    than imported: reading a file imports only the modules of the classes it holds.
    """
    found = sys.modules.get(module)
    return None if found is None else getattr(found, name, None)


def exactly(module: str, name: str) -> Callable[[Any], bool]:
    """A ``matches`` test for values of exactly the class ``module.name``."""

    def matches(v: Any) -> bool:
        cls = loaded(module, name)
        return cls is not None and type(v) is cls

    return matches


def instance_of(module: str, *names: str) -> Callable[[Any], bool]:
    """A ``matches`` test for instances of any of the classes ``module.name`` (or subclasses)."""

    def matches(v: Any) -> bool:
        classes = tuple(c for c in (loaded(module, n) for n in names) if c is not None)
        return bool(classes) and isinstance(v, classes)

    return matches


@dataclass(frozen=True)
class ObjectKind:
    tag: str  # the tagged object's key, and the $defs name in its common schema
    schema_file: str  # e.g. "common/random/v1.json"
    matches: Callable[[Any], bool]  # exact-type test on a Python value
    encode: Callable[[Any, Encode, str], Any]  # value, encoder, path → payload
    decoder: Callable[[], core_schema.CoreSchema]  # validates the payload (and maybe builds)
    # When set, the decoder returns an inert payload and the object is built only in the
    # construct phase, after every invariant passed (e.g. compiled tree structures).
    build: Callable[[Any], Any] | None = None
    build_checked: Callable[[Any], Any] | None = None  # for a Pending marked ``checked``
    # Whether one object held in several places is written once and aliased elsewhere
    # (e.g. a RandomState shared by a model and its sub-estimators).
    shareable: bool = False
    # Whether the values inside the payload are addressable (alias targets and aliases to
    # each other), like a model node's fields. Kinds holding model nodes need it: a nested
    # model's own schema may require aliases inside it (a VotingClassifier's
    # named_estimators_), and arrays the payload shares with its owner stay shared.
    addressable: bool = False

    @property
    def ref(self) -> str:
        from milo_codec.codecs.constants import SCHEMA_BASE

        return f"{SCHEMA_BASE}{self.schema_file}#/$defs/{self.tag}"


@dataclass(eq=False)
class Pending:
    """A validated, inert payload of an object kind whose object is built at construction."""

    kind: ObjectKind
    payload: Any
    # Set by an owner's invariants that checked the payload with the owner's shapes; the kind
    # may then build it with ``build_checked`` instead of checking it again.
    checked: bool = False


@dataclass(frozen=True)
class AliasRef:
    """``{"alias": "$.model.state.coefs_[0]"}``: the very object written earlier at that path."""

    path: str
    arrays: tuple[tuple[str, int], ...] = ()  # (dtype, rank) the target array may have
    models: bool = False  # whether the target may be a model node
    objects: tuple[str, ...] = ()  # object-kind tags the target may have

    def accepts(self, target: Any) -> bool:
        import numpy as np

        from milo_codec.codecs.base import NodeModel

        if isinstance(target, NodeModel):
            return self.models
        if isinstance(target, Pending):
            return target.kind.tag in self.objects
        from milo_codec.objects import kind_for

        kind = kind_for(target)
        if kind is not None:
            return kind.tag in self.objects
        if isinstance(target, np.ndarray):
            family = (
                "U"
                if target.dtype.kind == "U"
                else ("object" if target.dtype.kind == "O" else target.dtype.name)
            )
            return any(dt == family and nd in (target.ndim, -1) for dt, nd in self.arrays)
        return False
