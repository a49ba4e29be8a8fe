"""Clusterers' fitted state: crafted files are refused before any compiled code sees them;
what cannot be written faithfully is refused at dump; loaded models continue like the original.

The k-means kernels (predict, transform, score, MiniBatchKMeans.partial_fit) and HDBSCAN's
single-linkage labelling are Cython compiled without bounds checks; BisectingKMeans and Birch
hold linked Python structures (a bisection tree, a CF tree with a cyclic leaf list) that
predict and partial_fit walk. Each crafted file names the exact problem it must cause; they are
all loaded in one separate process with a timeout (the process must survive), and a last group
mutates real files many ways and queries whatever still loads, also out of process.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from crafted import doc_cache, load_in_children, nd
from equality import assert_identical
from sklearn.cluster import (
    DBSCAN,
    HDBSCAN,
    OPTICS,
    AffinityPropagation,
    AgglomerativeClustering,
    Birch,
    BisectingKMeans,
    FeatureAgglomeration,
    KMeans,
    MeanShift,
    MiniBatchKMeans,
    SpectralBiclustering,
    SpectralClustering,
    SpectralCoclustering,
)

import milo_codec

RNG = np.random.RandomState(0)
X = np.vstack([RNG.randn(15, 4) * 0.4 + 3 * k for k in range(3)])  # 45 x 4, three groups
XQ = RNG.randn(6, 4) * 2 + 3
S = "$.model.state"
SF = "$.model.state"  # where schema-level problems of a fitted state are reported


def _fit(est: Any, data: Any = X) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(data)


FITS: dict[str, Callable[[], Any]] = {
    "kmeans": lambda: _fit(KMeans(n_clusters=3, n_init=1, random_state=0)),
    "minibatch": lambda: _fit(MiniBatchKMeans(n_clusters=3, n_init=1, random_state=0)),
    "bisecting": lambda: _fit(BisectingKMeans(n_clusters=3, random_state=0)),
    "hdbscan": lambda: _fit(HDBSCAN(min_cluster_size=4)),
    "dbscan": lambda: _fit(DBSCAN(eps=0.8)),
    "optics": lambda: _fit(OPTICS(min_samples=4)),
    "agglomerative": lambda: _fit(AgglomerativeClustering(n_clusters=3)),
    "affinity": lambda: _fit(AffinityPropagation(random_state=0)),
    "mean-shift": lambda: _fit(MeanShift(bandwidth=1.5)),
    "cocluster": lambda: _fit(SpectralCoclustering(n_clusters=2, random_state=0), np.abs(X)),
    "birch": lambda: _fit(Birch(n_clusters=3, threshold=0.5, branching_factor=4)),
    "birch-leaf-root": lambda: _fit(Birch(n_clusters=None, threshold=5.0)),
}
_doc = doc_cache(FITS)


def arr(node: dict) -> np.ndarray:
    a = node["ndarray"]
    return np.array(a["data"], dtype=a["dtype"]).reshape(a["shape"])


# ---------------------------------------------------------------------------
# Crafted violations: (base fit, mutation of the state, error class, expected problem lines).


def kmeans_centers_too_narrow(s: dict) -> list[str]:
    s["cluster_centers_"] = nd(arr(s["cluster_centers_"])[:, :3])
    return [
        f"{S}.cluster_centers_: shape[1] is 3 but n_features_in_ is 4 (from {S}.n_features_in_)"
    ]


def kmeans_no_centers(s: dict) -> list[str]:
    s["cluster_centers_"] = nd(np.zeros((0, 4)))
    return [f"{S}.cluster_centers_: must hold at least one center"]


def kmeans_label_out_of_range(s: dict) -> list[str]:
    labels = arr(s["labels_"])
    labels[0] = 7
    s["labels_"] = nd(labels)
    return [f"{S}.labels_: labels (cluster indices) must lie in [0, 3); found 0..7"]


def kmeans_fortran_centers(s: dict) -> list[str]:
    s["cluster_centers_"]["ndarray"]["order"] = "F"
    return [f"{S}.cluster_centers_: must be C-contiguous (the k-means kernels read it row by row)"]


def kmeans_float32_centers(s: dict) -> list[str]:
    s["cluster_centers_"]["ndarray"]["dtype"] = "float32"
    return [f"{S}._tol: must have the centers' dtype float32, not float64"]


def minibatch_counts_short(s: dict) -> list[str]:
    s["_counts"] = nd(arr(s["_counts"])[:2])
    return [f"{S}._counts: shape[0] is 2 but n_clusters is 3 (from $.model.params.n_clusters)"]


def minibatch_counts_float32(s: dict) -> list[str]:
    s["_counts"]["ndarray"]["dtype"] = "float32"
    return [f"{S}._counts: must have the centers' dtype float64, not float32"]


def kmeans_threads_beyond_a_c_int(s: dict) -> list[str]:
    # predict hands _n_threads to OpenMP as a C int: 2**31 had raised OverflowError there
    s["_n_threads"] = 2**31
    return [f"{SF}._n_threads"]


def _tree_nodes(s: dict) -> list[dict]:
    return s["_bisecting_tree"]["bisecting_tree"]["nodes"]


def bisecting_child_out_of_range(s: dict) -> list[str]:
    _tree_nodes(s)[0]["children"] = [1, 99]
    return [f"{SF}._bisecting_tree.bisecting_tree: node 0: children must be later nodes in [1, 5)"]


def bisecting_cycle(s: dict) -> list[str]:
    _tree_nodes(s)[1]["children"] = [2, 1]
    return [f"{SF}._bisecting_tree.bisecting_tree: node 1: children must be later nodes in [2, 5)"]


def bisecting_shared_child(s: dict) -> list[str]:
    _tree_nodes(s)[1]["children"] = [2, 4]
    return [
        f"{SF}._bisecting_tree.bisecting_tree: node 3 must be the child of exactly one node "
        "(it is of 0)"
    ]


def bisecting_wrong_label(s: dict) -> list[str]:
    _tree_nodes(s)[2]["label"] = 5
    return [f"{S}._bisecting_tree: leaf 0 (left to right) must have label 0"]


def bisecting_narrow_center(s: dict) -> list[str]:
    for node in _tree_nodes(s):
        node["center"] = nd(arr(node["center"])[:3])
    return [f"{S}._bisecting_tree: centers must be float64 of length 4 like cluster_centers_"]


def bisecting_leaf_center_moved(s: dict) -> list[str]:
    node = _tree_nodes(s)[3]
    node["center"] = nd(arr(node["center"]) + 1.0)
    return [f"{S}._bisecting_tree: leaf 1's center + _X_mean must be cluster_centers_[1]"]


def bisecting_too_few_leaves(s: dict) -> list[str]:
    nodes = _tree_nodes(s)
    nodes[0]["children"] = [1, 4]
    nodes[1]["children"] = None
    nodes[1]["label"] = 0
    del nodes[2:4]
    nodes[2]["label"] = 1
    nodes[0]["children"] = [1, 2]
    return [f"{S}._bisecting_tree: has 2 leaves but cluster_centers_ holds 3 centers"]


def _linkage(s: dict) -> dict:
    return s["_single_linkage_tree_"]["recarray"]["columns"]


def hdbscan_node_beyond_merges(s: dict) -> list[str]:
    _linkage(s)["left_node"][0] = 10_000_000
    return [
        f"{S}._single_linkage_tree_: row 0: left_node 10000000 must name an earlier node in [0, 45)"
    ]


def hdbscan_node_negative(s: dict) -> list[str]:
    _linkage(s)["right_node"][5] = -1
    return [f"{S}._single_linkage_tree_: row 5: right_node -1 must name an earlier node in [0, 50)"]


def hdbscan_node_not_yet_made(s: dict) -> list[str]:
    _linkage(s)["left_node"][3] = 45 + 3  # the node row 3 itself creates
    return [f"{S}._single_linkage_tree_: row 3: left_node 48 must name an earlier node in [0, 48)"]


def hdbscan_tree_short(s: dict) -> list[str]:
    rec = s["_single_linkage_tree_"]["recarray"]
    rec["shape"] = [43]
    for name in rec["columns"]:
        rec["columns"][name] = rec["columns"][name][:43]
    return [f"{S}._single_linkage_tree_: has 43 rows but 45 samples need 44"]


def hdbscan_tree_int32(s: dict) -> list[str]:
    rec = s["_single_linkage_tree_"]["recarray"]
    rec["fields"][0][1] = "int32"
    rec["fields"][1][1] = "int32"
    rec["offsets"] = [0, 4, 8, 16]
    rec["itemsize"] = 24
    return [
        f"{S}._single_linkage_tree_: must be a 1-d record array of (left_node, right_node, value, "
        "cluster_size) with intp, intp, float64, intp fields"
    ]


def dbscan_core_out_of_range(s: dict) -> list[str]:
    core = arr(s["core_sample_indices_"])
    core[-1] = 45
    s["core_sample_indices_"] = nd(core)
    return [f"{S}.core_sample_indices_: core indices must lie in [0, 45); found {core[0]}..45"]


def dbscan_core_unsorted(s: dict) -> list[str]:
    core = arr(s["core_sample_indices_"])
    s["core_sample_indices_"] = nd(core[::-1])
    return [f"{S}.core_sample_indices_: must be strictly increasing"]


def optics_ordering_repeats(s: dict) -> list[str]:
    ordering = arr(s["ordering_"])
    ordering[1] = ordering[0]
    s["ordering_"] = nd(ordering)
    return [f"{S}.ordering_: must be a permutation of 0..44"]


def optics_predecessor_out_of_range(s: dict) -> list[str]:
    pred = arr(s["predecessor_"])
    pred[2] = 45
    s["predecessor_"] = nd(pred)
    return [f"{S}.predecessor_: predecessors must lie in [-1, 45); found -1..45"]


def agglomerative_child_not_yet_made(s: dict) -> list[str]:
    children = arr(s["children_"])
    children[0, 0] = 45
    s["children_"] = nd(children)
    return [f"{S}.children_: row 0 must merge nodes in [0, 45)"]


def agglomerative_merged_twice(s: dict) -> list[str]:
    children = arr(s["children_"])
    children[1] = children[0]
    s["children_"] = nd(children)
    return [f"{S}.children_: a node can be merged only once"]


def agglomerative_cluster_unused(s: dict) -> list[str]:
    labels = arr(s["labels_"])
    labels[labels == 2] = 1
    s["labels_"] = nd(labels)
    return [f"{S}.labels_: must use each of the 3 clusters"]


def affinity_exemplar_out_of_range(s: dict) -> list[str]:
    idx = arr(s["cluster_centers_indices_"])
    idx[0] = 45
    s["cluster_centers_indices_"] = nd(idx)
    return [
        f"{S}.cluster_centers_indices_: exemplar indices must lie in [0, 45); "
        f"found {idx.min()}..{idx.max()}"
    ]


def mean_shift_label_out_of_range(s: dict) -> list[str]:
    labels = arr(s["labels_"])
    n = s["cluster_centers_"]["ndarray"]["shape"][0]
    labels[0] = n
    s["labels_"] = nd(labels)
    return [f"{S}.labels_: labels must lie in [0, {n}); found 0..{n}"]


def cocluster_masks_disagree(s: dict) -> list[str]:
    rows = arr(s["rows_"])
    rows[0, 0] = not rows[0, 0]
    s["rows_"] = nd(rows)
    return [f"{S}.rows_: must be the row masks of row_labels_, one per bicluster"]


def _graph(s: dict, field: str) -> list[dict]:
    return s[field]["cf_node"]["graph"]


def _first(s: dict) -> str:
    return next(k for k in s if k in ("root_", "dummy_leaf_"))


def _inner(s: dict) -> tuple[str, list[dict], int]:
    """The field whose graph lists an inner node in full, its nodes and that node's position."""
    for field in ("root_", "dummy_leaf_"):
        nodes = s[field]["cf_node"]["graph"] or []
        for i, node in enumerate(nodes):
            if node.get("is_leaf") is False:
                return field, nodes, i
    raise AssertionError("no inner node")


