"""Fit recipes of the multiclass family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is. The meta-estimators hold lists of fitted model
nodes: one per class (one-vs-rest; a single one for binary problems, one per label for
multilabel targets, where a label that never varies is a _ConstantPredictor), one per pair
of classes (one-vs-one; with pairwise_indices_ for precomputed kernels) or one per code bit
(output codes). Base estimators with and without predict_proba / decision_function change
which inference methods exist and which code book values are used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 4)
_Y3 = _y_class(60, 3)
_LABELS = np.array(["ham", "spam", "eggs", "bacon"])[_y_class(60, 4)]
_MULTILABEL = np.c_[_Y3 == 0, _Y3 != 1, _y_class(60, 2, seed=5)].astype(np.int64)


def _recipe(rid: str, make: Callable[[], Any], X: Any, y: Any, Xq: Any = None) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X, y)
        return Fitted(rid, est, X if Xq is None else Xq, y if Xq is None else None)

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _one_vs_rest(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.svm import LinearSVC

    constant = _MULTILABEL.copy()
    constant[:, 1] = 0  # a label no sample has: fitted as a _ConstantPredictor
    return [
        _recipe("int-labels-proba", lambda: cls(LogisticRegression()), _X60, _Y3),
        _recipe("sgd-partial-fit", lambda: cls(SGDClassifier(random_state=0)), _X60, _Y3),
        _recipe("str-labels-no-proba", lambda: cls(LinearSVC(random_state=0)), _X60, _LABELS),
        _recipe("binary", lambda: cls(LogisticRegression()), _X60, _y_class(60, 2)),
        _recipe("multilabel", lambda: cls(LogisticRegression()), _X60, _MULTILABEL),
        _recipe(
            "multilabel-constant-label",
            lambda: cls(LogisticRegression(), verbose=0),
            _dataframe(_X60),
            constant,
        ),
    ]


def _one_vs_one(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics.pairwise import rbf_kernel
    from sklearn.svm import SVC, LinearSVC

    X_train, X_test = _X60[:45], _X(10, 4, seed=9)
    return [
        _recipe("int-labels", lambda: cls(LinearSVC(random_state=0)), _X60, _Y3),
        _recipe("sgd-partial-fit", lambda: cls(SGDClassifier(random_state=0)), _X60, _Y3),
        _recipe("str-labels", lambda: cls(LogisticRegression()), _dataframe(_X60), _LABELS),
        _recipe(
            "precomputed-kernel",
            lambda: cls(SVC(kernel="precomputed")),
            rbf_kernel(X_train, X_train),
            _Y3[:45],
            Xq=rbf_kernel(X_test, X_train),
        ),
        _recipe("float32", lambda: cls(LogisticRegression()), _X60.astype(np.float32), _Y3),
    ]


def _output_code(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.naive_bayes import GaussianNB

    return [
        _recipe(
            "decision-function",
            lambda: cls(LogisticRegression(), code_size=2.0, random_state=0),
            _X60,
            _Y3,
        ),
        _recipe(
            "predict-proba-str-labels",
            lambda: cls(GaussianNB(), code_size=1.5, random_state=1),
            _X60,
            _LABELS,
        ),
        _recipe(
            "ridge-dataframe",
            lambda: cls(RidgeClassifier(), random_state=np.random.RandomState(2)),
            _dataframe(_X60),
            _Y3,
        ),
    ]


def _constant_predictor(cls: type) -> list[Recipe]:
    # What one-vs-rest and output codes fit for a target column that never varies: its value.
    return [
        _recipe("zero", cls, _X60, np.array([0])),
        _recipe("minus-one-dataframe", cls, _dataframe(_X60), np.array([-1])),
    ]


RECIPES["OneVsRestClassifier"] = _one_vs_rest
RECIPES["OneVsOneClassifier"] = _one_vs_one
RECIPES["OutputCodeClassifier"] = _output_code
RECIPES["_ConstantPredictor"] = _constant_predictor
