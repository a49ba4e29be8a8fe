"""Fit recipes of the cluster family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Clusterers keep very different fitted state: centers tied to the input's dtype (k-means
family, mean shift), a binary tree of bisections (BisectingKMeans), a CF tree with leaf links
(Birch), merge trees (agglomerative), core samples, reachability orderings and single-linkage
trees (DBSCAN, OPTICS, HDBSCAN), affinity matrices dense or sparse (spectral, affinity
propagation) and bicluster masks. Models without predict are compared through their whole
fitted ``__dict__``; queries beyond the inference methods (``score(X)`` without targets, the
bicluster accessors, continuing with ``partial_fit`` on a copy) are extra queries.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 5)
_XQ = _X(12, 5, seed=7)
_BLOBS = np.vstack([_X(20, 4, seed=s) * 0.3 + 3.0 * s for s in range(3)])  # 60 x 4, 3 groups
_BLOBS_Q = _X(9, 4, seed=9) * 0.5 + 3.0
_SPARSE = sp.csr_matrix(_X60 * (np.abs(_X60) > 0.5))
_POSITIVE = _X(40, 6, positive=True) + np.kron(np.eye(2), np.ones((20, 3)))  # 2 biclusters


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    Xq: Any = None,
    extra: Callable[[Any], dict[str, Callable[[Any], Any]]] | None = None,
    partial: bool = False,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        if partial:
            with np.errstate(all="ignore"):
                est.partial_fit(X)
                est.partial_fit(X)
        else:
            _quiet_fit(est, X)
        q = X if Xq is None else Xq
        return Fitted(rid, est, q, extra=extra(q) if extra else {})

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _continued(X: Any, method: str = "partial_fit") -> Callable[[Any], Any]:
    """Continue learning on a copy: the loaded model must take the same next step."""

    def query(est: Any) -> Any:
        again = copy.deepcopy(est)
        _quiet_fit_partial(again, X, method)
        return vars(again)

    return query


def _quiet_fit_partial(est: Any, X: Any, method: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(est, method)(X)


def _kmeans_extra(X: Any) -> dict[str, Callable[[Any], Any]]:
    return {"score(X)": lambda e: e.score(X), "fit_predict on a copy": _refit(X)}


def _refit(X: Any) -> Callable[[Any], Any]:
    """Refitting a copy uses the params (and any RandomState they hold) the same way."""

    def query(est: Any) -> Any:
        again = copy.deepcopy(est)
        return again.fit_predict(X)

    return query


def _kmeans(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(n_clusters=3, random_state=0, **kw)

    extra = _kmeans_extra
    out = [
        _recipe("dense", est(n_init=2), _BLOBS, _BLOBS_Q, extra),
        _recipe("float32", est(n_init=1), _BLOBS.astype(np.float32), _BLOBS_Q, extra),
        _recipe("sparse", est(n_init=1), _SPARSE, extra=extra),
        _recipe("dataframe", est(n_init=1), _dataframe(_X60), extra=extra),
    ]
    name = cls.__name__
    if name == "KMeans":
        out.append(
            _recipe("elkan-k-means++", est(algorithm="elkan", init="k-means++", n_init=1), _X60)
        )
        out.append(_recipe("init-array", lambda: cls(n_clusters=2, init=_X60[:2], n_init=1), _X60))
    if name == "MiniBatchKMeans":

        def cont(q: Any) -> dict[str, Callable[[Any], Any]]:
            return {**_kmeans_extra(q), "partial_fit continued": _continued(_BLOBS_Q)}

        out.append(_recipe("partial-fit", est(batch_size=20), _BLOBS, partial=True, extra=cont))
        out.append(
            _recipe(
                "reassign-no-labels",
                est(batch_size=10, compute_labels=False, reassignment_ratio=0.5, max_iter=5),
                _X60,
                extra=cont,
            )
        )
    if name == "BisectingKMeans":
        out.append(
            _recipe(
                "largest-cluster-elkan",
                lambda: cls(
                    n_clusters=4,
                    bisecting_strategy="largest_cluster",
                    algorithm="elkan",
                    random_state=0,
                ),
                _X60,
                extra=extra,
            )
        )
    return out


RECIPES["KMeans"] = _kmeans
RECIPES["MiniBatchKMeans"] = _kmeans
RECIPES["BisectingKMeans"] = _kmeans


def _affinity_propagation(cls: type) -> list[Recipe]:
    from sklearn.metrics.pairwise import euclidean_distances

    S = -euclidean_distances(_BLOBS, squared=True)
    return [
        _recipe("dense", lambda: cls(random_state=0), _BLOBS, _BLOBS_Q),
        _recipe("float32", lambda: cls(random_state=0), _BLOBS.astype(np.float32), _BLOBS_Q),
        _recipe("precomputed", lambda: cls(affinity="precomputed", random_state=0), S, S[:5]),
        _recipe("not-converged", lambda: cls(max_iter=2, random_state=0, damping=0.9), _X60, _XQ),
    ]


RECIPES["AffinityPropagation"] = _affinity_propagation


def _connectivity(X: np.ndarray) -> Any:
    from sklearn.neighbors import kneighbors_graph

    return kneighbors_graph(X, n_neighbors=5, include_self=False)


def _agglomerative(cls: type) -> list[Recipe]:
    return [
        _recipe("ward", lambda: cls(n_clusters=3), _BLOBS),
        _recipe(
            "distance-threshold",
            lambda: cls(n_clusters=None, distance_threshold=2.0, compute_distances=True),
            _BLOBS,
        ),
        _recipe(
            "sparse-connectivity-average",
            lambda: cls(n_clusters=3, linkage="average", connectivity=_connectivity(_X60)),
            _X60,
        ),
        _recipe(
            "manhattan-complete-float32",
            lambda: cls(n_clusters=4, linkage="complete", metric="manhattan"),
            _X60.astype(np.float32),
        ),
        _recipe(
            "single-full-tree",
            lambda: cls(n_clusters=2, linkage="single", compute_full_tree=True),
            _X60,
        ),
    ]


RECIPES["AgglomerativeClustering"] = _agglomerative


def _feature_agglomeration(cls: type) -> list[Recipe]:
    X = _X(30, 8)
    conn = _connectivity(X.T)
    return [
        _recipe("ward", lambda: cls(n_clusters=3), X),
        _recipe("median-pooling", lambda: cls(n_clusters=3, pooling_func=np.median), X),
        _recipe(
            "distance-threshold-connectivity",
            lambda: cls(
                n_clusters=None,
                distance_threshold=3.0,
                compute_distances=True,
                connectivity=conn,
                linkage="complete",
            ),
            X,
        ),
        _recipe(
            "float32-max", lambda: cls(n_clusters=2, pooling_func=np.max), X.astype(np.float32)
        ),
        _recipe(
            "pandas-output",
            lambda: cls(n_clusters=3).set_output(transform="pandas"),
            _dataframe(X),
        ),
    ]


RECIPES["FeatureAgglomeration"] = _feature_agglomeration


def _birch(cls: type) -> list[Recipe]:
    from sklearn.cluster import AgglomerativeClustering

    def cont(q: Any) -> dict[str, Callable[[Any], Any]]:
        return {"partial_fit continued": _continued(_X(30, 5, seed=3))}

    return [
        _recipe("dense", lambda: cls(n_clusters=3, threshold=0.8), _X60, _XQ, cont),
        _recipe(
            "no-global-step",
            lambda: cls(n_clusters=None, threshold=0.5, branching_factor=5),
            _X60,
            _XQ,
            cont,
        ),
        _recipe(
            "float32",
            lambda: cls(n_clusters=3, threshold=0.5, branching_factor=4),
            _X60.astype(np.float32),
            _XQ.astype(np.float32),
        ),
        _recipe("sparse", lambda: cls(n_clusters=2, threshold=0.6), _SPARSE),
        _recipe(
            "clusterer-param-partial",
            lambda: cls(n_clusters=AgglomerativeClustering(n_clusters=2), branching_factor=6),
            _X60,
            _XQ,
            cont,
            partial=True,
        ),
    ]


RECIPES["Birch"] = _birch


def _dbscan(cls: type) -> list[Recipe]:
    from sklearn.metrics.pairwise import euclidean_distances

    D = euclidean_distances(_BLOBS)
    return [
        _recipe("dense", lambda: cls(eps=0.8, min_samples=4), _BLOBS),
        _recipe("sparse", lambda: cls(eps=1.2), _SPARSE),
        _recipe("precomputed", lambda: cls(eps=0.8, metric="precomputed"), D),
        _recipe(
            "manhattan-kd-tree-float32",
            lambda: cls(eps=1.5, metric="manhattan", algorithm="kd_tree"),
            _BLOBS.astype(np.float32),
        ),
        _recipe("no-core", lambda: cls(eps=0.01), _X60),
    ]


RECIPES["DBSCAN"] = _dbscan


def _hdbscan_extra(X: Any) -> dict[str, Callable[[Any], Any]]:
    return {
        "dbscan_clustering(0.5)": lambda e: e.dbscan_clustering(0.5),
        "dbscan_clustering(2.0, 3)": lambda e: e.dbscan_clustering(2.0, min_cluster_size=3),
    }


def _hdbscan(cls: type) -> list[Recipe]:
    from sklearn.metrics.pairwise import euclidean_distances

    def r(rid: str, make: Callable[[], Any], X: Any) -> Recipe:
        return _recipe(rid, make, X, extra=_hdbscan_extra)

    return [
        r("dense", lambda: cls(min_cluster_size=5), _BLOBS),
        r("store-centers-both", lambda: cls(min_cluster_size=5, store_centers="both"), _BLOBS),
        r(
            "precomputed-leaf",
            lambda: cls(metric="precomputed", cluster_selection_method="leaf"),
            euclidean_distances(_BLOBS),
        ),
        r(
            "manhattan-float32-centroid",
            lambda: cls(metric="manhattan", store_centers="centroid", min_samples=3),
            _BLOBS.astype(np.float32),
        ),
        r("sparse", lambda: cls(min_cluster_size=4), sp.csr_matrix(_BLOBS)),
    ]


RECIPES["HDBSCAN"] = _hdbscan


def _optics(cls: type) -> list[Recipe]:
    return [
        _recipe("xi", lambda: cls(min_samples=5), _BLOBS),
        _recipe("dbscan", lambda: cls(min_samples=5, cluster_method="dbscan", eps=1.0), _BLOBS),
        _recipe(
            "minkowski-p3-float32-maxeps",
            lambda: cls(min_samples=0.1, p=3, max_eps=3.0),
            _X60.astype(np.float32),
        ),
        _recipe("sparse", lambda: cls(min_samples=4, metric="euclidean"), _SPARSE),
    ]


RECIPES["OPTICS"] = _optics


def _mean_shift(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", lambda: cls(bandwidth=1.5), _BLOBS, _BLOBS_Q),
        _recipe("bin-seeding", lambda: cls(bin_seeding=True), _BLOBS, _BLOBS_Q),
        _recipe(
            "seeds-not-all",
            lambda: cls(bandwidth=1.0, seeds=_BLOBS[::10], cluster_all=False),
            _BLOBS,
            _BLOBS_Q,
        ),
        _recipe("float32", lambda: cls(bandwidth=1.5), _BLOBS.astype(np.float32), _BLOBS_Q),
    ]


RECIPES["MeanShift"] = _mean_shift


def _spectral(cls: type) -> list[Recipe]:
    from sklearn.metrics.pairwise import rbf_kernel

    return [
        _recipe("rbf", lambda: cls(n_clusters=3, random_state=0), _BLOBS),
        _recipe(
            "nearest-neighbors-discretize",
            lambda: cls(
                n_clusters=3,
                affinity="nearest_neighbors",
                n_neighbors=6,
                assign_labels="discretize",
                random_state=0,
            ),
            _BLOBS,
        ),
        _recipe(
            "precomputed-cluster-qr",
            lambda: cls(n_clusters=3, affinity="precomputed", assign_labels="cluster_qr"),
            rbf_kernel(_BLOBS),
        ),
        _recipe(
            "poly-kernel",
            lambda: cls(n_clusters=2, affinity="poly", degree=2, coef0=1, random_state=0),
            _X(30, 3),
        ),
    ]


RECIPES["SpectralClustering"] = _spectral


def _bicluster_extra(X: Any) -> dict[str, Callable[[Any], Any]]:
    def each(method: str) -> Callable[[Any], Any]:
        def query(est: Any) -> Any:
            n = est.rows_.shape[0]
            if method == "get_submatrix":
                return [est.get_submatrix(i, X) for i in range(n)]
            return [getattr(est, method)(i) for i in range(n)]

        return query

    return {
        "biclusters_": lambda e: e.biclusters_,
        "get_indices": each("get_indices"),
        "get_shape": each("get_shape"),
        "get_submatrix": each("get_submatrix"),
    }


def _bicluster(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(n_clusters=2, random_state=0, n_init=2, **kw)

    X = _POSITIVE
    arpack = {"n_components": 3} if cls.__name__ == "SpectralBiclustering" else {}
    out = [
        _recipe("dense", est(), X, extra=_bicluster_extra),
        _recipe(
            "sparse-arpack",
            est(svd_method="arpack", **arpack),
            sp.csr_matrix(X),
            extra=_bicluster_extra,
        ),
        _recipe("float32", est(), X.astype(np.float32), extra=_bicluster_extra),
    ]
    if cls.__name__ == "SpectralBiclustering":
        out.append(
            _recipe(
                "log-tuple-clusters",
                lambda: cls(n_clusters=(2, 3), method="log", random_state=0, n_best=2, n_init=2),
                X,
                extra=_bicluster_extra,
            )
        )
    return out


RECIPES["SpectralBiclustering"] = _bicluster
RECIPES["SpectralCoclustering"] = _bicluster
