"""Fit recipes of the sklearn.feature_selection family: class name → that class's recipes.

See tests/recipes.py for what a recipe is. Every selector is queried for its support mask
(as a mask and as indices) besides transform / inverse_transform / get_feature_names_out.

The data holds the cases that decide which features a selector keeps: a constant column (its
F-score is NaN, its chi2 score 0), a duplicated column (tied scores) and columns that carry
the class, so masks are neither all-true nor all-false.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_N, _D = 60, 6


def _labels(n: int = _N, k: int = 3, seed: int = 1) -> np.ndarray:
    y = np.arange(n) % k
    np.random.RandomState(seed).shuffle(y)
    return y


def _X(positive: bool = False, seed: int = 0) -> np.ndarray:
    """Columns: 0 and 3 carry the label, 1 is noise, 2 is constant, 4 repeats 1, 5 is noise."""
    rng = np.random.RandomState(seed)
    X = rng.rand(_N, _D) if positive else rng.randn(_N, _D)
    y = _labels()
    X[:, 0] += y
    X[:, 3] += 0.5 * y
    X[:, 2] = 1.0
    X[:, 4] = X[:, 1]
    return X


def _target(X: np.ndarray, seed: int = 2) -> np.ndarray:
    rng = np.random.RandomState(seed)
    return X[:, 0] * 2.0 - X[:, 3] + 0.1 * rng.randn(X.shape[0])


def _frame(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


def _support(est: Any) -> Any:
    return est.get_support()


def _support_indices(est: Any) -> Any:
    return est.get_support(indices=True)


def _names_from_given(est: Any) -> Any:
    return est.get_feature_names_out([f"in_{i}" for i in range(est.n_features_in_)])


SUPPORT_QUERIES: dict[str, Callable[[Any], Any]] = {
    "get_support()": _support,
    "get_support(indices=True)": _support_indices,
}


def _recipe(
    rid: str,
    make: Callable[[], tuple[Any, Any, Any]],
    extra: dict[str, Callable[[Any], Any]] | None = None,
    pandas_output: bool = False,
) -> Recipe:
    """make() → (unfitted estimator, X, y); y None fits without targets."""

    def fit() -> Fitted:
        est, X, y = make()
        if pandas_output:
            est.set_output(transform="pandas")
        if y is None:
            _quiet_fit(est, X)
        else:
            _quiet_fit(est, X, y)
        queries = {**SUPPORT_QUERIES, **(extra or {})}
        if not hasattr(X, "columns"):
            queries["get_feature_names_out(input_features)"] = _names_from_given
        return Fitted(rid, est, X, y, extra=queries)

    return Recipe(rid, fit)


# ---------------------------------------------------------------------------
# VarianceThreshold


def _variance_threshold(cls: type) -> list[Recipe]:
    X = _X()
    return [
        _recipe("dense", lambda: (cls(), X, None)),
        _recipe("float32-threshold", lambda: (cls(threshold=0.5), X.astype(np.float32), None)),
        _recipe("sparse", lambda: (cls(threshold=0.2), sp.csr_matrix(X * (np.abs(X) > 0.5)), None)),
        _recipe("dataframe", lambda: (cls(threshold=0.8), _frame(X), None)),
        _recipe("pandas-output", lambda: (cls(), _frame(X), None), pandas_output=True),
    ]


RECIPES["VarianceThreshold"] = _variance_threshold


# ---------------------------------------------------------------------------
# Univariate selectors


def _univariate(cls: type, option: str, values: tuple[Any, Any, Any, Any]) -> list[Recipe]:
    """``option`` is the class's own parameter (k, percentile, alpha); ``values`` gives four
    of its settings: for the F-tests, chi2, mutual information, and an extreme one (keep all)."""
    from sklearn.feature_selection import (
        chi2,
        f_classif,
        f_regression,
        mutual_info_classif,
        r_regression,
    )

    X, Xp, y = _X(), _X(positive=True), _labels()
    yr = _target(X)
    a, b, c, d = values

    def make(score_func: Any, value: Any) -> Any:
        return cls(score_func, **{option: value})

    return [
        # the constant column scores NaN: selectors treat it as the lowest score
        _recipe("f_classif-nan-scores", lambda: (make(f_classif, a), X, y)),
        _recipe("chi2-ties-sparse", lambda: (make(chi2, b), sp.csr_matrix(Xp), y)),
        _recipe("f_regression-float32", lambda: (make(f_regression, a), X.astype(np.float32), yr)),
        # no p-values: pvalues_ is None
        _recipe("mutual_info-dataframe", lambda: (make(mutual_info_classif, c), _frame(X), y)),
        # no p-values either; the constant column's correlation is infinite
        _recipe(
            "r_regression-pandas-output",
            lambda: (make(r_regression, d), _frame(X), yr),
            pandas_output=True,
        ),
    ]


def _select_k_best(cls: type) -> list[Recipe]:
    return _univariate(cls, "k", (3, 2, 0, "all"))


def _select_percentile(cls: type) -> list[Recipe]:
    return _univariate(cls, "percentile", (50, 34.0, 20, 100))


def _select_alpha(cls: type) -> list[Recipe]:
    return _univariate(cls, "alpha", (0.05, 0.5, 1e-3, 1.0))


RECIPES["SelectKBest"] = _select_k_best
RECIPES["SelectPercentile"] = _select_percentile
RECIPES["SelectFpr"] = _select_alpha
RECIPES["SelectFdr"] = _select_alpha
RECIPES["SelectFwe"] = _select_alpha


def _generic_univariate(cls: type) -> list[Recipe]:
    from sklearn.feature_selection import chi2, f_classif, mutual_info_regression

    X, Xp, y = _X(), _X(positive=True), _labels()
    return [
        _recipe("percentile", lambda: (cls(f_classif, mode="percentile", param=40), X, y)),
        _recipe("k_best", lambda: (cls(chi2, mode="k_best", param=2), sp.csr_matrix(Xp), y)),
        _recipe("fpr", lambda: (cls(mode="fpr", param=0.05), X.astype(np.float32), y)),
        _recipe("fdr", lambda: (cls(mode="fdr", param=0.1), _frame(X), y)),
        _recipe("fwe", lambda: (cls(chi2, mode="fwe", param=0.5), Xp, y)),
        # transform needs p-values that mutual information does not give: it raises, and the
        # loaded model must raise the same way
        _recipe(
            "fpr-without-pvalues",
            lambda: (cls(mutual_info_regression, mode="fpr"), X, _target(X)),
        ),
    ]


RECIPES["GenericUnivariateSelect"] = _generic_univariate


# ---------------------------------------------------------------------------
# Model-based selectors: they hold fitted estimators (already supported classes).


def _threshold(est: Any) -> Any:
    return est.threshold_


def _select_from_model(cls: type) -> list[Recipe]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _X(), _labels()
    yr = _target(X)
    extra = {"threshold_": _threshold}

    def prefit() -> tuple[Any, Any, Any]:
        fitted = _quiet_fit(LogisticRegression(max_iter=200), X, y)
        return cls(fitted, prefit=True, threshold=0.5, norm_order=np.inf), X, y

    def pipeline() -> tuple[Any, Any, Any]:
        model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
        return cls(model, importance_getter="named_steps.clf.coef_", norm_order=2), X, y

    def partial_fit() -> Fitted:
        est = cls(SGDClassifier(random_state=0), threshold="median", max_features=3)
        for start in (0, 30):
            est.partial_fit(X[start : start + 30], y[start : start + 30], classes=[0, 1, 2])
        return Fitted("partial-fit", est, X, y, extra={**SUPPORT_QUERIES, **extra})

    return [
        # first: test_continuation continues a class's first recipe with partial_fit
        Recipe("partial-fit", partial_fit),
        _recipe(
            "forest-median-pandas-output",
            lambda: (
                cls(
                    RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0),
                    threshold="median",
                ),
                _frame(X),
                np.array(["ham", "spam", "eggs"])[y],
            ),
            extra,
            pandas_output=True,
        ),
        _recipe(
            "scaled-mean-max-features-sparse",
            lambda: (
                cls(LinearRegression(), threshold="1.25*mean", max_features=2),
                sp.csr_matrix(X * (np.abs(X) > 0.5)),
                yr,
            ),
            extra,
        ),
        _recipe("prefit-inf-norm", prefit, extra),
        # 2-d coef_ (three classes): the importances are column norms of order norm_order
        _recipe("importance-getter-path-norm-order-2", pipeline, extra),
    ]


RECIPES["SelectFromModel"] = _select_from_model


def _rfe(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR
    from sklearn.tree import DecisionTreeClassifier

    X, y = _X(), _labels()
    yr = _target(X)

    def pipeline() -> tuple[Any, Any, Any]:
        model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
        return cls(model, n_features_to_select=3, importance_getter="named_steps.clf.coef_"), X, y

    return [
        _recipe("logistic", lambda: (cls(LogisticRegression(), n_features_to_select=2), X, y)),
        _recipe(
            "svr-fractions",
            lambda: (cls(SVR(kernel="linear"), n_features_to_select=0.5, step=0.3), X, yr),
        ),
        _recipe(
            "tree-str-labels-pandas-output",
            lambda: (
                cls(DecisionTreeClassifier(max_depth=3, random_state=0), step=2),
                _frame(X),
                np.array(["ham", "spam", "eggs"])[y],
            ),
            pandas_output=True,
        ),
        _recipe("importance-getter-path", pipeline),
        _recipe(
            "sparse",
            lambda: (
                cls(LogisticRegression(), n_features_to_select=4),
                sp.csr_matrix(X * (np.abs(X) > 0.5)),
                y,
            ),
        ),
    ]


def _rfecv(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier

    X, y = _X(), _labels()
    yr = _target(X)
    return [
        _recipe("logistic-cv3", lambda: (cls(LogisticRegression(), cv=3), X, y)),
        _recipe(
            "ridge-scoring-min-features",
            lambda: (
                cls(Ridge(), cv=4, scoring="neg_mean_squared_error", min_features_to_select=2),
                X,
                yr,
            ),
        ),
        _recipe(
            "tree-step-pandas-output",
            lambda: (
                cls(
                    DecisionTreeClassifier(max_depth=3, random_state=0), step=2, scoring="accuracy"
                ),
                _frame(X),
                y,
            ),
            pandas_output=True,
        ),
    ]


RECIPES["RFE"] = _rfe
RECIPES["RFECV"] = _rfecv


def _sequential(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = _X(), _labels()
    yr = _target(X)
    return [
        _recipe(
            "forward-int",
            lambda: (
                cls(
                    DecisionTreeClassifier(max_depth=2, random_state=0),
                    n_features_to_select=2,
                    cv=3,
                ),
                X,
                y,
            ),
        ),
        _recipe(
            "backward-fraction-scoring",
            lambda: (
                cls(
                    LinearRegression(),
                    direction="backward",
                    n_features_to_select=0.5,
                    scoring="r2",
                    cv=3,
                ),
                X,
                yr,
            ),
        ),
        _recipe(
            "auto-tol-pandas-output",
            lambda: (
                cls(LogisticRegression(), n_features_to_select="auto", tol=0.01, cv=3),
                _frame(X),
                y,
            ),
            pandas_output=True,
        ),
        # "auto" without tol on an odd number of features: backward keeps the larger half
        _recipe(
            "auto-backward-odd",
            lambda: (cls(LinearRegression(), direction="backward", cv=3), X[:, :5], yr),
        ),
        _recipe(
            "auto-backward-negative-tol",
            lambda: (
                cls(
                    LinearRegression(),
                    n_features_to_select="auto",
                    direction="backward",
                    tol=-0.5,
                    cv=3,
                ),
                X,
                yr,
            ),
        ),
    ]


RECIPES["SequentialFeatureSelector"] = _sequential
