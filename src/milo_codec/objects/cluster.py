"""Object kinds of the cluster family: BisectingKMeans's bisection tree.

``bisecting_tree``
------------------
``BisectingKMeans._bisecting_tree`` is a binary tree of ``_BisectingTree`` nodes: every node
holds the ``center`` and ``score`` of a cluster, inner nodes their ``left``/``right`` halves,
leaves the final ``label`` (the root's center is a 1 x d ``numpy.matrix`` when fitted on
sparse data: written as its row with ``matrix: true``); ``predict`` walks it from the root, comparing the query with the
two children's centers (through the k-means Cython kernel) until a leaf gives the label.
The tree is written as a flat list of nodes in pre-order (root first), each naming its two
children by position, so a file cannot express a cycle or a shared node: checked here,
every node but the root is the child of exactly one node that comes before it. How the
leaves agree with the estimator (labels 0..k-1 in leaf order, centers equal to
``cluster_centers_`` rows, sizes equal to ``n_features_in_``) is the invariant
``bisecting_kmeans_tree``. Nodes are built only at construction, in each node's own
attribute order, so ``vars()`` of every node comes back identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind

_FLOAT_ARRAYS_1D = (("float64", 1), ("float32", 1))
_SCORE = k.OneOf(
    (
        k.Int(),
        k.Float(),
        k.NumpyScalar(dtype="int64"),
        k.NumpyScalar(dtype="float64"),
        k.NumpyScalar(dtype="float32"),
    )
)
_INDEX = k.Int(bounds=k.Bounds(ge=0, le=2**62))
# Attributes of a node in the order scikit-learn sets them; leaves add ``label`` at the end.
_NODE_ATTRS = ("center", "indices", "score", "left", "right")


def _fail(message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("milo", message, context or None)


def _bisecting_tree_class() -> type:
    from sklearn.cluster._bisect_k_means import _BisectingTree

    return _BisectingTree


def _is_bisecting_tree(v: Any) -> bool:
    t = type(v)
    return (
        t.__name__ == "_BisectingTree"
        and t.__module__ == "sklearn.cluster._bisect_k_means"
        and t is _bisecting_tree_class()
    )


def _encode_bisecting_tree(root: Any, encode: Encode, path: str) -> Any:
    cls = _bisecting_tree_class()
    order: list[Any] = []
    index: dict[int, int] = {}
    stack = [root]
    while stack:  # pre-order, without recursion
        node = stack.pop()
        if id(node) in index:
            raise TypeError("bisecting trees whose nodes are shared or form a cycle")
        index[id(node)] = len(order)
        order.append(node)
        attrs = vars(node)
        names = tuple(attrs)
        if names not in (_NODE_ATTRS, (*_NODE_ATTRS, "label")):
            raise TypeError(f"bisecting tree nodes with attributes {list(names)}")
        left, right = attrs["left"], attrs["right"]
        if (left is None) != (right is None):
            raise TypeError("bisecting tree nodes with a single child")
        if left is not None:
            if not (type(left) is cls and type(right) is cls):
                raise TypeError("bisecting tree nodes whose children are not tree nodes")
            stack.append(right)
            stack.append(left)
    nodes = []
    for i, node in enumerate(order):
        attrs = vars(node)
        p = f"{path}.nodes[{i}]"
        children = (
            None if attrs["left"] is None else [index[id(attrs["left"])], index[id(attrs["right"])]]
        )
        label = attrs.get("label")
        if "label" in attrs and type(label) is not int:
            raise TypeError(f"bisecting tree labels of type {type(label).__name__}")
        center = attrs["center"]
        matrix = type(center) is np.matrix
        if matrix:  # the root's center is X.mean(axis=0), a 1 x d matrix for sparse X
            if center.shape[0] != 1:
                raise TypeError("bisecting tree centers that are matrices of more than one row")
            center = np.asarray(center)[0]
        nodes.append(
            {
                "center": encode(center, f"{p}.center"),
                "matrix": matrix,
                "indices": encode(attrs["indices"], f"{p}.indices"),
                "score": encode(attrs["score"], f"{p}.score"),
                "children": children,
                "label": label,
            }
        )
    return {"nodes": nodes}


def check_bisecting_payload(p: dict) -> str | None:
    """What is wrong with a tree on its own (None: nothing): shape of the tree and its arrays."""
    nodes = p["nodes"]
    if not nodes:
        return "a tree has at least its root node"
    parents = [0] * len(nodes)
    for i, node in enumerate(nodes):
        children = node["children"]
        if children is None:
            continue
        for c in children:
            if not i < c < len(nodes):
                return f"node {i}: children must be later nodes in [{i + 1}, {len(nodes)})"
            parents[c] += 1
        if children[0] == children[1]:
            return f"node {i}: its two children must be different nodes"
        if node["label"] is not None:
            return f"node {i}: only leaves have a label"
    for i in range(1, len(nodes)):
        if parents[i] != 1:
            return f"node {i} must be the child of exactly one node (it is of {parents[i]})"
    centers = [node["center"] for node in nodes]
    if len({(c.dtype, c.shape) for c in centers}) != 1:
        return "every node's center must have the same dtype and length"
    for i, node in enumerate(nodes):
        indices = node["indices"]
        if indices is not None and indices.size and int(indices.min()) < 0:
            return f"node {i}: indices must not be negative"
    return None


def _bisecting_decoder() -> core_schema.CoreSchema:
    node = core_schema.typed_dict_schema(
        {
            "center": core_schema.typed_dict_field(
                k.NDArray(allowed=_FLOAT_ARRAYS_1D).schema()
            ),
            "matrix": core_schema.typed_dict_field(core_schema.bool_schema(strict=True)),
            "indices": core_schema.typed_dict_field(
                k.OneOf((k.Null(), k.NDArray(allowed=(("int64", 1), ("int32", 1))))).core()
            ),
            "score": core_schema.typed_dict_field(_SCORE.core()),
            "children": core_schema.typed_dict_field(
                k.OneOf(
                    (k.Null(), k.ListOf(prefix=(k.OneOf((_INDEX,)), k.OneOf((_INDEX,))))),
                ).core()
            ),
            "label": core_schema.typed_dict_field(
                k.OneOf((k.Null(), k.Int(bounds=k.Bounds(ge=0, le=2**62)))).core()
            ),
        },
        extra_behavior="forbid",
    )
    fields = {"nodes": core_schema.typed_dict_field(core_schema.list_schema(node, strict=True))}

    def check(p: dict) -> dict:
        problem = check_bisecting_payload(p)
        if problem:
            raise _fail(problem)
        return p  # inert: built at construction, after the estimator's invariants

    return core_schema.no_info_after_validator_function(
        check, core_schema.typed_dict_schema(fields, extra_behavior="forbid")
    )


def _build_bisecting_tree(p: dict) -> Any:
    problem = check_bisecting_payload(p)
    if problem:
        raise ValueError(problem)
    cls = _bisecting_tree_class()
    built: list[Any] = [None] * len(p["nodes"])
    for i in reversed(range(len(p["nodes"]))):  # children come after their parent
        spec = p["nodes"][i]
        node = cls.__new__(cls)
        node.center = _matrix(spec["center"]) if spec["matrix"] else spec["center"]
        node.indices = spec["indices"]
        node.score = spec["score"]
        children = spec["children"]
        node.left = None if children is None else built[children[0]]
        node.right = None if children is None else built[children[1]]
        if spec["label"] is not None:
            node.label = spec["label"]
        built[i] = node
    return built[0]


def _matrix(row: np.ndarray) -> Any:
    import warnings

    with warnings.catch_warnings():  # numpy discourages matrices; scikit-learn made this one
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(row)


def bisecting_leaves(p: dict) -> list[dict]:
    """The leaves of a (checked) tree payload in scikit-learn's ``iter_leaves`` order."""
    nodes, out, stack = p["nodes"], [], [0]
    while stack:
        node = nodes[stack.pop()]
        if node["children"] is None:
            out.append(node)
        else:
            stack.extend(reversed(node["children"]))
    return out


KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        tag="bisecting_tree",
        schema_file="common/cluster/v1.json",
        matches=_is_bisecting_tree,
        encode=_encode_bisecting_tree,
        decoder=_bisecting_decoder,
        build=_build_bisecting_tree,
    ),
)
