"""Fit recipes of the sklearn.semi_supervised family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Targets mark unlabeled samples with -1. Label propagation keeps the training input and a
label distribution per training sample, and with kernel="knn" a fitted NearestNeighbors on
that same input; self-training keeps its fitted base classifier and the iteration each sample
was labeled in, and stops for each of its three reasons (max_iter, no_change, all_labeled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X40 = _X(40, 3)


def _partly_labeled(y: np.ndarray, every: int = 2) -> np.ndarray:
    y = y.copy()
    y[::every] = -1
    return y


_Y3 = _partly_labeled(_y_class(40, 3))
_Y2 = _partly_labeled(_y_class(40, 2), every=3)


def _labeled(rid: str, make: Callable[[], Any], X: Any, y: Any) -> Recipe:
    """Query with the labeled training rows, so score() compares too."""

    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X, y)
        keep = np.array([v != -1 for v in y.tolist()])
        Xq = X[keep] if not hasattr(X, "iloc") else X.iloc[keep]
        return Fitted(rid, est, Xq, y[keep])

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _label_propagation(cls: type) -> list[Recipe]:
    out = [
        _labeled("rbf", lambda: cls(), _X40, _Y3),
        _labeled("knn", lambda: cls(kernel="knn", n_neighbors=5), _X40, _Y3),
        _labeled("binary-gamma", lambda: cls(gamma=0.5, max_iter=5), _X40, _Y2),
        _labeled("float-labels", lambda: cls(), _X40, _Y3.astype(np.float64)),
        _labeled("float32", lambda: cls(kernel="knn", n_neighbors=4), _X40.astype(np.float32), _Y3),
        _labeled("sparse-knn", lambda: cls(kernel="knn"), sp.csr_matrix(_X40), _Y3),
        _labeled("dataframe", lambda: cls(), _dataframe(_X40), _Y3),
    ]
    if cls.__name__ == "LabelSpreading":
        out.append(_labeled("alpha", lambda: cls(alpha=0.5, kernel="knn"), _X40, _Y3))
    return out


def _self_training(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    labels = np.array(["ham", "spam", "eggs"], dtype=object)[_y_class(40, 3)]
    labels[::2] = -1
    return [
        _labeled("threshold", lambda: cls(LogisticRegression(), threshold=0.6), _X40, _Y3),
        _labeled(
            "k-best-all-labeled",
            lambda: cls(LogisticRegression(), criterion="k_best", k_best=4, max_iter=None),
            _X40,
            _Y3,
        ),
        _labeled(
            "max-iter",
            lambda: cls(LogisticRegression(), criterion="k_best", k_best=2, max_iter=2),
            _X40,
            _Y2,
        ),
        _labeled("no-change", lambda: cls(LogisticRegression(), threshold=0.99), _X40, _Y3),
        _labeled("str-labels", lambda: cls(LogisticRegression()), _X40, labels),
        _labeled(
            "pipeline",
            lambda: cls(make_pipeline(StandardScaler(), LogisticRegression())),
            _X40,
            _Y3,
        ),
        _labeled(
            "svc-dataframe",
            lambda: cls(SVC(probability=True, random_state=0)),
            _dataframe(_X40),
            _Y3,
        ),
    ]


RECIPES["LabelPropagation"] = _label_propagation
RECIPES["LabelSpreading"] = _label_propagation
RECIPES["SelfTrainingClassifier"] = _self_training
