"""Fit recipes of the neighbors family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Neighbor models keep their training data (``_fit_X``) and, for ``kd_tree``/``ball_tree``, a
compiled search tree built from it with a DistanceMetric inside; sparse input always falls
back to brute force with a CSR ``_fit_X``. The recipes cover every search structure, both
weightings, the metrics with parameters (minkowski p, weighted minkowski, seuclidean V,
mahalanobis VI or V), int/str/multi-output labels, sparse CSR, float32 and DataFrames.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class, _y_reg
from sklearn.metrics import DistanceMetric

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 5)
_XQ = _X(12, 5, seed=7)  # queries that are not training points (no zero distances)
_Y3 = _y_class(60, 3)
_YR = _y_reg(_X60)
_LABELS = np.array(["ham", "spam", "eggs", "bacon"])
_SPARSE = sp.csr_matrix(_X60 * (np.abs(_X60) > 0.5))
_SPARSE_Q = sp.csr_matrix(_XQ * (np.abs(_XQ) > 0.5))
_COV = np.cov(_X60.T)
_VI = np.linalg.inv(_COV)
_VAR = _X60.var(axis=0)
_W = np.array([1.0, 0.5, 2.0, 1.0, 0.25])


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    y: Any = None,
    Xq: Any = None,
    fit_y: bool = True,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        if y is None or not fit_y:
            _quiet_fit(est, X)
        else:
            _quiet_fit(est, X, y)
        return Fitted(rid, est, X if Xq is None else Xq, y)

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


# Metric variants every tree-capable estimator is fitted with: (id, constructor arguments).
_METRICS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("minkowski-p1-kd_tree", {"p": 1, "algorithm": "kd_tree"}),
    ("minkowski-p3-kd_tree", {"p": 3, "algorithm": "kd_tree"}),
    ("minkowski-p3-ball_tree", {"p": 3.0, "algorithm": "ball_tree", "leaf_size": 4}),
    ("chebyshev-ball_tree", {"metric": "chebyshev", "algorithm": "ball_tree"}),
    ("chebyshev-brute", {"metric": "chebyshev", "algorithm": "brute"}),
    (
        "mahalanobis-VI-ball_tree",
        {"metric": "mahalanobis", "metric_params": {"VI": _VI}, "algorithm": "ball_tree"},
    ),
    (
        "mahalanobis-V-ball_tree",
        {"metric": "mahalanobis", "metric_params": {"V": _COV}, "algorithm": "ball_tree"},
    ),
    (
        "mahalanobis-VI-brute",
        {"metric": "mahalanobis", "metric_params": {"VI": _VI}, "algorithm": "brute"},
    ),
    (
        "seuclidean-ball_tree",
        {"metric": "seuclidean", "metric_params": {"V": _VAR}, "algorithm": "ball_tree"},
    ),
    (
        "weighted-minkowski-ball_tree",
        {"p": 3, "metric_params": {"w": _W}, "algorithm": "ball_tree", "leaf_size": 3},
    ),
    ("cosine-brute", {"metric": "cosine"}),
    (
        "distance-metric-object-ball_tree",
        {"metric": DistanceMetric.get_metric("manhattan"), "algorithm": "ball_tree"},
    ),
    (
        "distance-metric-object-mahalanobis",
        {"metric": DistanceMetric.get_metric("mahalanobis", VI=_VI), "algorithm": "ball_tree"},
    ),
)


def _searches(
    cls: type, X: Any, y: Any, base: dict[str, Any], Xq: Any = _XQ, fit_y: bool = True
) -> list[Recipe]:
    """The search structures and metrics, on one estimator class."""

    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**{**base, **kw})

    out = [
        _recipe("auto", est(), X, y, Xq, fit_y),
        _recipe("brute", est(algorithm="brute"), X, y, Xq, fit_y),
        _recipe("kd_tree", est(algorithm="kd_tree"), X, y, Xq, fit_y),
        _recipe("kd_tree-leaf2", est(algorithm="kd_tree", leaf_size=2), X, y, Xq, fit_y),
        _recipe("ball_tree", est(algorithm="ball_tree"), X, y, Xq, fit_y),
        _recipe("ball_tree-leaf1", est(algorithm="ball_tree", leaf_size=1), X, y, Xq, fit_y),
        _recipe("float32-kd_tree", est(algorithm="kd_tree"), X.astype(np.float32), y, Xq, fit_y),
        _recipe("training-points-as-queries", est(), X, y, None, fit_y),
        _recipe("sparse-csr", est(), _SPARSE, y, _SPARSE_Q, fit_y),
        _recipe("dataframe", est(), _dataframe(X), y, _dataframe(Xq), fit_y),
    ]
    out += [_recipe(rid, est(**kw), X, y, Xq, fit_y) for rid, kw in _METRICS]
    return out


def _k_classifier(cls: type) -> list[Recipe]:
    out = _searches(cls, _X60, _Y3, {})
    out += [
        _recipe("distance-weights", lambda: cls(weights="distance"), _X60, _Y3, _XQ),
        _recipe(
            "distance-weights-ball_tree",
            lambda: cls(weights="distance", algorithm="ball_tree"),
            _X60,
            _Y3,
            _X60[:10],  # zero distances: the exact-match branch of distance weighting
        ),
        _recipe("str-labels", lambda: cls(), _X60, _LABELS[_y_class(60, 4)], _XQ),
        _recipe("binary", lambda: cls(n_neighbors=3), _X60, _y_class(60, 2), _XQ),
        _recipe(
            "multioutput",
            lambda: cls(weights="distance"),
            _X60,
            np.c_[_Y3, _LABELS[_y_class(60, 2, seed=5)]].astype(object),
            _XQ,
        ),
        _recipe("multioutput-int", lambda: cls(), _X60, np.c_[_Y3, _y_class(60, 4, 5)], _XQ),
        _recipe(
            "sparse-csr-distance-str-labels",
            lambda: cls(weights="distance", n_neighbors=4),
            _SPARSE,
            _LABELS[_y_class(60, 4)],
            _SPARSE_Q,
        ),
        _recipe("n_neighbors-equals-samples", lambda: cls(n_neighbors=12), _X60[:12], _Y3[:12]),
    ]
    return out


def _k_regressor(cls: type) -> list[Recipe]:
    out = _searches(cls, _X60, _YR, {})
    out += [
        _recipe("distance-weights", lambda: cls(weights="distance"), _X60, _YR, _XQ),
        _recipe("multioutput", lambda: cls(), _X60, np.c_[_YR, _y_reg(_X60, seed=7)], _XQ),
        _recipe(
            "float32-target", lambda: cls(algorithm="brute"), _X60, _YR.astype(np.float32), _XQ
        ),
    ]
    return out


def _radius_classifier(cls: type) -> list[Recipe]:
    out = _searches(cls, _X60, _Y3, {"radius": 2.0, "outlier_label": "most_frequent"})
    far = np.r_[_XQ, np.full((2, 5), 50.0)]  # two outliers
    out += [
        _recipe(
            "outlier-label-int",
            lambda: cls(radius=1.5, outlier_label=-1, weights="distance"),
            _X60,
            _Y3,
            far,
        ),
        _recipe(
            "outlier-label-str",
            lambda: cls(radius=2.0, outlier_label="none"),
            _X60,
            _LABELS[_y_class(60, 4)],
            far,
        ),
        _recipe("no-outlier-label", lambda: cls(radius=2.5), _X60, _Y3, _XQ),
        _recipe(
            "multioutput",
            lambda: cls(radius=2.5, outlier_label="most_frequent"),
            _X60,
            np.c_[_Y3, _y_class(60, 2, seed=5)],
            far,
        ),
    ]
    return out


def _radius_regressor(cls: type) -> list[Recipe]:
    out = _searches(cls, _X60, _YR, {"radius": 2.0})
    out += [
        _recipe("distance-weights", lambda: cls(radius=2.0, weights="distance"), _X60, _YR, _XQ),
        _recipe(
            "multioutput", lambda: cls(radius=2.5), _X60, np.c_[_YR, _y_reg(_X60, seed=7)], _XQ
        ),
    ]
    return out


def _nearest_neighbors(cls: type) -> list[Recipe]:
    return _searches(cls, _X60, None, {"n_neighbors": 4, "radius": 1.5})


def _k_transformer(cls: type) -> list[Recipe]:
    out = _searches(cls, _X60, None, {"n_neighbors": 4})
    out.append(_recipe("connectivity", lambda: cls(mode="connectivity"), _X60, None, _XQ))
    return out


def _radius_transformer(cls: type) -> list[Recipe]:
    out = _searches(cls, _X60, None, {"radius": 1.5})
    out.append(
        _recipe("connectivity", lambda: cls(radius=2.0, mode="connectivity"), _X60, None, _XQ)
    )
    return out


def _kernel_density(cls: type) -> list[Recipe]:
    weights = np.random.RandomState(3).rand(60) + 0.1

    def r(rid: str, make: Callable[[], Any], X: Any = _X60, **fit_kw: Any) -> Recipe:
        def fit() -> Fitted:
            est = make()
            _quiet_fit(est, X) if not fit_kw else est.fit(X, **fit_kw)
            return Fitted(rid, est, _XQ)

        return Recipe(rid, fit)

    out = [
        r(f"{kernel}", lambda kernel=kernel: cls(kernel=kernel, bandwidth=0.8))
        for kernel in ("gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine")
    ]
    out += [
        r("bandwidth-scott", lambda: cls(bandwidth="scott")),
        r(
            "bandwidth-silverman-ball_tree",
            lambda: cls(bandwidth="silverman", algorithm="ball_tree"),
        ),
        r(
            "kd_tree-depth-first-rtol",
            lambda: cls(algorithm="kd_tree", breadth_first=False, rtol=1e-4),
        ),
        r(
            "ball_tree-manhattan",
            lambda: cls(algorithm="ball_tree", metric="manhattan", leaf_size=5),
        ),
        r("minkowski-p3", lambda: cls(metric="minkowski", metric_params={"p": 3})),
        r("sample-weight", lambda: cls(bandwidth=0.7), sample_weight=weights),
        r("float32", lambda: cls(), _X60.astype(np.float32)),
        r("dataframe", lambda: cls(), _dataframe(_X60)),
    ]
    return out


def _lof(cls: type) -> list[Recipe]:
    X = _X(80, 3, seed=4)
    Xq = np.r_[_X(10, 3, seed=8), np.full((2, 3), 6.0)]

    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(n_neighbors=10, **kw)

    out = [
        _recipe("novelty-auto", est(novelty=True), X, None, Xq),
        _recipe(
            "novelty-kd_tree", est(novelty=True, algorithm="kd_tree", leaf_size=4), X, None, Xq
        ),
        _recipe("novelty-ball_tree", est(novelty=True, algorithm="ball_tree"), X, None, Xq),
        _recipe(
            "novelty-brute-contamination",
            est(novelty=True, algorithm="brute", contamination=0.1),
            X,
            None,
            Xq,
        ),
        _recipe("novelty-sparse", est(novelty=True), sp.csr_matrix(X), None, sp.csr_matrix(Xq)),
        _recipe("novelty-manhattan", est(novelty=True, p=1), X, None, Xq),
        _recipe("outlier-detection", est(), X, None, Xq),
        _recipe(
            "outlier-detection-ball_tree-contamination",
            est(algorithm="ball_tree", contamination=0.05),
            X,
            None,
            Xq,
        ),
        _recipe("n_neighbors-clipped", lambda: cls(n_neighbors=200, novelty=True), X, None, Xq),
        _recipe("novelty-dataframe", est(novelty=True), _dataframe(X), None, _dataframe(Xq)),
    ]
    return out


def _nearest_centroid(cls: type) -> list[Recipe]:
    return [
        _recipe("euclidean", lambda: cls(), _X60, _Y3, _XQ),
        _recipe("manhattan", lambda: cls(metric="manhattan"), _X60, _Y3, _XQ),
        _recipe("shrink-threshold", lambda: cls(shrink_threshold=0.2), _X60, _Y3, _XQ),
        _recipe(
            "priors-empirical", lambda: cls(priors="empirical"), _X60, _y_class(60, 4)[:60], _XQ
        ),
        _recipe("priors-list", lambda: cls(priors=[0.2, 0.3, 0.5]), _X60, _Y3, _XQ),
        _recipe("str-labels", lambda: cls(), _X60, _LABELS[_y_class(60, 4)], _XQ),
        _recipe("binary", lambda: cls(), _X60, _y_class(60, 2), _XQ),
        _recipe("sparse-csr", lambda: cls(), _SPARSE, _Y3, _SPARSE_Q),
        _recipe("float32", lambda: cls(), _X60.astype(np.float32), _Y3, _XQ),
        _recipe("dataframe", lambda: cls(), _dataframe(_X60), _Y3, _dataframe(_XQ)),
    ]


def _nca(cls: type) -> list[Recipe]:
    X = _X(40, 4, seed=5)
    y = _y_class(40, 3)

    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, max_iter=20, **kw)

    return [
        _recipe("auto", est(), X, y),
        _recipe("n_components-2-pca", est(n_components=2, init="pca"), X, y),
        _recipe("lda", est(n_components=2, init="lda"), X, y),
        _recipe("identity", est(init="identity"), X, y),
        _recipe("random", est(n_components=3, init="random"), X, y),
        _recipe("array-init", est(init=np.eye(4)[:2] * 0.5), X, y),
        _recipe("str-labels", est(n_components=2), X, _LABELS[_y_class(40, 4)]),
        _recipe("float32", est(n_components=2), X.astype(np.float32), y),
        _recipe("dataframe", est(n_components=2), _dataframe(X), y),
    ]


RECIPES.update(
    {
        "KNeighborsClassifier": _k_classifier,
        "KNeighborsRegressor": _k_regressor,
        "RadiusNeighborsClassifier": _radius_classifier,
        "RadiusNeighborsRegressor": _radius_regressor,
        "NearestNeighbors": _nearest_neighbors,
        "KNeighborsTransformer": _k_transformer,
        "RadiusNeighborsTransformer": _radius_transformer,
        "KernelDensity": _kernel_density,
        "LocalOutlierFactor": _lof,
        "NearestCentroid": _nearest_centroid,
        "NeighborhoodComponentsAnalysis": _nca,
    }
)
