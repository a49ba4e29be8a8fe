"""Fit recipes of the sklearn.multioutput family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Every multi-output meta-estimator holds one fitted copy of its base estimator per output.
Chains also feed each estimator the previous outputs as extra columns, in ``order_``, either
the true targets (cv=None) or cross-validated predictions (cv=int) of the method named by
``chain_method``; each layout is covered, with dense, sparse and DataFrame input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X40 = _X(40, 4)
_SPARSE = sp.csr_matrix(_X40 * (np.abs(_X40) > 0.5))
_Y_REG = np.c_[_y_reg(_X40), _y_reg(_X40, seed=7), _y_reg(_X40, seed=9)]
_Y_BIN = np.c_[_y_class(40, 2), _y_class(40, 2, seed=5), _y_class(40, 2, seed=8)]
_Y_MIXED = np.c_[
    np.array(["ham", "spam", "eggs"])[_y_class(40, 3)],
    np.array(["yes", "no"])[_y_class(40, 2, seed=5)],
]


def _recipe(rid: str, make: Callable[[], Any], X: Any, y: Any) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X, y)
        return Fitted(rid, est, X, y)

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _multi_output_regressor(cls: type) -> list[Recipe]:
    from sklearn.linear_model import Ridge, SGDRegressor
    from sklearn.tree import DecisionTreeRegressor

    return [
        # first: an incremental base, so partial_fit continues after loading (test_continuation)
        _recipe(
            "sgd",
            lambda: cls(SGDRegressor(random_state=0, max_iter=50, tol=None)),
            _X40,
            _Y_REG,
        ),
        _recipe("ridge", lambda: cls(Ridge()), _X40, _Y_REG),
        _recipe("float32", lambda: cls(Ridge()), _X40.astype(np.float32), _Y_REG),
        _recipe("sparse", lambda: cls(Ridge(), n_jobs=1), _SPARSE, _Y_REG),
        _recipe(
            "dataframe-trees",
            lambda: cls(DecisionTreeRegressor(max_depth=3, random_state=0)),
            _dataframe(_X40),
            _Y_REG[:, :2],
        ),
    ]


def _multi_output_classifier(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    return [
        # first: an incremental base, so partial_fit continues after loading (test_continuation)
        _recipe(
            "sgd-str-labels",
            lambda: cls(SGDClassifier(random_state=0, max_iter=50, tol=None)),
            _X40,
            _Y_MIXED,
        ),
        _recipe("binary-outputs", lambda: cls(LogisticRegression()), _X40, _Y_BIN),
        _recipe("str-labels", lambda: cls(LogisticRegression()), _X40, _Y_MIXED),
        # no predict_proba on the base estimator: MultiOutputClassifier has none either
        _recipe("decision-function-only", lambda: cls(LinearSVC(random_state=0)), _X40, _Y_BIN),
        _recipe("sparse", lambda: cls(LogisticRegression()), _SPARSE, _Y_BIN),
        _recipe(
            "pipeline",
            lambda: cls(make_pipeline(StandardScaler(), LogisticRegression())),
            _X40,
            _Y_MIXED,
        ),
        _recipe(
            "dataframe-trees",
            lambda: cls(DecisionTreeClassifier(max_depth=3, random_state=0)),
            _dataframe(_X40),
            _Y_MIXED,
        ),
    ]


def _classifier_chain(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    return [
        _recipe("default-order", lambda: cls(LogisticRegression()), _X40, _Y_BIN),
        _recipe(
            "random-order",
            lambda: cls(LogisticRegression(), order="random", random_state=0),
            _X40,
            _Y_BIN,
        ),
        _recipe("list-order", lambda: cls(LogisticRegression(), order=[2, 0, 1]), _X40, _Y_BIN),
        _recipe(
            "cv-decision-function",
            lambda: cls(LogisticRegression(), cv=3, chain_method="decision_function"),
            _X40,
            _Y_BIN,
        ),
        _recipe(
            "chain-method-list-svc",
            lambda: cls(LinearSVC(random_state=0), chain_method=["predict_proba", "predict"]),
            _X40,
            _Y_BIN,
        ),
        _recipe(
            "sparse-cv-proba",
            lambda: cls(LogisticRegression(), cv=2, chain_method="predict_proba"),
            _SPARSE,
            _Y_BIN,
        ),
        _recipe("dataframe", lambda: cls(LogisticRegression()), _dataframe(_X40), _Y_BIN),
    ]


def _regressor_chain(cls: type) -> list[Recipe]:
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    return [
        _recipe("default-order", lambda: cls(Ridge()), _X40, _Y_REG),
        _recipe("random-order", lambda: cls(Ridge(), order="random", random_state=3), _X40, _Y_REG),
        _recipe("cv", lambda: cls(Ridge(), cv=3, order=(1, 2, 0)), _X40, _Y_REG),
        _recipe("sparse", lambda: cls(Ridge()), _SPARSE, _Y_REG),
        _recipe(
            "dataframe-trees",
            lambda: cls(DecisionTreeRegressor(max_depth=3, random_state=0)),
            _dataframe(_X40),
            _Y_REG,
        ),
    ]


RECIPES["MultiOutputRegressor"] = _multi_output_regressor
RECIPES["MultiOutputClassifier"] = _multi_output_classifier
RECIPES["ClassifierChain"] = _classifier_chain
RECIPES["RegressorChain"] = _regressor_chain