def birch_link_out_of_range(s: dict) -> list[str]:
    first = _first(s)
    nodes = _graph(s, first)
    n = len(nodes)
    leaf = next(i for i, node in enumerate(nodes) if node.get("next_leaf") is not None)
    nodes[leaf]["next_leaf"] = n + 5
    return [f"{SF}.{first}.cf_node: node {leaf}: links must name nodes in [0, {n})"]


def birch_not_canonical(s: dict) -> list[str]:
    field, nodes, inner = _inner(s)
    nodes[inner]["subclusters"] = nodes[inner]["subclusters"][::-1]  # children visited reversed
    return [
        f"{SF}.{field}.cf_node: nodes must be listed in the canonical order from node 0 "
        "(every node reachable)"
    ]


def birch_child_twice(s: dict) -> list[str]:
    """A second subcluster pointing at the same child: a shared node (a DAG, not a tree)."""
    field, nodes, inner = _inner(s)
    subs = nodes[inner]["subclusters"]
    subs[1]["child_"] = subs[0]["child_"]
    return [f"{SF}.{field}.cf_node:"]  # unreachable nodes or sharing: refused either way


def birch_wrong_rows(s: dict) -> list[str]:
    first = _first(s)
    node = _graph(s, first)[0]
    node["init_centroids_"] = nd(arr(node["init_centroids_"])[:-1])
    bf = node["branching_factor"]
    return [
        f"{SF}.{first}.cf_node: node 0: init_centroids_ must be (branching_factor + 1, n_features) "
        f"= ({bf + 1}, 4) and init_sq_norm_ ({bf + 1},)"
    ]


