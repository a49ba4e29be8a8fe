"""The table of object kinds: every sklearn/numpy/scipy internal object the format can hold.

Each family module lists its kinds in ``KINDS``; this table is the only way one enters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from milo_codec.objects import (
    calibration,
    cluster,
    compose,
    gaussian_process,
    hist_gradient_boosting,
    impute,
    model_selection,
    neighbors,
    neural_network,
    random,
    tree,
)
from milo_codec.objects.base import ObjectKind
from milo_codec.values import masked

_FAMILIES = (
    random,
    tree,
    hist_gradient_boosting,
    neighbors,
    neural_network,
    compose,
    cluster,
    model_selection,
    masked,
    gaussian_process,
    impute,
    calibration,
)
OBJECT_KINDS: dict[str, ObjectKind] = {
    kind.tag: kind for family in _FAMILIES for kind in family.KINDS
}


# Every kind's test depends on the value's type alone; asked of every value a model holds.
_BY_TYPE: dict[type, ObjectKind | None] = {}


def kind_for(value: object) -> ObjectKind | None:
    t = type(value)
    try:
        return _BY_TYPE[t]
    except KeyError:
        pass
    kind = next((k for k in OBJECT_KINDS.values() if k.matches(value)), None)
    _BY_TYPE[t] = kind
    return kind


def is_leaf(t: type) -> bool:
    """Values of type ``t`` hold nothing to walk: no model node, alias, array or object kind."""
    return t in _LEAVES or (issubclass(t, np.generic) and t is not np.object_)


_LEAVES = frozenset({int, float, str, bool, type(None), complex, bytes})


def all_leaves(values: Iterable[Any]) -> bool:
    """Whether every value is a leaf (the types are collected in C, then each type checked once);
    e.g. a 50,000-word vocabulary needs no walk key by key."""
    return all(map(is_leaf, set(map(type, values))))
