"""Object kinds of the tree family (see objects/base.py): scikit-learn's compiled ``Tree``.

``sklearn.tree._tree.Tree`` is a Cython object whose ``predict``/``apply``/``decision_path``
follow child indices and read feature columns without bounds checks. Its payload is
therefore decoded into an *inert* dict (numbers and numpy arrays, nothing compiled) and the
``Tree`` is built only at construction, after the invariants (``invariants/tree.py``:
``check_tree_payload``) have proved the node graph is a tree whose indices are all in range.
``build`` runs the model-independent part of those checks once more, so a schema that forgets
to list the invariant still cannot hand a malformed graph to compiled code.

Payload (the arguments of ``Tree(n_features, n_classes, n_outputs)`` and its ``__getstate__``):
``n_features``, ``n_classes`` (intp array, one count per output), ``n_outputs``, ``max_depth``,
``node_count``, ``nodes`` (a recarray with exactly ``NODE_DTYPE``) and ``values`` (float64,
shape ``(node_count, n_outputs, max(n_classes))``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, exactly

INTP_MAX = int(np.iinfo(np.intp).max)  # Tree's constructor takes intp_t counts


def _node_dtype() -> np.dtype:
    from sklearn.tree._tree import NODE_DTYPE

    return NODE_DTYPE


def _encode_tree(tree: Any, encode: Encode, path: str) -> Any:
    _, (n_features, n_classes, n_outputs), state = tree.__reduce__()
    return {
        "n_features": int(n_features),
        "n_classes": encode(n_classes, f"{path}.n_classes"),
        "n_outputs": int(n_outputs),
        "max_depth": int(state["max_depth"]),
        "node_count": int(state["node_count"]),
        "nodes": encode(state["nodes"], f"{path}.nodes"),
        "values": encode(state["values"], f"{path}.values"),
    }


def _then(check: Any, schema: core_schema.CoreSchema) -> core_schema.CoreSchema:
    return core_schema.no_info_after_validator_function(check, schema)


@functools.cache
def node_dtype_message() -> str:
    dtype = _node_dtype()
    assert dtype.fields is not None and dtype.names is not None
    return (
        "nodes must have scikit-learn's NODE_DTYPE exactly: fields "
        + ", ".join(
            f"{name} {dtype.fields[name][0].name} at offset {dtype.fields[name][1]}"
            for name in dtype.names
        )
        + f", itemsize {dtype.itemsize}"
    )


def _nodes(a: np.ndarray) -> np.ndarray:
    # The compiled tree memcpy's this buffer as its Node structs: the layout must be exact.
    if a.dtype != _node_dtype():
        raise PydanticCustomError("milo", node_dtype_message())
    if a.ndim != 1:
        raise PydanticCustomError("milo", "nodes must be one-dimensional")
    return a


def _values(a: np.ndarray) -> np.ndarray:
    if not a.flags.c_contiguous:
        raise PydanticCustomError("milo", "values must be C-contiguous (no order)")
    return a


def _tree_decoder() -> core_schema.CoreSchema:
    def count(ge: int) -> core_schema.TypedDictField:
        return core_schema.typed_dict_field(core_schema.int_schema(strict=True, ge=ge, le=INTP_MAX))

    fields = {
        "n_features": count(1),
        "n_classes": core_schema.typed_dict_field(k.NDArray(allowed=(("int64", 1),)).schema()),
        "n_outputs": count(1),
        "max_depth": count(0),
        "node_count": count(1),
        "nodes": core_schema.typed_dict_field(_then(_nodes, k.Recarray().schema())),
        "values": core_schema.typed_dict_field(
            _then(_values, k.NDArray(allowed=(("float64", 3),)).schema())
        ),
    }
    # Inert: the Tree is built by _build_tree, after the invariants.
    return k.closed_object(fields)


def _build_tree(payload: dict) -> Any:
    """A tree no owner checked is checked here, before the compiled code sees it."""
    from milo_codec.invariants.tree import check_tree_payload

    problems = check_tree_payload(payload, None, None, None, "tree")
    if problems:
        raise ValueError(f"{problems[0].path}: {problems[0].message}")
    return _build_checked_tree(payload)


def _build_checked_tree(payload: dict) -> Any:
    from sklearn.tree._tree import Tree

    tree = Tree(payload["n_features"], payload["n_classes"], payload["n_outputs"])
    tree.__setstate__(
        {
            "max_depth": payload["max_depth"],
            "node_count": payload["node_count"],
            "nodes": payload["nodes"],
            "values": payload["values"],
        }
    )
    return tree


KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        tag="tree",
        schema_file="common/tree/v1.json",
        matches=exactly("sklearn.tree._tree", "Tree"),
        encode=_encode_tree,
        decoder=_tree_decoder,
        build=_build_tree,
        build_checked=_build_checked_tree,
    ),
)