def birch_centers_disagree(s: dict) -> list[str]:
    centers = arr(s["subcluster_centers_"])
    centers[0, 0] += 1.0
    s["subcluster_centers_"] = nd(centers)
    return [f"{S}.subcluster_centers_: must be the centroids of the listed leaves, in list order"]


def birch_norms_short(s: dict) -> list[str]:
    norms = arr(s["_subcluster_norms"])
    s["_subcluster_norms"] = nd(norms[:-1])
    n = norms.shape[0]
    return [
        f"{S}._subcluster_norms: shape[0] is {n - 1} but n_subclusters is {n} "
        f"(from {S}.subcluster_centers_.shape[0])"
    ]


def birch_dummy_not_head(s: dict) -> list[str]:
    second = "dummy_leaf_" if _first(s) == "root_" else "root_"
    payload = (s["dummy_leaf_"] if second == "dummy_leaf_" else s["root_"])["cf_node"]
    if payload["graph"] is None:  # dummy_leaf_ names a node of root_'s graph: name another
        payload["node"] = 0
        return [f"{S}.dummy_leaf_: must be an empty leaf heading the leaf list (no prev_leaf)"]
    raise AssertionError("base fit must write dummy_leaf_ after root_")


def birch_leaf_unlisted(s: dict) -> list[str]:
    """A leaf dropped from the leaf list (its neighbours linked past it)."""
    first = _first(s)
    nodes = _graph(s, first)
    leaf = next(
        i
        for i, node in enumerate(nodes)
        if node.get("is_leaf") and node.get("subclusters") and node["next_leaf"] is not None
    )
    prv, nxt = nodes[leaf]["prev_leaf"], nodes[leaf]["next_leaf"]
    nodes[prv]["next_leaf"], nodes[nxt]["prev_leaf"] = nxt, prv
    nodes[leaf]["prev_leaf"] = nodes[leaf]["next_leaf"] = None
    return [f"{SF}.{first}.cf_node:"]


