"""Fit recipes of the tree family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.
Data stays small (tens of samples) and every tree is seeded, so fits are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit, _rng, _y_class, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}


def _make(cls: type, rid: str, X: Any, y: Any, **params: Any) -> Recipe:
    def fit() -> Fitted:
        est = cls(random_state=0, **params)
        _quiet_fit(est, X, y)
        return Fitted(rid, est, X, y)

    return Recipe(rid, fit)


def _with_nan(X: np.ndarray) -> np.ndarray:
    """About a fifth of the values missing, so splits learn where missing values go."""
    X = X.copy()
    X[_rng(8).rand(*X.shape) < 0.2] = np.nan
    return X


def _sparse(X: np.ndarray) -> sp.csr_matrix:
    return sp.csr_matrix(X * (np.abs(X) > 0.5))


def _dataframe(cls: type, X: np.ndarray, y: Any) -> Recipe:
    def fit() -> Fitted:
        import pandas as pd

        df = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
        est = cls(random_state=0)
        _quiet_fit(est, df, y)
        return Fitted("dataframe", est, df, y)

    return Recipe("dataframe", fit)


def classifier_recipes(cls: type) -> list[Recipe]:
    X = _X(60, 5)
    y3 = _y_class(60, 3)
    # Labels that follow the features, so trees grow several levels, not just memorise noise.
    y_signal = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return [
        _make(cls, "int-labels", X, y3),
        _make(cls, "binary", X[:50], _y_class(50, 2)),
        _make(cls, "str-labels", X, np.array(["ham", "spam", "eggs", "bacon"])[_y_class(60, 4)]),
        _make(cls, "object-labels", X, np.array(["x", "y", "z"], dtype=object)[y3]),
        _make(cls, "multioutput", X, np.c_[y3, _y_class(60, 2, seed=5)]),
        _make(cls, "multioutput-str", X, np.c_[np.array(["a", "b", "c"])[y3], y_signal]),
        _make(cls, "class-weight-dict", X, y3, class_weight={0: 2.0, 1: 1.0, 2: 0.5}),
        _make(cls, "class-weight-balanced", X, y_signal, class_weight="balanced"),
        _make(
            cls,
            "class-weight-per-output",
            X,
            np.c_[y3, y_signal],
            class_weight=[{0: 1.0, 1: 2.0, 2: 1.0}, {0: 3.0, 1: 1.0, 2: 1.0}],
        ),
        _make(cls, "bool-labels", X, X[:, 2] > 0.3),
        _make(cls, "sparse", _sparse(X), y3),
        _make(cls, "float32", X.astype(np.float32), y3),
        _dataframe(cls, X, y3),
        _make(cls, "nan-in-X", _with_nan(X), y_signal),
        _make(cls, "entropy-depth-2", X, y_signal, criterion="entropy", max_depth=2),
        _make(cls, "log-loss-best-first", X, y3, criterion="log_loss", max_leaf_nodes=6),
        _make(cls, "min-samples-leaf", X, y3, min_samples_leaf=5, max_features=3),
        _make(cls, "ccp-alpha", X, y3, ccp_alpha=0.02),
        _make(cls, "monotonic", X[:50], _y_class(50, 2), monotonic_cst=[1, 0, -1, 0, 0]),
        _make(cls, "stump", X, y_signal, max_depth=1),
        _make(cls, "single-class", X, np.zeros(60, dtype=int)),
    ]


def regressor_recipes(cls: type) -> list[Recipe]:
    X = _X(60, 5)
    y = _y_reg(X)
    yy = np.c_[y, _y_reg(X, seed=7)]
    return [
        _make(cls, "dense", X, y),
        _make(cls, "multioutput", X, yy),
        _make(cls, "sparse", _sparse(X), y),
        _make(cls, "float32", X.astype(np.float32), y.astype(np.float32)),
        _dataframe(cls, X, y),
        _make(cls, "nan-in-X", _with_nan(X), y),
        _make(cls, "absolute-error", X, y, criterion="absolute_error"),
        _make(cls, "poisson", X, np.exp(y / 4), criterion="poisson"),
        _make(cls, "max-depth-3", X, y, max_depth=3),
        _make(cls, "min-samples-leaf", X, y, min_samples_leaf=7, max_features=0.6),
        _make(cls, "best-first", X, yy, max_leaf_nodes=5),
        _make(cls, "ccp-alpha", X, y, ccp_alpha=0.05),
        _make(cls, "monotonic", X, y, monotonic_cst=[1, 0, 0, -1, 0]),
        _make(cls, "min-weight-fraction", X, y, min_weight_fraction_leaf=0.1),
        _make(cls, "constant-target", X, np.full(60, 2.5)),
    ]


RECIPES["DecisionTreeClassifier"] = classifier_recipes
RECIPES["ExtraTreeClassifier"] = classifier_recipes
RECIPES["DecisionTreeRegressor"] = regressor_recipes
RECIPES["ExtraTreeRegressor"] = regressor_recipes
