"""Fit recipes of the manifold family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Isomap and LocallyLinearEmbedding keep a fitted NearestNeighbors (``nbrs_``) and transform
new points through it (Isomap also through its KernelPCA, ``kernel_pca_``); the recipes cover
each search structure, a radius neighborhood, a non-Euclidean metric, sparse input, and every
LLE method. SpectralEmbedding, TSNE, MDS and ClassicalMDS have no inference method: what is
compared is their fitted state (embeddings, affinity matrices sparse or dense, stresses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X40 = _X(40, 4)
_XQ = _X(8, 4, seed=7)
_SPARSE = sp.csr_matrix(_X40 * (np.abs(_X40) > 0.5))


def _recipe(rid: str, make: Callable[[], Any], X: Any, Xq: Any = None) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X)
        extra = {}
        if hasattr(est, "reconstruction_error"):  # Isomap's, from its kernel and distances
            extra["reconstruction_error"] = lambda e: e.reconstruction_error()
        return Fitted(rid, est, X if Xq is None else Xq, extra=extra)

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _isomap(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**kw)

    return [
        _recipe("default", est(), _X40, _XQ),
        _recipe("kd-tree-dijkstra", est(neighbors_algorithm="kd_tree", path_method="D"), _X40, _XQ),
        _recipe(
            "ball-tree-manhattan-floyd",
            est(n_neighbors=6, neighbors_algorithm="ball_tree", p=1, path_method="FW"),
            _X40,
            _XQ,
        ),
        _recipe(
            "radius-arpack",
            est(n_neighbors=None, radius=2.5, eigen_solver="arpack", n_components=3),
            _X40,
            _XQ,
        ),
        _recipe("sparse", est(n_neighbors=8), _SPARSE, sp.csr_matrix(_XQ)),
        _recipe("float32", est(), _X40.astype(np.float32), _XQ.astype(np.float32)),
        _recipe("dataframe", est(), _dataframe(_X40), _dataframe(_XQ)),
    ]


def _lle(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    return [
        _recipe("standard", est(n_neighbors=6), _X40, _XQ),
        _recipe("modified", est(n_neighbors=8, method="modified"), _X40, _XQ),
        _recipe("hessian", est(n_neighbors=8, method="hessian", eigen_solver="dense"), _X40, _XQ),
        _recipe("ltsa", est(n_neighbors=8, method="ltsa", eigen_solver="dense"), _X40, _XQ),
        _recipe("arpack", est(n_neighbors=8, eigen_solver="arpack", n_components=3), _X40, _XQ),
        _recipe("kd-tree-float32", est(neighbors_algorithm="kd_tree"), _X40.astype(np.float32)),
        _recipe("dataframe", est(n_neighbors=6), _dataframe(_X40), _dataframe(_XQ)),
    ]


def _spectral_embedding(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    from sklearn.metrics.pairwise import rbf_kernel

    return [
        _recipe("nearest-neighbors", est(n_neighbors=8), _X40),
        _recipe("rbf-gamma", est(affinity="rbf", gamma=0.3, n_components=3), _X40),
        _recipe("precomputed", est(affinity="precomputed"), rbf_kernel(_X40)),
        _recipe(
            "precomputed-nearest-neighbors",
            est(affinity="precomputed_nearest_neighbors", n_neighbors=6),
            sp.csr_matrix(rbf_kernel(_X40) * (rbf_kernel(_X40) > 0.2)),
        ),
        _recipe("sparse-lobpcg", est(n_neighbors=8, eigen_solver="lobpcg"), _SPARSE),
        _recipe("float32-rbf", est(affinity="rbf"), _X40.astype(np.float32)),
        _recipe("float32-nearest-neighbors", est(n_neighbors=8), _X40.astype(np.float32)),
    ]


def _tsne(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, perplexity=5.0, max_iter=250, **kw)

    return [
        _recipe("barnes-hut", est(), _X40),
        _recipe("float32-exact", est(method="exact"), _X40.astype(np.float32)),
        _recipe("exact-random-init", est(method="exact", init="random"), _X40),
        _recipe(
            "cosine-learning-rate", est(metric="cosine", learning_rate=50.0, method="exact"), _X40
        ),
        _recipe(
            "precomputed-3d",
            est(metric="precomputed", init="random", n_components=3, method="exact"),
            _pairwise(_X40),
        ),
    ]


def _pairwise(X: np.ndarray) -> np.ndarray:
    from sklearn.metrics.pairwise import euclidean_distances

    return euclidean_distances(X)


def _mds(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        kw = {"random_state": 0, "n_init": 1, "max_iter": 50, "init": "random", **kw}
        return lambda: cls(**kw)

    return [
        _recipe("metric", est(), _X40),
        _recipe("non-metric-classical-init", est(metric_mds=False, init="classical_mds"), _X40),
        _recipe("precomputed", est(metric="precomputed"), _pairwise(_X40)),
        _recipe("manhattan-3d", est(metric="manhattan", n_components=3), _X40),
        _recipe("float32", est(), _X40.astype(np.float32)),
    ]


def _classical_mds(cls: type) -> list[Recipe]:
    return [
        _recipe("euclidean", lambda: cls(), _X40),
        _recipe("precomputed", lambda: cls(metric="precomputed", n_components=3), _pairwise(_X40)),
        _recipe("minkowski-params", lambda: cls(metric="minkowski", metric_params={"p": 3}), _X40),
        _recipe("float32", lambda: cls(), _X40.astype(np.float32)),
    ]


RECIPES["Isomap"] = _isomap
RECIPES["LocallyLinearEmbedding"] = _lle
RECIPES["SpectralEmbedding"] = _spectral_embedding
RECIPES["TSNE"] = _tsne
RECIPES["MDS"] = _mds
RECIPES["ClassicalMDS"] = _classical_mds