def birch_inner_node_linked(s: dict) -> list[str]:
    field, nodes, inner = _inner(s)
    nodes[inner]["is_leaf"] = True
    return [f"{SF}.{field}.cf_node: node {inner}: a leaf's subclusters have no child"]


INVARIANT = "InvariantError"
SCHEMA = "SchemaError"
CASES: list[tuple[str, Callable[[dict], list[str]], str]] = [
    ("kmeans", kmeans_centers_too_narrow, INVARIANT),
    ("kmeans", kmeans_no_centers, INVARIANT),
    ("kmeans", kmeans_label_out_of_range, INVARIANT),
    ("kmeans", kmeans_fortran_centers, INVARIANT),
    ("kmeans", kmeans_float32_centers, INVARIANT),
    ("kmeans", kmeans_threads_beyond_a_c_int, SCHEMA),
    ("minibatch", minibatch_counts_short, INVARIANT),
    ("minibatch", minibatch_counts_float32, INVARIANT),
    ("bisecting", bisecting_child_out_of_range, SCHEMA),
    ("bisecting", bisecting_cycle, SCHEMA),
    ("bisecting", bisecting_shared_child, SCHEMA),
    ("bisecting", bisecting_wrong_label, INVARIANT),
    ("bisecting", bisecting_narrow_center, INVARIANT),
    ("bisecting", bisecting_leaf_center_moved, INVARIANT),
    ("bisecting", bisecting_too_few_leaves, INVARIANT),
    ("hdbscan", hdbscan_node_beyond_merges, INVARIANT),
    ("hdbscan", hdbscan_node_negative, INVARIANT),
    ("hdbscan", hdbscan_node_not_yet_made, INVARIANT),
    ("hdbscan", hdbscan_tree_short, INVARIANT),
    ("hdbscan", hdbscan_tree_int32, INVARIANT),
    ("dbscan", dbscan_core_out_of_range, INVARIANT),
    ("dbscan", dbscan_core_unsorted, INVARIANT),
    ("optics", optics_ordering_repeats, INVARIANT),
    ("optics", optics_predecessor_out_of_range, INVARIANT),
    ("agglomerative", agglomerative_child_not_yet_made, INVARIANT),
    ("agglomerative", agglomerative_merged_twice, INVARIANT),
    ("agglomerative", agglomerative_cluster_unused, INVARIANT),
    ("affinity", affinity_exemplar_out_of_range, INVARIANT),
    ("mean-shift", mean_shift_label_out_of_range, INVARIANT),
    ("cocluster", cocluster_masks_disagree, INVARIANT),
    ("birch", birch_link_out_of_range, SCHEMA),
    ("birch-leaf-root", birch_link_out_of_range, SCHEMA),
    ("birch", birch_not_canonical, SCHEMA),
    ("birch", birch_child_twice, SCHEMA),
    ("birch", birch_wrong_rows, SCHEMA),
    ("birch", birch_centers_disagree, INVARIANT),
    ("birch", birch_norms_short, INVARIANT),
    ("birch-leaf-root", birch_dummy_not_head, INVARIANT),
    ("birch", birch_leaf_unlisted, SCHEMA),
    ("birch", birch_inner_node_linked, SCHEMA),
]
IDS = [f"{b}-{m.__name__.replace('_', '-')}" for b, m, _ in CASES]


