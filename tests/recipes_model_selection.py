"""Fit recipes of sklearn.model_selection: searches, halving searches and threshold classifiers.

Each recipe is a distinct layout of fitted state: refit or not, one metric or several (a
list, a dict), int / splitter / float cv, estimator instances and scipy.stats distributions
in the grids, masked cv_results_ columns, a resource other than n_samples, string labels,
DataFrame input. Extra queries compare the folds a loaded splitter yields.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.stats as st
from recipes import _X, Fitted, Recipe, _y_class, _y_reg
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    KFold,
    LeaveOneOut,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier


def _fit(est: Any, X: Any, y: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _folds(attr: str, X: Any, y: Any) -> Callable[[Any], Any]:
    """The folds the fitted splitter yields now (on a copy: a RandomState would advance)."""

    def query(est: Any) -> Any:
        splitter = copy.deepcopy(getattr(est, attr))
        return [(train, test) for train, test in splitter.split(X, y)]

    return query


def _recipe(rid: str, make: Callable[[], Any], X: Any, y: Any, folds: str | None = None) -> Recipe:
    def fit() -> Fitted:
        est = _fit(make(), X, y)
        extra = {"folds": _folds(folds, X, y)} if folds else {}
        return Fitted(rid, est, X, y, extra=extra)

    return Recipe(rid, fit)


_Xc = _X(60, 4, seed=3)
_yc = _y_class(60, 2, seed=4)
_yc[_Xc[:, 0] > 0.8] = 1  # some signal, so candidates differ
_y3 = np.array(["ham", "spam", "eggs"])[_y_class(60, 3, seed=5)]
_Xr = _X(60, 4, seed=6)
_yr = _y_reg(_Xr)


def _frame(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


def _grid(cls: type) -> list[Recipe]:
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    return [
        _recipe(
            "refit-int-cv",
            lambda: cls(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=3),
            _Xc,
            _yc,
            folds="_checked_cv_orig",
        ),
        _recipe(
            "multimetric-kfold-train-scores",
            lambda: cls(
                Ridge(),
                {"alpha": [0.1, 1.0], "fit_intercept": [True, False]},
                scoring=["r2", "neg_mean_squared_error"],
                refit="r2",
                cv=KFold(3, shuffle=True, random_state=0),
                return_train_score=True,
            ),
            _Xr,
            _yr,
            folds="cv",
        ),
        _recipe(
            "pipeline-estimator-grid",
            lambda: cls(
                pipe,
                [
                    {"clf": [LogisticRegression(), SVC(probability=False)], "clf__C": [0.5, 2.0]},
                    {"scale": ["passthrough"]},
                ],
                cv=StratifiedKFold(3, shuffle=True, random_state=np.random.RandomState(7)),
            ),
            _Xc,
            _yc,
            folds="cv",
        ),
        _recipe(
            "refit-false-str-labels",
            lambda: cls(
                LogisticRegression(),
                {"C": [0.5, 1.0]},
                scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
                refit=False,
                cv=RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=3),
            ),
            _Xc,
            _y3,
        ),
        _recipe(
            "dataframe-failing-candidates-index-cv",
            lambda: cls(
                LogisticRegression(),
                {"C": [1.0, -1.0]},
                scoring="accuracy",
                error_score=np.nan,
                cv=list(KFold(4).split(_Xc)),  # (train, test) index arrays
            ),
            _frame(_Xc),
            _yc,
        ),
        # r2 of a single test sample is undefined: every score, and best_score_, is NaN
        _recipe(
            "nan-scores-leave-one-out",
            lambda: cls(Ridge(), {"alpha": [1.0, 2.0]}, scoring="r2", cv=LeaveOneOut()),
            _Xr[:12],
            _yr[:12],
            folds="cv",
        ),
    ]


def _randomized(cls: type) -> list[Recipe]:
    return [
        _recipe(
            "loguniform",
            lambda: cls(
                LogisticRegression(),
                {"C": st.loguniform(1e-3, 1e2), "fit_intercept": [True, False]},
                n_iter=4,
                random_state=0,
                cv=3,
            ),
            _Xc,
            _yc,
        ),
        _recipe(
            "randint-uniform-multimetric",
            lambda: cls(
                DecisionTreeClassifier(random_state=0),
                {
                    "max_depth": st.randint(1, 5),
                    "min_samples_leaf": st.randint(1, 4),
                    "ccp_alpha": st.uniform(0.0, 0.01),
                },
                n_iter=3,
                scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
                refit="bal",
                random_state=np.random.RandomState(1),
                cv=StratifiedShuffleSplit(3, test_size=0.25, random_state=0),
            ),
            _Xc,
            _y3,
            folds="cv",
        ),
        _recipe(
            "list-of-distributions-regression",
            lambda: cls(
                Ridge(),
                [{"alpha": st.expon(scale=2.0)}, {"alpha": [0.5, 1.0], "fit_intercept": [False]}],
                n_iter=4,
                random_state=2,
                cv=ShuffleSplit(3, test_size=0.25, random_state=np.random.RandomState(0)),
            ),
            _Xr,
            _yr,
            folds="_checked_cv_orig",
        ),
    ]


def _halving_grid(cls: type) -> list[Recipe]:
    return [
        _recipe(
            "n-samples",
            lambda: cls(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=3, random_state=0),
            _Xc,
            _yc,
        ),
        _recipe(
            "resource-param-aggressive",
            lambda: cls(
                DecisionTreeClassifier(random_state=0),
                {"min_samples_leaf": [1, 2, 4, 8], "criterion": ["gini", "entropy"]},
                resource="max_depth",
                min_resources=1,
                max_resources=6,
                factor=2,
                aggressive_elimination=True,
                cv=3,
            ),
            _Xc,
            _y3,
        ),
    ]


def _halving_random(cls: type) -> list[Recipe]:
    return [
        _recipe(
            "distributions",
            lambda: cls(
                LogisticRegression(),
                {"C": st.loguniform(1e-2, 1e2)},
                n_candidates=4,
                factor=2,
                cv=3,
                random_state=0,
            ),
            _Xc,
            _yc,
        ),
        _recipe(
            "regression-train-scores",
            lambda: cls(
                Ridge(),
                {"alpha": st.uniform(0.1, 5.0)},
                cv=KFold(3),
                min_resources=20,
                return_train_score=True,
                random_state=np.random.RandomState(4),
            ),
            _Xr,
            _yr,
            folds="cv",
        ),
    ]


def _fixed(cls: type) -> list[Recipe]:
    return [
        _recipe("auto", lambda: cls(LogisticRegression()), _Xc, _yc),
        _recipe(
            "float-pos-label-str",
            lambda: cls(LogisticRegression(), threshold=0.3, pos_label="spam"),
            _Xc,
            np.array(["ham", "spam"])[_yc],
        ),
        _recipe(
            "decision-function",
            lambda: cls(SVC(), threshold=-0.2, response_method="decision_function"),
            _frame(_Xc),
            _yc,
        ),
    ]


def _tuned(cls: type) -> list[Recipe]:
    return [
        _recipe(
            "store-cv-results",
            lambda: cls(LogisticRegression(), store_cv_results=True, thresholds=20),
            _Xc,
            _yc,
        ),
        _recipe(
            "float-cv-f1-no-refit",
            lambda: cls(
                LogisticRegression(),
                scoring="f1",
                cv=0.3,
                refit=False,
                random_state=0,
                thresholds=np.linspace(0.1, 0.9, 9),
            ),
            _Xc,
            _yc,
        ),
        _recipe(
            "splitter-decision-function-str",
            lambda: cls(
                SVC(),
                response_method="decision_function",
                cv=StratifiedKFold(3, shuffle=True, random_state=1),
                scoring="balanced_accuracy",
                thresholds=15,
                store_cv_results=True,
            ),
            _frame(_Xc),
            np.array(["no", "yes"])[_yc],
            folds="cv",
        ),
    ]


RECIPES: dict[str, Callable[[type], list[Recipe]]] = {
    "GridSearchCV": _grid,
    "RandomizedSearchCV": _randomized,
    "HalvingGridSearchCV": _halving_grid,
    "HalvingRandomSearchCV": _halving_random,
    "FixedThresholdClassifier": _fixed,
    "TunedThresholdClassifierCV": _tuned,
}
