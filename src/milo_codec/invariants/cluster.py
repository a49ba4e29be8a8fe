"""Invariants of the sklearn.cluster family, listed in schemas by x-milo-invariants.

What each clusterer trusts when it is queried after loading:

* k-means (KMeans, MiniBatchKMeans, BisectingKMeans): predict/transform/score and
  MiniBatchKMeans.partial_fit hand ``cluster_centers_`` (and ``_counts``, indexed by cluster)
  to Cython kernels compiled without bounds checks, with the query's own dtype: the centers
  are a non-empty C-contiguous block, ``_counts`` has one entry per center and the same dtype,
  labels name a center.
* HDBSCAN.dbscan_clustering walks ``_single_linkage_tree_`` in Cython (a union-find sized
  2 * len(tree) + 1, indexed by left_node/right_node without bounds checks): every row i
  merges two earlier nodes, i.e. indices in [0, n_samples + i).
* The others are read by numpy only; their index arrays (exemplars, core samples, merge
  trees, orderings, predecessors) are checked to lie in range so that every fitted fact
  agrees with the number of samples it describes.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.objects.base import Pending


class _Report:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def __call__(self, field: str, message: str) -> None:
        self.problems.append(Problem(f"{self.path}.state.{field}", message))


def _int_array(v: Any) -> TypeGuard[np.ndarray]:
    return isinstance(v, np.ndarray) and v.dtype.kind in "iu"


def _in_range(report: _Report, field: str, a: Any, lo: int, hi: int, what: str) -> bool:
    """Every entry of a (an integer array) lies in [lo, hi)."""
    if not _int_array(a) or a.size == 0:
        return True
    amin, amax = int(a.min()), int(a.max())
    if amin < lo or amax >= hi:
        report(field, f"{what} must lie in [{lo}, {hi}); found {amin}..{amax}")
        return False
    return True


# ---------------------------------------------------------------------------
# k-means


def kmeans_centers(params: dict, state: dict, path: str) -> list[Problem]:
    """Centers: non-empty, C-contiguous, one per cluster; labels and counts agree with them."""
    report = _Report(path)
    centers = state.get("cluster_centers_")
    if not isinstance(centers, np.ndarray) or centers.ndim != 2:
        return []
    k = centers.shape[0]
    if k < 1:
        report("cluster_centers_", "must hold at least one center")
        return report.problems
    if not centers.flags.c_contiguous:
        report("cluster_centers_", "must be C-contiguous (the k-means kernels read it row by row)")
    n_clusters = as_int(params.get("n_clusters"))
    if n_clusters is not None and n_clusters != k:
        report("cluster_centers_", f"has {k} centers but n_clusters is {n_clusters}")
    out = as_int(state.get("_n_features_out"))
    if out is not None and out != k:
        report("_n_features_out", f"is {out} but there are {k} centers")
    _in_range(report, "labels_", state.get("labels_"), 0, k, "labels (cluster indices)")
    counts = state.get("_counts")
    if isinstance(counts, np.ndarray) and counts.dtype != centers.dtype:
        report("_counts", f"must have the centers' dtype {centers.dtype}, not {counts.dtype}")
    tol = state.get("_tol")
    if isinstance(tol, np.floating) and tol.dtype != centers.dtype:
        report("_tol", f"must have the centers' dtype {centers.dtype}, not {tol.dtype}")
    return report.problems


# ---------------------------------------------------------------------------
# exemplar and density based


def affinity_propagation_exemplars(params: dict, state: dict, path: str) -> list[Problem]:
    """Exemplars are distinct training samples; labels name an exemplar (or -1)."""
    report = _Report(path)
    labels, idx = state.get("labels_"), state.get("cluster_centers_indices_")
    if not isinstance(labels, np.ndarray):
        return []
    n = labels.shape[0]
    n_centers = len(idx) if isinstance(idx, np.ndarray | list) else 0
    in_range = _in_range(report, "cluster_centers_indices_", idx, 0, n, "exemplar indices")
    if in_range and isinstance(idx, np.ndarray) and np.unique(idx).shape[0] != n_centers:
        report("cluster_centers_indices_", "exemplar indices must be distinct")
    _in_range(report, "labels_", labels, -1, max(n_centers, 0), "labels (-1 or an exemplar)")
    if n_centers == 0 and labels.size and (labels != -1).any():
        report("labels_", "must all be -1 when there is no exemplar")
    precomputed = params.get("affinity") == "precomputed"
    if precomputed and "cluster_centers_" in state:
        report("cluster_centers_", 'is not kept with affinity="precomputed"')
    if not precomputed and "cluster_centers_" not in state:
        report("cluster_centers_", "is missing: a fitted model keeps its exemplars' features")
    return report.problems


def dbscan_core_samples(params: dict, state: dict, path: str) -> list[Problem]:
    """Core samples are increasing indices of training samples; labels are -1 or clusters."""
    report = _Report(path)
    labels, core = state.get("labels_"), state.get("core_sample_indices_")
    if not (isinstance(labels, np.ndarray) and _int_array(core)):
        return []
    in_range = _in_range(report, "core_sample_indices_", core, 0, labels.shape[0], "core indices")
    if in_range and core.size > 1 and not (np.diff(core) > 0).all():
        report("core_sample_indices_", "must be strictly increasing")
    if labels.size and int(labels.min()) < -1:
        report("labels_", f"must be -1 (noise) or a cluster index; found {int(labels.min())}")
    return report.problems


_HIERARCHY = (("left_node", "intp"), ("right_node", "intp"), ("value", "float64"))


def hdbscan_single_linkage_tree(params: dict, state: dict, path: str) -> list[Problem]:
    """The single-linkage tree has n_samples - 1 rows, each merging two earlier nodes."""
    report = _Report(path)
    tree, labels = state.get("_single_linkage_tree_"), state.get("labels_")
    if not (isinstance(tree, np.ndarray) and isinstance(labels, np.ndarray)):
        return []
    expected = np.dtype(
        [(name, np.dtype(dt)) for name, dt in _HIERARCHY] + [("cluster_size", np.intp)]
    )
    if tree.dtype != expected or tree.ndim != 1:
        report(
            "_single_linkage_tree_",
            "must be a 1-d record array of (left_node, right_node, value, cluster_size) "
            "with intp, intp, float64, intp fields",
        )
        return report.problems
    n = labels.shape[0]
    if tree.shape[0] != n - 1:
        report("_single_linkage_tree_", f"has {tree.shape[0]} rows but {n} samples need {n - 1}")
        return report.problems
    limit = n + np.arange(tree.shape[0])  # row i creates node n + i from nodes before it
    for field in ("left_node", "right_node"):
        nodes = tree[field]
        if ((nodes < 0) | (nodes >= limit)).any():
            i = int(np.argmax((nodes < 0) | (nodes >= limit)))
            report(
                "_single_linkage_tree_",
                f"row {i}: {field} {int(nodes[i])} must name an earlier node in [0, {n + i})",
            )
    if np.isnan(tree["value"]).any():
        report("_single_linkage_tree_", "merge distances must not be NaN")
    if labels.size and int(labels.min()) < -3:
        report("labels_", "must be a cluster index or an outlier code (-1, -2, -3)")
    probabilities = state.get("probabilities_")
    if isinstance(probabilities, np.ndarray) and probabilities.shape != labels.shape:
        report("probabilities_", "must hold one probability per sample")
    store = params.get("store_centers")
    for name, kinds in (("centroids_", ("centroid", "both")), ("medoids_", ("medoid", "both"))):
        if (name in state) != (store in kinds):
            report(name, f"is kept exactly when store_centers is one of {kinds}")
    return report.problems


def optics_ordering(params: dict, state: dict, path: str) -> list[Problem]:
    """ordering_ is a permutation of the samples; predecessors and hierarchy name samples."""
    report = _Report(path)
    ordering = state.get("ordering_")
    if not _int_array(ordering):
        return []
    n = ordering.shape[0]
    if not np.array_equal(np.sort(ordering), np.arange(n)):
        report("ordering_", f"must be a permutation of 0..{n - 1}")
    _in_range(report, "predecessor_", state.get("predecessor_"), -1, n, "predecessors")
    hierarchy = state.get("cluster_hierarchy_")
    in_range = _in_range(report, "cluster_hierarchy_", hierarchy, 0, n, "positions in ordering_")
    if (
        in_range
        and _int_array(hierarchy)
        and hierarchy.ndim == 2
        and (hierarchy[:, 0] > hierarchy[:, 1]).any()
    ):
        report("cluster_hierarchy_", "each cluster must start no later than it ends")
    labels = state.get("labels_")
    if _int_array(labels) and labels.size and int(labels.min()) < -1:
        report("labels_", "must be -1 (noise) or a cluster index")
    return report.problems


def mean_shift_labels(params: dict, state: dict, path: str) -> list[Problem]:
    """Labels name a center (or -1 for orphans when cluster_all is false)."""
    report = _Report(path)
    centers = state.get("cluster_centers_")
    if isinstance(centers, np.ndarray) and centers.ndim == 2:
        lo = 0 if params.get("cluster_all") is True else -1
        _in_range(report, "labels_", state.get("labels_"), lo, centers.shape[0], "labels")
    return report.problems


def spectral_labels(params: dict, state: dict, path: str) -> list[Problem]:
    report = _Report(path)
    k = as_int(params.get("n_clusters"))
    if k is not None:
        _in_range(report, "labels_", state.get("labels_"), 0, k, "labels")
    return report.problems


def bicluster_labels(params: dict, state: dict, path: str) -> list[Problem]:
    """Row and column masks are what the labels give, one per bicluster."""
    report = _Report(path)
    rows, cols = state.get("rows_"), state.get("columns_")
    row_labels, col_labels = state.get("row_labels_"), state.get("column_labels_")
    if not (
        isinstance(rows, np.ndarray)
        and isinstance(cols, np.ndarray)
        and _int_array(row_labels)
        and _int_array(col_labels)
    ):
        return []
    n = params.get("n_clusters")
    if isinstance(n, tuple) and len(n) == 2:
        n_rows, n_cols = as_int(n[0]), as_int(n[1])
    else:
        n_rows = n_cols = as_int(n)
    if n_rows is None or n_cols is None:
        return []
    ok = _in_range(report, "row_labels_", row_labels, 0, n_rows, "row labels")
    ok &= _in_range(report, "column_labels_", col_labels, 0, n_cols, "column labels")
    if not ok or rows.ndim != 2 or cols.ndim != 2:
        return report.problems
    biclusters = n_rows * n_cols if "method" in params else n_rows
    # before any per-bicluster work: n_clusters is a number the file chooses
    for field, masks in (("rows_", rows), ("columns_", cols)):
        if masks.shape[0] != biclusters:
            report(field, f"must hold one mask per bicluster ({biclusters:,})")
    if report.problems:
        return report.problems
    if "method" in params:  # SpectralBiclustering: every (row cluster, column cluster) pair
        pairs = [(r, c) for r in range(n_rows) for c in range(n_cols)]
    else:  # SpectralCoclustering: cluster c of rows with cluster c of columns
        pairs = [(c, c) for c in range(n_rows)]
    expected_rows = np.array([row_labels == r for r, _ in pairs]).reshape(len(pairs), -1)
    expected_cols = np.array([col_labels == c for _, c in pairs]).reshape(len(pairs), -1)
    if rows.shape != expected_rows.shape or not np.array_equal(rows, expected_rows):
        report("rows_", "must be the row masks of row_labels_, one per bicluster")
    if cols.shape != expected_cols.shape or not np.array_equal(cols, expected_cols):
        report("columns_", "must be the column masks of column_labels_, one per bicluster")
    return report.problems


# ---------------------------------------------------------------------------
# agglomerative


def agglomerative_tree(params: dict, state: dict, path: str) -> list[Problem]:
    """children_ row i merges two distinct earlier nodes (leaves or merges), each once."""
    report = _Report(path)
    children, n_leaves = state.get("children_"), as_int(state.get("n_leaves_"))
    if not _int_array(children) or children.ndim != 2 or n_leaves is None:
        return []
    n_merges = children.shape[0]
    if n_merges > n_leaves - 1:
        report("children_", f"has {n_merges} merges but {n_leaves} leaves allow {n_leaves - 1}")
        return report.problems
    if n_merges:
        limit = (n_leaves + np.arange(n_merges))[:, None]
        bad = (children < 0) | (children >= limit)
        if bad.any():
            i = int(np.argmax(bad.any(axis=1)))
            report("children_", f"row {i} must merge nodes in [0, {n_leaves + i})")
        elif np.unique(children).shape[0] != children.size:
            report("children_", "a node can be merged only once")
    k = as_int(state.get("n_clusters_"))
    if k is not None:
        if k > n_leaves:
            report("n_clusters_", f"is {k} but there are only {n_leaves} leaves")
        _in_range(report, "labels_", state.get("labels_"), 0, k, "labels")
        labels = state.get("labels_")
        if isinstance(labels, np.ndarray) and labels.shape[0] != n_leaves:
            report("labels_", f"has {labels.shape[0]} entries but n_leaves_ is {n_leaves}")
        elif _int_array(labels) and np.unique(labels).shape[0] != k:
            # the cut gives every cluster a member; transform pools one column per label
            report("labels_", f"must use each of the {k} clusters")
        out = as_int(state.get("_n_features_out"))
        if out is not None and out != k:
            report("_n_features_out", f"is {out} but n_clusters_ is {k}")
    return report.problems


def bisecting_kmeans_tree(params: dict, state: dict, path: str) -> list[Problem]:
    """The tree's leaves are the clusters: labels 0..k-1 left to right, with their centers.

    predict compares a query with two children's centers in the k-means Cython kernel (so
    every center has the query's width and the centers' dtype) and returns a leaf's label.
    """
    from milo_codec.objects.cluster import bisecting_leaves

    report = _Report(path)
    tree, centers = state.get("_bisecting_tree"), state.get("cluster_centers_")
    if not (type(tree) is Pending and isinstance(centers, np.ndarray) and centers.ndim == 2):
        return []
    root_center = tree.payload["nodes"][0]["center"]
    if root_center.dtype != centers.dtype or root_center.shape != centers.shape[1:]:
        report(
            "_bisecting_tree",
            f"centers must be {centers.dtype} of length {centers.shape[1]} like cluster_centers_",
        )
        return report.problems
    algorithm = params.get("algorithm")
    single = state.get("_kmeans_single")
    name = getattr(single, "__name__", "")
    if algorithm in ("lloyd", "elkan") and name != f"_kmeans_single_{algorithm}":
        report("_kmeans_single", f"must be the {algorithm} routine (algorithm={algorithm!r})")
    # Dense data is centered while fitting: the tree keeps centered centers, predict and
    # cluster_centers_ add _X_mean back.
    shift = state.get("_X_mean")
    if isinstance(shift, np.ndarray) and shift.dtype != centers.dtype:
        report("_X_mean", f"must have the centers' dtype {centers.dtype}, not {shift.dtype}")
        return report.problems
    leaves = bisecting_leaves(tree.payload)
    if len(leaves) != centers.shape[0]:
        report(
            "_bisecting_tree",
            f"has {len(leaves)} leaves but cluster_centers_ holds {centers.shape[0]} centers",
        )
        return report.problems
    for i, leaf in enumerate(leaves):
        if leaf["label"] != i:
            report("_bisecting_tree", f"leaf {i} (left to right) must have label {i}")
            break
        center = leaf["center"] if shift is None else leaf["center"] + shift
        if center.tobytes() != np.ascontiguousarray(centers[i]).tobytes():
            plus = "" if shift is None else " + _X_mean"
            report("_bisecting_tree", f"leaf {i}'s center{plus} must be cluster_centers_[{i}]")
            break
    return report.problems


def birch_cf_tree(params: dict, state: dict, path: str) -> list[Problem]:
    """dummy_leaf_ heads the list of root_'s leaves; subcluster_centers_ are their centroids.

    predict and transform read only subcluster_centers_ (with _subcluster_norms, of the same
    length and dtype, in the pairwise-distance kernels); partial_fit continues from the tree,
    which must therefore be the tree those centers came from. The two fields share one graph:
    the first of them in the state holds it in full, the second names the first.
    """
    from milo_codec.objects.cluster import check_cf_links, join_cf_graphs

    report = _Report(path)
    root, dummy = state.get("root_"), state.get("dummy_leaf_")
    if not (type(root) is Pending and type(dummy) is Pending):
        return []
    names = [name for name in state if name in ("root_", "dummy_leaf_")]
    first_name, second_name = names
    first, second = state[first_name].payload, state[second_name].payload
    if first["graph"] is None or first["earlier"] is not None:
        report(first_name, "must hold the CF graph in full (it is the first field holding it)")
        return report.problems
    earlier = second["earlier"]
    if getattr(earlier, "path", None) != f"{path}.state.{first_name}":
        report(second_name, f"must name its graph's nodes in {path}.state.{first_name}")
        return report.problems
    joined = join_cf_graphs(first, second)
    if isinstance(joined, str):
        report(second_name, joined)
        return report.problems
    graph, second_entry = joined
    root_i, head = (0, second_entry) if first_name == "root_" else (second_entry, 0)
    problem = check_cf_links(graph, root=root_i)
    if problem:
        report(second_name, problem)
        return report.problems
    h = graph[head]
    if not h["is_leaf"] or h["subclusters"] or h["prev_leaf"] is not None:
        report("dummy_leaf_", "must be an empty leaf heading the leaf list (no prev_leaf)")
        return report.problems
    # the tree's leaves (through child links from the root) and the list's, in order
    tree_leaves, stack = set(), [root_i]
    while stack:
        i = stack.pop()
        if graph[i]["is_leaf"]:
            tree_leaves.add(i)
        stack.extend(sc["child_"] for sc in graph[i]["subclusters"] if sc["child_"] is not None)
    listed: list[int] = []
    j = h["next_leaf"]
    while j is not None and len(listed) <= len(graph):
        listed.append(j)
        j = graph[j]["next_leaf"]
    if set(listed) != tree_leaves or len(listed) != len(tree_leaves):
        report("dummy_leaf_", "the leaf list from it must hold exactly the leaves of root_'s tree")
        return report.problems
    n_features = as_int(state.get("n_features_in_"))
    if any(node["n_features"] != n_features for node in graph):
        report(first_name, f"every node must have n_features = n_features_in_ ({n_features})")
        return report.problems
    centers = state.get("subcluster_centers_")
    if not isinstance(centers, np.ndarray) or centers.ndim != 2:
        return report.problems
    rows = [graph[i]["init_centroids_"][: len(graph[i]["subclusters"])] for i in listed]
    expected = np.concatenate(rows) if rows else np.empty((0, centers.shape[1]), centers.dtype)
    if (
        expected.dtype != centers.dtype
        or expected.shape != centers.shape
        or expected.tobytes() != np.ascontiguousarray(centers).tobytes()
    ):
        report("subcluster_centers_", "must be the centroids of the listed leaves, in list order")
    norms = state.get("_subcluster_norms")
    if isinstance(norms, np.ndarray) and norms.dtype != centers.dtype:
        report("_subcluster_norms", f"must have the centers' dtype {centers.dtype}")
    out = as_int(state.get("_n_features_out"))
    if out is not None and out != centers.shape[0]:
        report("_n_features_out", f"is {out} but there are {centers.shape[0]} subclusters")
    return report.problems


CHECKS: dict[str, Check] = {
    "kmeans_centers": kmeans_centers,
    "affinity_propagation_exemplars": affinity_propagation_exemplars,
    "dbscan_core_samples": dbscan_core_samples,
    "hdbscan_single_linkage_tree": hdbscan_single_linkage_tree,
    "optics_ordering": optics_ordering,
    "mean_shift_labels": mean_shift_labels,
    "spectral_labels": spectral_labels,
    "bicluster_labels": bicluster_labels,
    "agglomerative_tree": agglomerative_tree,
    "bisecting_kmeans_tree": bisecting_kmeans_tree,
    "birch_cf_tree": birch_cf_tree,
}