@pytest.fixture(scope="module")
def crafted_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str, list]]:
    """Every crafted file loaded in child processes, once: id → (error, message, expected)."""
    docs: dict[str, str | dict] = {}
    expected = {}
    for (base, mutate, _), case in zip(CASES, IDS, strict=True):
        doc = _doc(base)
        expected[case] = mutate(doc["model"]["state"])
        docs[case] = doc
    out = load_in_children(docs, tmp_path_factory.mktemp("crafted"))
    return {case: (out[case].verdict, out[case].message, expected[case]) for case in docs}


@pytest.mark.parametrize(("base", "mutate", "error"), CASES, ids=IDS)
def test_a_crafted_state_is_refused_in_a_surviving_process(
    base: str,
    mutate: Callable[[dict], list[str]],
    error: str,
    crafted_results: dict[str, tuple[str, str, list]],
) -> None:
    got, message, lines = crafted_results[f"{base}-{mutate.__name__.replace('_', '-')}"]
    assert got == error, message
    for line in lines:
        assert f"  {line}" in message, message


# ---------------------------------------------------------------------------
# Whatever loads must not crash the process: integer arrays, tree links and dimensions nudged
# one at a time; every file that loads is queried with every inference method.

# Run on every file that loads: a Python error is fine; only a dead process is not.
_QUERY_ALL = """
Xq = np.array(%r)
for call in (
    lambda m: m.predict(Xq),
    lambda m: m.transform(Xq),
    lambda m: m.score(Xq),
    lambda m: m.dbscan_clustering(0.7),
    lambda m: m.partial_fit(Xq),
):
    try:
        call(model)
    except Exception:
        pass
"""


def _nudged(value: Any) -> list[Any]:
    """Variants of a JSON tree: each integer (not bool) shifted, one at a time."""
    out: list[Any] = []
    if isinstance(value, bool):
        return out
    if isinstance(value, int):
        return [value + 1, value - 1, value + 1000, -1]
    if isinstance(value, list):
        for i, item in enumerate(value[:6]):  # the first items of every list
            for v in _nudged(item):
                out.append([*value[:i], v, *value[i + 1 :]])
        if value and not isinstance(value[0], int | float):
            out.append(value[:-1])
        return out
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("dtype", "fields", "offsets", "itemsize"):
                continue
            for v in _nudged(item):
                out.append({**value, key: v})
    return out


