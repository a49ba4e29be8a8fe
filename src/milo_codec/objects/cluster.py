"""Object kinds of the cluster family: BisectingKMeans's bisection tree, Birch's CF tree.

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

from collections.abc import Callable
from typing import Any, cast

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


def _bisecting_tree_class() -> Any:
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
    node = k.closed_object(
        {
            "center": core_schema.typed_dict_field(k.NDArray(allowed=_FLOAT_ARRAYS_1D).schema()),
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
    )
    fields = {"nodes": core_schema.typed_dict_field(k.items_of(node))}

    def check(p: dict) -> dict:
        problem = check_bisecting_payload(p)
        if problem:
            raise _fail(problem)
        return p  # inert: built at construction, after the estimator's invariants

    return core_schema.no_info_after_validator_function(check, k.closed_object(fields))


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


_BISECTING_KINDS = (
    ObjectKind(
        tag="bisecting_tree",
        schema_file="common/cluster/v1.json",
        matches=_is_bisecting_tree,
        encode=_encode_bisecting_tree,
        decoder=_bisecting_decoder,
        build=_build_bisecting_tree,
    ),
)


# ---------------------------------------------------------------------------
# Birch's CF tree: ``cf_node``
#
# Birch keeps ``root_`` (a _CFNode whose _CFSubcluster entries lead to child nodes) and
# ``dummy_leaf_``, the head of a doubly linked list of the leaves (prev_leaf_/next_leaf_), which
# partial_fit keeps up to date while it inserts samples and splits nodes; predict uses
# subcluster_centers_, taken from that list. The two fields share their leaves and the list
# makes the graph cyclic; which field comes first in ``__dict__`` depends on whether the root
# was ever split (Birch deletes and re-sets ``root_``). So a node is written as
#
#   {"earlier": null, "graph": [node, node, ...], "node": 0}
#       the graph reachable from this node, written in full;
#   {"earlier": {"alias": path}, "graph": null, "node": k}
#       node k of the graph of the cf_node written at path (dummy_leaf_ after root_);
#   {"earlier": {"alias": path}, "graph": [node, {"earlier_node": j}, ...], "node": 0}
#       the graph reachable from this node, where nodes already in the earlier graph are
#       named by their position there and not expanded (root_ after dummy_leaf_).
#
# Nodes are numbered in one canonical order: depth-first from the entry node, visiting a node's
# subclusters' children in order, then its prev_leaf_, then its next_leaf_, and not expanding
# nodes of the earlier graph. A file must list its nodes in exactly that order (checked), so
# the reader, numbering the rebuilt graph the same way, finds every node where the writer saw
# it, and every node is reachable from the entry.

_NODE_ORDER = (
    "threshold",
    "branching_factor",
    "is_leaf",
    "n_features",
    "subclusters_",
    "init_centroids_",
    "init_sq_norm_",
    "squared_norm_",
    "prev_leaf_",
    "next_leaf_",
)
# A subcluster's attribute order depends on how it was made: from one sample, or empty (a
# split's new subcluster) and then updated, or still empty.
_SUBCLUSTER_LAYOUTS = {
    "sample": ("n_samples_", "centroid_", "linear_sum_", "squared_sum_", "sq_norm_", "child_"),
    "updated": ("n_samples_", "squared_sum_", "centroid_", "linear_sum_", "child_", "sq_norm_"),
    "empty": ("n_samples_", "squared_sum_", "centroid_", "linear_sum_", "child_"),
}
_FLOAT_ARRAYS_2D = (("float64", 2), ("float32", 2))
_SUM = k.OneOf(
    (
        k.NDArray(allowed=_FLOAT_ARRAYS_1D),
        k.Int(bounds=k.Bounds(ge=0, le=0)),
        k.Float(),
        k.NumpyScalar(dtype="float64"),
        k.NumpyScalar(dtype="float32"),
    )
)
_NODE_REF = k.OneOf((k.Null(), k.Int(bounds=k.Bounds(ge=0, le=2**62))))


def _birch_classes() -> tuple[Any, Any]:
    from sklearn.cluster._birch import _CFNode, _CFSubcluster

    return _CFNode, _CFSubcluster


def _is_cf_node(v: Any) -> bool:
    t = type(v)
    return (
        t.__name__ == "_CFNode"
        and t.__module__ == "sklearn.cluster._birch"
        and t is _birch_classes()[0]
    )


def cf_graph(entry: Any, stop: frozenset[int] = frozenset()) -> list[Any]:
    """Nodes reachable from ``entry`` (built objects) in the canonical order; nodes whose id
    is in ``stop`` are listed but not expanded."""
    order: list[Any] = []
    seen: set[int] = set()
    stack = [entry]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        if id(node) not in stop:
            stack.extend(reversed(_cf_neighbours(node)))
    return order


def _cf_neighbours(node: Any) -> list[Any]:
    out = [sc.child_ for sc in node.subclusters_ if sc.child_ is not None]
    return out + [n for n in (node.prev_leaf_, node.next_leaf_) if n is not None]


def record_links(record: dict) -> list[int]:
    """The positions a full node record links to, in the canonical visiting order."""
    out = [sc["child_"] for sc in record["subclusters"] if sc["child_"] is not None]
    return out + [j for j in (record["prev_leaf"], record["next_leaf"]) if j is not None]


def is_external(record: dict) -> bool:
    return "earlier_node" in record


def payload_order(nodes: list[dict]) -> list[int]:
    """The canonical order of a graph given as records (links already in range)."""
    order: list[int] = []
    seen: set[int] = set()
    stack = [0]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        order.append(i)
        if not is_external(nodes[i]):
            stack.extend(reversed(record_links(nodes[i])))
    return order


def _encode_cf_node(node: Any, encode: Encode, path: str) -> Any:
    earlier_graphs = [
        (where, cf_graph(obj))
        for where, obj in cast(Any, encode).written()
        if _is_cf_node(obj) and obj is not node
    ]
    for where, graph in earlier_graphs:  # a node of a graph written earlier is named
        for i, other in enumerate(graph):
            if other is node:
                return {"earlier": {"alias": where}, "graph": None, "node": i}
    own = cf_graph(node)
    earlier: Any = None
    known: dict[int, int] = {}
    for where, graph in earlier_graphs:  # a graph sharing nodes with an earlier one
        ids = {id(n): i for i, n in enumerate(graph)}
        if any(id(n) in ids for n in own):
            earlier, known = {"alias": where}, ids
            break
    order = cf_graph(node, frozenset(known))
    index = {id(n): i for i, n in enumerate(order)}
    records = [
        {"earlier_node": known[id(n)]}
        if id(n) in known
        else _encode_node_record(n, index, encode, f"{path}.graph[{i}]")
        for i, n in enumerate(order)
    ]
    return {"earlier": earlier, "graph": records, "node": 0}


def _encode_node_record(node: Any, index: dict[int, int], encode: Encode, path: str) -> dict:
    _, subcluster_cls = _birch_classes()
    attrs = vars(node)
    m = len(attrs["subclusters_"])
    expected = _NODE_ORDER + (("centroids_",) if m else ())
    if tuple(attrs) != expected:
        raise TypeError(f"CF nodes with attributes {list(attrs)} (expected {list(expected)})")
    init, sq = attrs["init_centroids_"], attrs["init_sq_norm_"]
    if m:
        # centroids_ and squared_norm_ are views of the first m rows, which insertions update
        # in place through init_centroids_/init_sq_norm_; they are rebuilt as such views.
        if not (
            _is_prefix_view(attrs["centroids_"], init, m)
            and _is_prefix_view(attrs["squared_norm_"], sq, m)
        ):
            raise TypeError("CF nodes whose centroids_/squared_norm_ are not views of their rows")
    elif attrs["squared_norm_"] != []:
        raise TypeError("empty CF nodes whose squared_norm_ is not []")
    subclusters = []
    for j, sc in enumerate(attrs["subclusters_"]):
        if type(sc) is not subcluster_cls:
            raise TypeError(f"CF node entries of type {type(sc).__name__}")
        subclusters.append(_encode_subcluster(sc, index, encode, f"{path}.subclusters[{j}]"))
    link = attrs["prev_leaf_"], attrs["next_leaf_"]
    return {
        "threshold": encode(attrs["threshold"], f"{path}.threshold"),
        "branching_factor": encode(attrs["branching_factor"], f"{path}.branching_factor"),
        "is_leaf": encode(attrs["is_leaf"], f"{path}.is_leaf"),
        "n_features": encode(attrs["n_features"], f"{path}.n_features"),
        "subclusters": subclusters,
        "init_centroids_": encode(init, f"{path}.init_centroids_"),
        "init_sq_norm_": encode(sq, f"{path}.init_sq_norm_"),
        "prev_leaf": None if link[0] is None else index[id(link[0])],
        "next_leaf": None if link[1] is None else index[id(link[1])],
    }


def _is_prefix_view(view: Any, base: np.ndarray, m: int) -> bool:
    """Whether ``view`` is ``base[:m]``: the same memory, from the same start, same strides."""
    return (
        type(view) is np.ndarray
        and view.dtype == base.dtype
        and view.shape == (m, *base.shape[1:])
        and view.strides == base.strides
        and view.__array_interface__["data"][0] == base.__array_interface__["data"][0]
    )


def _encode_subcluster(sc: Any, index: dict[int, int], encode: Encode, path: str) -> dict:
    attrs = vars(sc)
    names = tuple(attrs)
    layout = next((n for n, order in _SUBCLUSTER_LAYOUTS.items() if order == names), None)
    if layout is None:
        raise TypeError(f"CF subclusters with attributes {list(names)}")
    n = attrs["n_samples_"]
    if type(n) is not int:
        raise TypeError(f"CF subclusters counting samples as {type(n).__name__}")
    child = attrs["child_"]
    if child is not None and id(child) not in index:
        raise TypeError("CF subclusters whose child is not a CF node")
    same_centroid = attrs["centroid_"] is attrs["linear_sum_"]
    same_norm = "sq_norm_" in attrs and attrs["sq_norm_"] is attrs["squared_sum_"]
    return {
        "layout": layout,
        "n_samples_": n,
        "linear_sum_": encode(attrs["linear_sum_"], f"{path}.linear_sum_"),
        "centroid_": None if same_centroid else encode(attrs["centroid_"], f"{path}.centroid_"),
        "squared_sum_": encode(attrs["squared_sum_"], f"{path}.squared_sum_"),
        "sq_norm_": None
        if "sq_norm_" not in attrs or same_norm
        else encode(attrs["sq_norm_"], f"{path}.sq_norm_"),
        "sq_norm_is_squared_sum": same_norm,
        "child_": None if child is None else index[id(child)],
    }


def check_cf_graph(nodes: list[dict]) -> str | None:
    """What is wrong with a graph written in full on its own (None: nothing).

    Links to nodes of an earlier graph are checked once both graphs are known (Birch's
    invariant ``birch_cf_tree`` joins them and runs ``check_cf_links`` on the whole).
    """
    n = len(nodes)
    if n == 0 or is_external(nodes[0]):
        return "a graph starts with its entry node, written in full"
    for i, node in enumerate(nodes):
        if not is_external(node) and any(j >= n for j in record_links(node)):
            return f"node {i}: links must name nodes in [0, {n})"
    if payload_order(nodes) != list(range(n)):
        return "nodes must be listed in the canonical order from node 0 (every node reachable)"
    for i, node in enumerate(nodes):
        if not is_external(node):
            problem = _check_cf_node(i, node)
            if problem:
                return problem
    return check_cf_links(nodes, root=0)


def check_cf_links(nodes: list[dict], root: int | None) -> str | None:
    """Child links form a forest (``root`` has no parent) and leaf links are mutual and end."""
    n = len(nodes)
    parent_of: dict[int, int] = {}
    for i, node in enumerate(nodes):
        if is_external(node):
            continue
        for sc in node["subclusters"]:
            c = sc["child_"]
            if c is None:
                continue
            if c in parent_of or c == root:
                return f"node {c}: a node can be the child of one subcluster only (the root: none)"
            parent_of[c] = i
        for mine, theirs in (("next_leaf", "prev_leaf"), ("prev_leaf", "next_leaf")):
            j = node[mine]
            if j is None or is_external(nodes[j]):
                continue
            if j == i or nodes[j][theirs] != i:
                return f"node {i}: its {mine} must link back to it through {theirs}"
    # with at most one parent each, a cycle never reaches a parentless node
    cycle = _first_cycle(n, parent_of.get)
    if cycle is not None:
        return f"node {cycle}: its chain of parents forms a cycle"
    cycle = _first_cycle(n, lambda j: None if is_external(nodes[j]) else nodes[j]["prev_leaf"])
    if cycle is not None:
        return f"node {cycle}: the leaf list through it forms a cycle"
    return None


def _first_cycle(n: int, next_of: Callable[[int], int | None]) -> int | None:
    """The first node whose chain of ``next_of`` links runs into a cycle, or None.

    Each node is walked once: a chain stops at a node already known to lead to an end. A
    walk from every node to its end cost n² steps on a chain of n nodes (a leaf list of a
    million nodes: 5 × 10^11).
    """
    state = bytearray(n)  # 0: not seen, 1: on the chain being walked, 2: leads to an end
    for start in range(n):
        chain = []
        j: int | None = start
        while j is not None and state[j] == 0:
            state[j] = 1
            chain.append(j)
            j = next_of(j)
        if j is not None and state[j] == 1:
            return start
        for node in chain:
            state[node] = 2
    return None


def join_cf_graphs(first: dict, second: dict) -> tuple[list[dict], int] | str:
    """One node list for two payloads, the second naming the first as ``earlier``.

    Returns the nodes (the first graph's, then the second's own, links renumbered) and the
    second payload's node in that list, or what is wrong.
    """
    nodes = list(first["graph"])
    n1 = len(nodes)
    graph = second["graph"]
    if graph is None:
        if second["node"] >= n1:
            return f"node {second['node']} is not in the earlier graph of {n1} nodes"
        return nodes, second["node"]
    where: list[int] = []
    for record in graph:
        if is_external(record):
            if record["earlier_node"] >= n1:
                return f"earlier node {record['earlier_node']} is not in a graph of {n1} nodes"
            where.append(record["earlier_node"])
        else:
            where.append(n1 + len(where) - sum(1 for w in where if w < n1))
    for record in graph:
        if not is_external(record):
            nodes.append(_renumbered(record, where))
    return nodes, where[0]


def _renumbered(record: dict, where: list[int]) -> dict:
    def at(j: int | None) -> int | None:
        return None if j is None else where[j]

    subclusters = [{**sc, "child_": at(sc["child_"])} for sc in record["subclusters"]]
    return {
        **record,
        "subclusters": subclusters,
        "prev_leaf": at(record["prev_leaf"]),
        "next_leaf": at(record["next_leaf"]),
    }


def _check_cf_node(i: int, node: dict) -> str | None:
    bf, d = node["branching_factor"], node["n_features"]
    init, sq = node["init_centroids_"], node["init_sq_norm_"]
    if init.shape != (bf + 1, d) or sq.shape != (bf + 1,):
        return (
            f"node {i}: init_centroids_ must be (branching_factor + 1, n_features) = "
            f"{(bf + 1, d)} and init_sq_norm_ ({bf + 1},)"
        )
    if init.dtype != sq.dtype:
        return f"node {i}: init_centroids_ and init_sq_norm_ must have the same dtype"
    subclusters = node["subclusters"]
    if len(subclusters) > bf + 1:
        return f"node {i}: holds {len(subclusters)} subclusters but has rows for {bf + 1}"
    has_children = [sc["child_"] is not None for sc in subclusters]
    if node["is_leaf"] and any(has_children):
        return f"node {i}: a leaf's subclusters have no child"
    if not node["is_leaf"]:
        if not all(has_children):
            return f"node {i}: every subcluster of an inner node has a child"
        if node["prev_leaf"] is not None or node["next_leaf"] is not None:
            return f"node {i}: only leaves are linked as leaves"
    for j, sc in enumerate(subclusters):
        where = f"node {i}, subcluster {j}"
        arrays = [sc["linear_sum_"]] + ([] if sc["centroid_"] is None else [sc["centroid_"]])
        for a in arrays:
            if isinstance(a, np.ndarray):
                if a.shape != (d,):
                    return f"{where}: linear_sum_ and centroid_ must have n_features = {d} values"
            elif sc["n_samples_"] != 0:
                return f"{where}: a non-empty subcluster has array sums"
        no_norm = sc["sq_norm_"] is None and not sc["sq_norm_is_squared_sum"]
        if (sc["layout"] == "empty") != no_norm:
            return f"{where}: sq_norm_ is there exactly when the subcluster is not empty"
    return None


def _cf_decoder() -> core_schema.CoreSchema:
    number = k.OneOf(
        (k.Int(), k.Float(), k.NumpyScalar(dtype="float64"), k.NumpyScalar(dtype="int64"))
    )
    index = core_schema.int_schema(strict=True, ge=0, le=2**62)
    subcluster = k.closed_object(
        {
            "layout": core_schema.typed_dict_field(
                core_schema.literal_schema(list(_SUBCLUSTER_LAYOUTS))
            ),
            "n_samples_": core_schema.typed_dict_field(index),
            "linear_sum_": core_schema.typed_dict_field(_SUM.core()),
            "centroid_": core_schema.typed_dict_field(k.OneOf((k.Null(), *_SUM.kinds)).core()),
            "squared_sum_": core_schema.typed_dict_field(_SUM.core()),
            "sq_norm_": core_schema.typed_dict_field(k.OneOf((k.Null(), *_SUM.kinds)).core()),
            "sq_norm_is_squared_sum": core_schema.typed_dict_field(
                core_schema.bool_schema(strict=True)
            ),
            "child_": core_schema.typed_dict_field(_NODE_REF.core()),
        },
    )
    node = k.closed_object(
        {
            "threshold": core_schema.typed_dict_field(number.core()),
            "branching_factor": core_schema.typed_dict_field(
                core_schema.int_schema(strict=True, ge=1, le=2**31)
            ),
            "is_leaf": core_schema.typed_dict_field(core_schema.bool_schema(strict=True)),
            "n_features": core_schema.typed_dict_field(
                core_schema.int_schema(strict=True, ge=1, le=2**31)
            ),
            "subclusters": core_schema.typed_dict_field(k.items_of(subcluster)),
            "init_centroids_": core_schema.typed_dict_field(
                k.NDArray(allowed=_FLOAT_ARRAYS_2D).schema()
            ),
            "init_sq_norm_": core_schema.typed_dict_field(
                k.NDArray(allowed=_FLOAT_ARRAYS_1D).schema()
            ),
            "prev_leaf": core_schema.typed_dict_field(_NODE_REF.core()),
            "next_leaf": core_schema.typed_dict_field(_NODE_REF.core()),
        },
    )
    external = k.closed_object({"earlier_node": core_schema.typed_dict_field(index)})
    record = core_schema.union_schema(
        [external, node],
        mode="left_to_right",
        custom_error_type="milo",
        custom_error_message='expected a node or {"earlier_node": position}',
    )
    fields = {
        "earlier": core_schema.typed_dict_field(
            k.OneOf((k.Null(), k.Alias(objects=("cf_node",)))).core()
        ),
        "graph": core_schema.typed_dict_field(core_schema.nullable_schema(k.items_of(record))),
        "node": core_schema.typed_dict_field(index),
    }

    def check(p: dict) -> dict:
        problem = check_cf_payload(p)
        if problem:
            raise _fail(problem)
        return p  # inert: built at construction, after the estimator's invariants

    return core_schema.no_info_after_validator_function(check, k.closed_object(fields))


def check_cf_payload(p: dict) -> str | None:
    graph = p["graph"]
    if graph is None:
        return None if p["earlier"] is not None else "a node without its graph names an earlier one"
    if p["node"] != 0:
        return "a graph written here is entered at its node 0"
    if p["earlier"] is None and any(is_external(r) for r in graph):
        return "nodes of an earlier graph need the earlier graph named (earlier)"
    return check_cf_graph(graph)


def _build_cf_node(p: dict) -> Any:
    problem = check_cf_payload(p)
    if problem:
        raise ValueError(problem)
    earlier_entry, graph = p["earlier"], p["graph"]
    if earlier_entry is not None and not _is_cf_node(earlier_entry):
        raise ValueError("earlier must name a CF node")
    earlier = cf_graph(earlier_entry) if earlier_entry is not None else []
    if graph is None:
        if p["node"] >= len(earlier):
            raise ValueError(f"node {p['node']} is not in a graph of {len(earlier)} nodes")
        return earlier[p["node"]]
    node_cls, subcluster_cls = _birch_classes()
    built: list[Any] = []
    for record in graph:
        if is_external(record):
            j = record["earlier_node"]
            if j >= len(earlier):
                raise ValueError(f"earlier node {j} is not in a graph of {len(earlier)} nodes")
            built.append(earlier[j])
        else:
            built.append(node_cls.__new__(node_cls))
    for obj, spec in zip(built, graph, strict=True):
        if not is_external(spec):
            _fill_node(obj, spec, built, subcluster_cls)
    # The rebuilt graph must number as the file did (the writer's canonical order).
    again = cf_graph(built[0], frozenset(id(n) for n in earlier))
    if len(again) != len(built) or any(a is not b for a, b in zip(again, built, strict=False)):
        raise ValueError("the rebuilt graph does not list its nodes in the file's order")
    return built[0]


def _fill_node(obj: Any, spec: dict, built: list[Any], subcluster_cls: Any) -> None:
    subclusters = []
    for s in spec["subclusters"]:
        sc = subcluster_cls.__new__(subcluster_cls)
        values = {
            "n_samples_": s["n_samples_"],
            "centroid_": s["linear_sum_"] if s["centroid_"] is None else s["centroid_"],
            "linear_sum_": s["linear_sum_"],
            "squared_sum_": s["squared_sum_"],
            "sq_norm_": s["squared_sum_"] if s["sq_norm_is_squared_sum"] else s["sq_norm_"],
            "child_": None if s["child_"] is None else built[s["child_"]],
        }
        for name in _SUBCLUSTER_LAYOUTS[s["layout"]]:  # the subcluster's own order
            setattr(sc, name, values[name])
        subclusters.append(sc)
    m = len(subclusters)
    init, sq = spec["init_centroids_"], spec["init_sq_norm_"]
    obj.threshold = spec["threshold"]
    obj.branching_factor = spec["branching_factor"]
    obj.is_leaf = spec["is_leaf"]
    obj.n_features = spec["n_features"]
    obj.subclusters_ = subclusters
    obj.init_centroids_ = init
    obj.init_sq_norm_ = sq
    # views of the first m rows, which insertions update in place through the full arrays
    obj.squared_norm_ = sq[:m] if m else []
    obj.prev_leaf_ = None if spec["prev_leaf"] is None else built[spec["prev_leaf"]]
    obj.next_leaf_ = None if spec["next_leaf"] is None else built[spec["next_leaf"]]
    if m:
        obj.centroids_ = init[:m]


KINDS: tuple[ObjectKind, ...] = (
    *_BISECTING_KINDS,
    ObjectKind(
        tag="cf_node",
        schema_file="common/cluster/v1.json",
        matches=_is_cf_node,
        encode=_encode_cf_node,
        decoder=_cf_decoder,
        build=_build_cf_node,
        shareable=True,
    ),
)
