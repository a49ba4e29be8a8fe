"""Fit recipes of the svm family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

libsvm keeps two layouts of fitted state (dense arrays, or CSR support vectors when fitted on
sparse input) and one more for kernel="precomputed" (support vectors are indices into the
training kernel); every layout is covered, with the inference methods it enables
(predict_proba with probability=True, ovo/ovr decision functions, break_ties).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 5)
_Y3 = _y_class(60, 3)
_Y2 = _y_class(60, 2)
_SPARSE = sp.csr_matrix(_X60 * (np.abs(_X60) > 0.5))
_LABELS = np.array(["ham", "spam", "eggs", "bacon"])


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    y: Any = None,
    Xq: Any = None,
    unsupervised: bool = False,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        if unsupervised:
            _quiet_fit(est, X)
        else:
            _quiet_fit(est, X, y)
        return Fitted(rid, est, X if Xq is None else Xq, y)

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _series_labels() -> Any:
    """String labels in a pandas Series: classes_ becomes an object array of str."""
    import pandas as pd

    return pd.Series(_LABELS[_y_class(60, 4)], dtype=object)


def _precomputed(rid: str, make: Callable[[], Any], y: Any = None) -> Recipe:
    """kernel="precomputed": fit on the train×train kernel, query with a test×train kernel."""
    from sklearn.metrics.pairwise import rbf_kernel

    X_train, X_test = _X60[:40], _X(10, 5, seed=9)
    return _recipe(
        rid,
        make,
        rbf_kernel(X_train, X_train),
        None if y is None else y[:40],
        Xq=rbf_kernel(X_test, X_train),
        unsupervised=y is None,
    )


def _svc(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    out = [
        _recipe("binary", est(), _X60[:50], _y_class(50, 2)),
        _recipe("int-labels", est(), _X60, _Y3),
        _recipe("str-labels", est(), _X60, _LABELS[_y_class(60, 4)]),
        _recipe("str-labels-series", est(), _X60, _series_labels()),
        _recipe("probability-binary", est(probability=True), _X60, _Y2),
        _recipe("probability-multiclass", est(probability=True), _X60, _Y3),
        _recipe("ovo", est(decision_function_shape="ovo"), _X60, _Y3),
        _recipe("break-ties", est(break_ties=True), _X60, _Y3),
        _recipe("float32", est(), _X60.astype(np.float32), _Y3),
        _recipe("sparse", est(), _SPARSE, _Y3),
        _recipe("sparse-probability", est(probability=True), _SPARSE, _Y3),
        _recipe("dataframe", est(), _dataframe(_X60), _Y3),
        _precomputed("precomputed", est(kernel="precomputed"), _Y3),
    ]
    for kernel in ("linear", "poly", "sigmoid"):
        out.append(_recipe(f"kernel-{kernel}", est(kernel=kernel), _X60, _Y3))
    out.append(_recipe("sparse-linear", est(kernel="linear"), _SPARSE, _Y2))
    out.append(_recipe("gamma-auto", est(gamma="auto", kernel="poly", degree=2), _X60, _Y3))
    out.append(_recipe("gamma-number", est(gamma=0.3, coef0=1.0), _X60, _Y3))
    if cls.__name__ == "SVC":
        cw = {0: 2.0, 1: 1.0, 2: 0.5}
        out.append(_recipe("class-weight-dict", est(class_weight=cw), _X60, _Y3))
        out.append(_recipe("class-weight-balanced", est(class_weight="balanced"), _X60, _Y2))
    return out


def _svr(cls: type) -> list[Recipe]:
    y = _y_reg(_X60)

    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**kw)

    out = [
        _recipe("dense", est(), _X60, y),
        _recipe("float32", est(), _X60.astype(np.float32), y.astype(np.float32)),
        _recipe("sparse", est(), _SPARSE, y),
        _recipe("sparse-linear", est(kernel="linear"), _SPARSE, y),
        _recipe("kernel-poly", est(kernel="poly", degree=2, gamma="auto"), _X60, y),
        _recipe("dataframe", est(), _dataframe(_X60), y),
        _precomputed("precomputed", est(kernel="precomputed"), y),
    ]
    if cls.__name__ == "SVR":
        # Every residual inside the epsilon tube: a model with no support vector at all.
        out.append(_recipe("no-support-vectors", est(epsilon=100.0), _X60, y))
    return out


def _one_class(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**kw)

    return [
        _recipe("dense", est(), _X60, unsupervised=True),
        _recipe("float32", est(), _X60.astype(np.float32), unsupervised=True),
        _recipe("sparse", est(nu=0.2), _SPARSE, unsupervised=True),
        _recipe("kernel-linear", est(kernel="linear"), _X60, unsupervised=True),
        _recipe("dataframe", est(), _dataframe(_X60), unsupervised=True),
        _precomputed("precomputed", est(kernel="precomputed")),
    ]


def _linear_svc(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    return [
        _recipe("binary", est(), _X60[:50], _y_class(50, 2)),
        _recipe("int-labels", est(), _X60, _Y3),
        _recipe("str-labels", est(), _X60, _LABELS[_y_class(60, 4)]),
        _recipe("str-labels-series", est(), _X60, _series_labels()),
        _recipe("crammer-singer", est(multi_class="crammer_singer"), _X60, _Y3),
        _recipe("crammer-singer-binary", est(multi_class="crammer_singer"), _X60, _Y2),
        _recipe("class-weight-dict", est(class_weight={0: 2.0, 1: 1.0, 2: 0.5}), _X60, _Y3),
        _recipe("l1-primal", est(penalty="l1", dual=False), _X60, _Y3),
        _recipe("no-intercept", est(fit_intercept=False), _X60, _Y3),
        _recipe("float32", est(), _X60.astype(np.float32), _Y3),
        _recipe("sparse", est(), _SPARSE, _Y3),
        _recipe("dataframe", est(), _dataframe(_X60), _Y3),
    ]


def _linear_svr(cls: type) -> list[Recipe]:
    y = _y_reg(_X60)

    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    return [
        _recipe("dense", est(), _X60, y),
        _recipe("float32", est(), _X60.astype(np.float32), y),
        _recipe("sparse", est(), _SPARSE, y),
        _recipe("squared-loss", est(loss="squared_epsilon_insensitive", dual=False), _X60, y),
        _recipe("no-intercept", est(fit_intercept=False), _X60, y),
        _recipe("dataframe", est(), _dataframe(_X60), y),
    ]


RECIPES["SVC"] = _svc
RECIPES["NuSVC"] = _svc
RECIPES["SVR"] = _svr
RECIPES["NuSVR"] = _svr
RECIPES["OneClassSVM"] = _one_class
RECIPES["LinearSVC"] = _linear_svc
RECIPES["LinearSVR"] = _linear_svr