@pytest.mark.parametrize("base", ["kmeans", "minibatch", "bisecting", "hdbscan", "birch"])
def test_whatever_loads_predicts_without_crashing(base: str, tmp_path: Path) -> None:
    doc = _doc(base)
    docs: list[str] = []
    for name, node in doc["model"]["state"].items():
        for variant in _nudged(node)[:200]:
            d = copy.deepcopy(doc)
            d["model"]["state"][name] = variant
            docs.append(json.dumps(d))
    out = load_in_children(
        {str(i): d for i, d in enumerate(docs)},
        tmp_path,
        timeout=120,
        then=_QUERY_ALL % XQ.tolist(),
    )
    statuses = [o.status for o in out.values()]
    assert set(statuses) <= {"error", "loaded"}, [str(o) for o in out.values()][:3]
    assert "error" in statuses


# ---------------------------------------------------------------------------
# Dump refuses callables outside the closed tables, naming them and what is allowed.


def _my_pool(a: Any, axis: int = 1) -> Any:
    return a.mean(axis=axis)


def _my_metric(a: Any, b: Any) -> float:
    return float(np.abs(a - b).sum())


def _my_affinity(a: Any) -> Any:
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(a, metric="l1")


def test_a_custom_pooling_function_is_refused_at_dump() -> None:
    model = _fit(FeatureAgglomeration(n_clusters=2, pooling_func=_my_pool))
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert "pooling_func" in str(e.value) and "_my_pool" in str(e.value)
    assert "numpy.mean" in str(e.value)


def test_a_listed_function_that_is_no_pooling_function_is_refused_at_dump() -> None:
    model = _fit(FeatureAgglomeration(n_clusters=2, pooling_func=np.sqrt), np.abs(X))
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert "$.model.params.pooling_func" in str(e.value)
    for name in ("numpy.max", "numpy.mean", "numpy.median", "numpy.min"):
        assert name in str(e.value)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: DBSCAN(eps=0.8, metric=_my_metric), "metric"),
        (lambda: OPTICS(min_samples=4, metric=_my_metric), "metric"),
        (lambda: HDBSCAN(metric=_my_metric), "metric"),
        (lambda: AgglomerativeClustering(metric=_my_affinity, linkage="average"), "metric"),
        (lambda: SpectralClustering(n_clusters=2, affinity=_my_metric, random_state=0), "affinity"),
        (lambda: KMeans(n_clusters=2, init=lambda X, k, random_state: X[:k], n_init=1), "init"),
    ],
    ids=["dbscan", "optics", "hdbscan", "agglomerative", "spectral", "kmeans-init"],
)
def test_callable_parameters_are_refused_at_dump(make: Callable[[], Any], field: str) -> None:
    model = _fit(make())
    with pytest.raises(milo_codec.UnsupportedModelError, match=field):
        milo_codec.dumps(model)


def test_a_callable_connectivity_is_refused_at_dump() -> None:
    from sklearn.neighbors import kneighbors_graph

    def connect(data: Any) -> Any:
        return kneighbors_graph(data, 5)

    model = _fit(AgglomerativeClustering(n_clusters=3, connectivity=connect))
    with pytest.raises(milo_codec.UnsupportedModelError, match="connectivity"):
        milo_codec.dumps(model)


def test_a_listed_numpy_function_as_metric_is_refused_by_the_schema() -> None:
    """numpy.mean is in the closed table (a pooling function) but is no metric."""
    doc = _doc("dbscan")
    doc["model"]["params"]["metric"] = {"function": "numpy.mean"}
    with pytest.raises(milo_codec.SchemaError, match=r"\$\.model\.params\.metric"):
        milo_codec.loads(json.dumps(doc))


# ---------------------------------------------------------------------------
# Loaded models continue exactly like the original.


