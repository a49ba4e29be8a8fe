"""Fit recipes of the sklearn.impute family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is. Imputers keep their fill values with the dtype of
the training data (float, int, object strings), so each dtype and each kind of missing
marker (NaN, -1, None, a string) is a layout of its own; add_indicator=True adds a nested
MissingIndicator. Query inputs hold missing values, so transform really imputes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}


def _with_nan(n: int = 40, d: int = 4, seed: int = 0, rate: float = 0.15) -> np.ndarray:
    X = _X(n, d, seed=seed)
    X[np.random.RandomState(seed + 100).rand(n, d) < rate] = np.nan
    return X


_XF = _with_nan()
_XQ = _with_nan(10, 4, seed=5, rate=0.3)
_XI = np.random.RandomState(3).randint(0, 6, size=(40, 3))
_XI[np.random.RandomState(4).rand(40, 3) < 0.15] = -1
_XS = np.array(
    [["red", "S", "x"], ["green", None, "y"], [None, "M", "x"], ["red", "L", None]] * 8,
    dtype=object,
)
_XMISSING = np.where(_XS == None, "missing", _XS)  # noqa: E711 (elementwise comparison)


def _recipe(
    rid: str, make: Callable[[], Any], X: Any, Xq: Any = None, extra: dict | None = None
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X)
        return Fitted(rid, est, X if Xq is None else Xq, extra=dict(extra or {}))

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


def _simple(cls: type) -> list[Recipe]:
    empty = _XF.copy()
    empty[:, 2] = np.nan  # a feature with no observed value: kept only with keep_empty_features
    return [
        _recipe("mean", lambda: cls(), _XF, _XQ),
        _recipe("median-indicator", lambda: cls(strategy="median", add_indicator=True), _XF, _XQ),
        _recipe("float32", lambda: cls(strategy="median"), _XF.astype(np.float32)),
        _recipe(
            "int-constant",
            lambda: cls(strategy="constant", missing_values=-1, fill_value=99),
            _XI,
        ),
        _recipe("int-most-frequent", lambda: cls(strategy="most_frequent", missing_values=-1), _XI),
        _recipe("str-none", lambda: cls(strategy="most_frequent", missing_values=None), _XS),
        _recipe(
            "str-marker-constant",
            lambda: cls(
                strategy="constant",
                missing_values="missing",
                fill_value="unknown",
                add_indicator=True,
            ),
            _XMISSING,
        ),
        _recipe("keep-empty", lambda: cls(keep_empty_features=True), empty, _XQ),
        _recipe("sparse", lambda: cls(strategy="mean"), sp.csc_matrix(np.nan_to_num(_XF) + _XF)),
        _recipe(
            "dataframe-pandas-output",
            lambda: cls(strategy="median").set_output(transform="pandas"),
            _dataframe(_XF),
            _dataframe(_XQ),
        ),
        _recipe(
            "dataframe-strings",
            lambda: cls(strategy="most_frequent", add_indicator=True),
            _dataframe(_XS),
        ),
    ]


def _knn(cls: type) -> list[Recipe]:
    return [
        _recipe("uniform", lambda: cls(n_neighbors=3), _XF, _XQ),
        _recipe(
            "distance-indicator",
            lambda: cls(n_neighbors=4, weights="distance", add_indicator=True),
            _XF,
            _XQ,
        ),
        _recipe(
            "float32-numpy-marker",
            lambda: cls(n_neighbors=2, missing_values=np.float32(np.nan)),
            _XF.astype(np.float32),
        ),
        _recipe(
            "int-marker-keep-empty",
            lambda: cls(missing_values=-1, keep_empty_features=True),
            np.c_[_XI, -np.ones(40, dtype=int)].astype(float),
        ),
        _recipe("dataframe", lambda: cls(n_neighbors=3), _dataframe(_XF), _dataframe(_XQ)),
    ]


def _indicator(cls: type) -> list[Recipe]:
    return [
        _recipe("missing-only", lambda: cls(), _XF, _XQ),
        _recipe("all-sparse-output", lambda: cls(features="all", sparse=True), _XF, _XQ),
        _recipe(
            "sparse-input",
            lambda: cls(error_on_new=False),
            sp.csr_matrix(np.nan_to_num(_XF) + _XF),
            sp.csr_matrix(np.nan_to_num(_XQ) + _XQ),
        ),
        _recipe("int-marker", lambda: cls(missing_values=-1), _XI),
        _recipe("str-none", lambda: cls(missing_values=None, features="all"), _XS),
    ]


def _iterative(cls: type) -> list[Recipe]:
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.tree import DecisionTreeRegressor

    complete = np.nan_to_num(_XQ, nan=0.25)

    def posterior_transform(est: Any) -> Any:
        # transform with sample_posterior=True draws from random_state_: on a copy
        return copy.deepcopy(est).transform(_XQ)

    return [
        _recipe("bayesian-ridge", lambda: cls(max_iter=3, random_state=0), _XF, _XQ),
        _recipe(
            "sample-posterior",
            lambda: cls(max_iter=3, sample_posterior=True, random_state=0),
            _XF,
            complete,  # no missing value: transform draws nothing
            extra={"transform(missing) on a copy": posterior_transform},
        ),
        _recipe(
            "extra-trees-bounds-indicator",
            lambda: cls(
                estimator=ExtraTreesRegressor(n_estimators=3, max_depth=3, random_state=0),
                max_iter=2,
                min_value=-1.0,
                max_value=np.array([1.0, 2.0, 3.0, 4.0]),
                imputation_order="random",
                initial_strategy="median",
                add_indicator=True,
                random_state=0,
            ),
            _XF,
            _XQ,
        ),
        _recipe(
            "tree-nearest-features-descending",
            lambda: cls(
                estimator=DecisionTreeRegressor(max_depth=3, random_state=0),
                n_nearest_features=2,
                imputation_order="descending",
                skip_complete=True,
                max_iter=2,
                random_state=0,
            ),
            _XF,
            _XQ,
        ),
        _recipe("max-iter-zero", lambda: cls(max_iter=0), _XF, _XQ),
        _recipe("complete-training-data", lambda: cls(random_state=0), np.nan_to_num(_XF), _XQ),
        _recipe(
            "keep-empty",
            lambda: cls(max_iter=2, keep_empty_features=True, random_state=0),
            np.c_[_XF, np.full(40, np.nan)],
            np.c_[_XQ, np.full(10, np.nan)],
        ),
        _recipe(
            "dataframe-pandas-output",
            lambda: cls(max_iter=2, random_state=0).set_output(transform="pandas"),
            _dataframe(_XF),
            _dataframe(_XQ),
        ),
    ]


RECIPES["SimpleImputer"] = _simple
RECIPES["KNNImputer"] = _knn
RECIPES["MissingIndicator"] = _indicator
RECIPES["IterativeImputer"] = _iterative