def _continue(model: Any, data: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.partial_fit(data)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Birch(n_clusters=3, threshold=0.5, branching_factor=4),
        lambda: Birch(n_clusters=None, threshold=0.3, branching_factor=3),  # root_ after dummy
        lambda: Birch(n_clusters=None, threshold=5.0),  # the root is still a leaf
        lambda: Birch(n_clusters=AgglomerativeClustering(n_clusters=2), threshold=0.4),
        lambda: MiniBatchKMeans(n_clusters=3, batch_size=10, random_state=0, n_init=1),
    ],
    ids=["birch", "birch-split-root", "birch-leaf-root", "birch-clusterer", "minibatch"],
)
@pytest.mark.parametrize("data", ["dense", "float32", "sparse"])
def test_partial_fit_continues_like_the_original(make: Callable[[], Any], data: str) -> None:
    first, more = X[:30], RNG.randn(25, 4) * 1.5 + 2
    if data == "float32":
        first, more = first.astype(np.float32), more.astype(np.float32)
    elif data == "sparse":
        first, more = sp.csr_matrix(first * (first > 2)), sp.csr_matrix(more * (more > 2))
    original = _continue(make(), first)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    for _ in range(2):
        _continue(original, more)
        _continue(loaded, more)
        assert_identical(vars(original), vars(loaded), "__dict__")
        assert_identical(original.predict(more), loaded.predict(more), "predict")
    # ... and the continued model writes the same document
    assert milo_codec.dumps(loaded) == milo_codec.dumps(original)


def test_birch_leaf_list_is_shared_with_the_tree_after_loading() -> None:
    model = FITS["birch"]()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    leaves, leaf = [], loaded.dummy_leaf_.next_leaf_
    while leaf is not None:
        leaves.append(leaf)
        leaf = leaf.next_leaf_
    in_tree, stack = [], [loaded.root_]
    while stack:
        node = stack.pop()
        if node.is_leaf:
            in_tree.append(node)
        stack.extend(sc.child_ for sc in node.subclusters_ if sc.child_ is not None)
    assert {id(n) for n in leaves} == {id(n) for n in in_tree}
    for node in in_tree:  # centroids_ is a view that insertions update through init_centroids_
        assert np.shares_memory(node.centroids_, node.init_centroids_)


@pytest.mark.parametrize(
    "cls",
    [
        KMeans,
        MiniBatchKMeans,
        BisectingKMeans,
        Birch,
        HDBSCAN,
        FeatureAgglomeration,
        SpectralBiclustering,
    ],
)
def test_an_unfitted_estimator_round_trips(cls: type) -> None:
    model = cls()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert_identical(vars(loaded), vars(model))


# ---------------------------------------------------------------------------
# The equality used by the round-trip tests follows cyclic structures.


class _Link:
    def __init__(self, value: float) -> None:
        self.value = value
        self.other: _Link | None = None


def _pair(a: float, b: float) -> _Link:
    x, y = _Link(a), _Link(b)
    x.other, y.other = y, x
    return x


def test_equality_follows_cycles() -> None:
    assert_identical(_pair(1.0, 2.0), _pair(1.0, 2.0))
    with pytest.raises(AssertionError, match=r"2\.0 != 3\.0"):
        assert_identical(_pair(1.0, 2.0), _pair(1.0, 3.0))
    x = _pair(1.0, 2.0)
    loop = _Link(1.0)
    loop.other = _Link(2.0)
    loop.other.other = loop.other  # links back to itself, not to the first node
    with pytest.raises(AssertionError, match="links back to a different object"):
        assert_identical(x, loop)


@pytest.mark.parametrize("cls", [AgglomerativeClustering, FeatureAgglomeration, OPTICS])
def test_a_cache_directory_is_refused_at_dump(cls: type, tmp_path: Path) -> None:
    """memory= names where fit writes: a file must not choose that (SECURITY.md)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(memory=str(tmp_path)).fit(X)
    with pytest.raises(milo_codec.UnsupportedModelError, match=r"\$\.model\.params\.memory"):
        milo_codec.dumps(model)


def test_cycle_search_walks_each_link_once() -> None:
    """A CF tree's parent chains and leaf list are checked for cycles in one walk of each
    link: walking from every node to its end took n² steps on a list of n leaves."""
    from milo_codec.objects.cluster import _first_cycle

    calls = 0

    def previous(j: int) -> int | None:
        nonlocal calls
        calls += 1
        return j - 1 if j > 0 else None

    assert _first_cycle(100_000, previous) is None
    assert calls == 100_000
    links = {0: 1, 1: 2, 2: 0, 3: 4, 4: None, 5: 3}
    assert _first_cycle(6, links.get) == 0
    links = {0: None, 1: 0, 2: 3, 3: 4, 4: 2}
    assert _first_cycle(5, links.get) == 2
