"""Fit recipes of the ensemble family except HistGradientBoosting (see recipes_ensemble.py).

Class name → function returning that class's recipes; recipes_for() consults RECIPES first.
Every ensemble is kept tiny (a handful of shallow members) so the suite stays fast; the
members are linear models where the point is the ensemble's own bookkeeping, and trees
(the defaults) where the point is the tree ensemble itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _y_class, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

X = _X(60, 5)
Y3 = _y_class(60, 3)
Y2 = _y_class(60, 2)
YSTR = np.array(["ham", "spam", "eggs", "bacon"])[_y_class(60, 4)]
YR = _y_reg(X)
SW = 0.5 + np.arange(60) % 4 / 2.0
YR2 = np.c_[YR, _y_reg(X, seed=7)]
XSP = sp.csr_matrix(X * (np.abs(X) > 0.5))


def _df(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    y: Any = None,
    Xq: Any = None,
    then: Callable[[Any], None] | None = None,
    sample_weight: np.ndarray | None = None,
) -> Recipe:
    """Fit make() on (X, y); ``then`` may continue the fit (warm start) before querying."""

    def fit() -> Fitted:
        est = make()
        args = (X,) if y is None else (X, y)
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(*args, **kw)
            if then is not None:
                then(est)
                est.fit(*args, **kw)
        return Fitted(rid, est, X if Xq is None else Xq, y)

    return Recipe(rid, fit)


def _more_estimators(est: Any) -> None:
    est.set_params(n_estimators=est.n_estimators + 2)


# ---------------------------------------------------------------------------
# Voting and stacking: named members given as (name, estimator) tuples.


def _lr() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=200)


def _voting_classifier(cls: type) -> list[Recipe]:
    from sklearn.naive_bayes import GaussianNB

    def members() -> list:
        return [("lr", _lr()), ("nb", GaussianNB())]

    return [
        _recipe("hard-int-labels", lambda: cls(members()), X, Y3),
        _recipe("hard-weights", lambda: cls(members(), weights=[2.0, 1.0]), X, Y3),
        _recipe("soft-str-labels", lambda: cls(members(), voting="soft"), X, YSTR),
        _recipe(
            "soft-weights-binary",
            lambda: cls(members(), voting="soft", weights=[1, 3]),
            X[:50],
            Y2[:50],
        ),
        _recipe(
            "soft-unflattened",
            lambda: cls(members(), voting="soft", flatten_transform=False),
            X,
            Y3,
        ),
        _recipe("with-drop", lambda: cls([*members(), ("gone", "drop")]), X, Y3),
        _recipe("dataframe", lambda: cls(members(), voting="soft"), _df(X), Y3),
    ]


def _voting_regressor(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LinearRegression, Ridge

    def members() -> list:
        return [("ridge", Ridge()), ("ols", LinearRegression())]

    return [
        _recipe("dense", lambda: cls(members()), X, YR),
        _recipe("weights", lambda: cls(members(), weights=[0.25, 0.75]), X, YR),
        _recipe("float32", lambda: cls(members()), X.astype(np.float32), YR),
        _recipe("sparse", lambda: cls(members()), XSP, YR),
        _recipe("with-drop", lambda: cls([*members(), ("gone", "drop")]), X, YR),
        _recipe("dataframe", lambda: cls(members()), _df(X), YR),
    ]


def _stacking_classifier(cls: type) -> list[Recipe]:
    from sklearn.naive_bayes import GaussianNB

    def members() -> list:
        return [("lr", _lr()), ("nb", GaussianNB())]

    def make(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(members(), final_estimator=_lr(), cv=3, **kw)

    return [
        _recipe("int-labels", make(), X, Y3),
        _recipe("passthrough", make(passthrough=True), X, Y3),
        _recipe("str-labels", make(), X, YSTR),
        _recipe("binary-passthrough", make(passthrough=True), X[:50], Y2[:50]),
        _recipe("stack-predict", make(stack_method="predict"), X, Y3),
        _recipe("stack-predict-proba", make(stack_method="predict_proba"), X[:50], Y2[:50]),
        _recipe(
            "stack-decision-function",
            lambda: cls(
                [("lr", _lr()), ("lr2", _lr().set_params(C=0.1))],
                final_estimator=_lr(),
                cv=3,
                stack_method="decision_function",
            ),
            X,
            Y3,
        ),
        _recipe("with-drop", lambda: cls([*members(), ("gone", "drop")], cv=3), X, Y3),
        _recipe("default-final", lambda: cls(members(), cv=3), X, Y3),
        _recipe("dataframe", make(passthrough=True), _df(X), Y3),
    ]


def _stacking_regressor(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LinearRegression, Ridge

    def members() -> list:
        return [("ridge", Ridge()), ("ols", LinearRegression())]

    def make(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(members(), final_estimator=Ridge(alpha=0.5), cv=3, **kw)

    return [
        _recipe("dense", make(), X, YR),
        _recipe("passthrough", make(passthrough=True), X, YR),
        _recipe("float32", make(), X.astype(np.float32), YR),
        _recipe("sparse-passthrough", make(passthrough=True), XSP, YR),
        _recipe("with-drop", lambda: cls([*members(), ("gone", "drop")], cv=3), X, YR),
        _recipe("dataframe", make(), _df(X), YR),
        _recipe("prefit", _prefit_stacking(cls, members), X, YR),
        _recipe("pandas-output", lambda: make()().set_output(transform="pandas"), _df(X), YR),
    ]


def _prefit_stacking(cls: type, members: Callable[[], list]) -> Callable[[], Any]:
    """cv="prefit": the fitted members are the very estimators given as parameters."""
    from sklearn.linear_model import Ridge

    def make() -> Any:
        fitted = [(name, est.fit(X[:40], YR[:40])) for name, est in members()]
        return cls(fitted, final_estimator=Ridge(alpha=0.5), cv="prefit")

    return make


RECIPES["VotingClassifier"] = _voting_classifier
RECIPES["VotingRegressor"] = _voting_regressor
RECIPES["StackingClassifier"] = _stacking_classifier
RECIPES["StackingRegressor"] = _stacking_regressor


# ---------------------------------------------------------------------------
# Bagging: linear members (feature subsets, bootstrap features) and the default trees.


def _bagging_classifier(cls: type) -> list[Recipe]:
    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 3, "random_state": 0, **kw}
        # a fresh member per fit: recipes never share an estimator object
        return lambda: cls(**{k: v() if callable(v) else v for k, v in kw.items()})

    lr = {"estimator": _lr}
    return [
        _recipe("lr-int-labels", make(**lr), X, Y3),
        _recipe("lr-str-labels", make(**lr), X, YSTR),
        _recipe("lr-max-features", make(**lr, max_features=3, bootstrap_features=True), X, Y3),
        _recipe("lr-oob-score", make(**lr, n_estimators=6, oob_score=True), X, Y3),
        _recipe("lr-max-samples", make(**lr, max_samples=0.5, bootstrap=False), X, Y3),
        _recipe("lr-sparse", make(**lr), XSP, Y3),
        _recipe("lr-sample-weight", make(**lr), X, Y3, sample_weight=SW),
        _recipe("lr-warm-start", make(**lr, warm_start=True), X, Y3, then=_more_estimators),
        _recipe("trees-int-labels", make(max_features=0.6), X, Y3),
        _recipe("trees-binary", make(), X[:50], Y2[:50]),
        _recipe("trees-float32", make(), X.astype(np.float32), Y3),
        _recipe("trees-oob-score", make(n_estimators=6, oob_score=True), X, YSTR),
        _recipe("dataframe", make(**lr), _df(X), Y3),
    ]


def _bagging_regressor(cls: type) -> list[Recipe]:
    from sklearn.linear_model import Ridge

    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 3, "random_state": 0, **kw}
        return lambda: cls(**{k: v() if callable(v) else v for k, v in kw.items()})

    ridge = {"estimator": Ridge}
    return [
        _recipe("ridge-dense", make(**ridge), X, YR),
        _recipe(
            "ridge-max-features", make(**ridge, max_features=2, bootstrap_features=True), X, YR
        ),
        _recipe("ridge-oob-score", make(**ridge, n_estimators=6, oob_score=True), X, YR),
        _recipe("ridge-sparse", make(**ridge), XSP, YR),
        _recipe("ridge-sample-weight", make(**ridge), X, YR, sample_weight=SW),
        _recipe("ridge-multioutput", make(**ridge), X, YR2),
        _recipe("ridge-warm-start", make(**ridge, warm_start=True), X, YR, then=_more_estimators),
        _recipe("trees-dense", make(max_features=0.6), X, YR),
        _recipe("trees-float32", make(), X.astype(np.float32), YR),
        _recipe("trees-oob-score", make(n_estimators=6, oob_score=True), X, YR),
        _recipe("dataframe", make(**ridge), _df(X), YR),
    ]


RECIPES["BaggingClassifier"] = _bagging_classifier
RECIPES["BaggingRegressor"] = _bagging_regressor


# ---------------------------------------------------------------------------
# Forests


def _forest_classifier(cls: type) -> list[Recipe]:
    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 3, "max_depth": 3, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("int-labels", make(), X, Y3),
        _recipe("binary", make(), X[:50], Y2[:50]),
        _recipe("str-labels", make(), X, YSTR),
        _recipe("float32", make(), X.astype(np.float32), Y3),
        _recipe("sparse", make(), XSP, Y3),
        _recipe("multioutput", make(), X, np.c_[Y3, Y2]),
        _recipe("multioutput-str-labels", make(), X, np.c_[YSTR, Y2.astype(str)]),
        _recipe("class-weight-dict", make(class_weight={0: 2.0, 1: 1.0, 2: 0.5}), X, Y3),
        _recipe("balanced-subsample", make(class_weight="balanced_subsample"), X, Y3),
        _recipe(
            "multioutput-class-weights",
            make(class_weight=[{0: 1.0, 1: 2.0, 2: 1.0}, {0: 3.0, 1: 1.0}]),
            X,
            np.c_[Y3, Y2],
        ),
        _recipe("oob-score", make(n_estimators=6, oob_score=True, bootstrap=True), X, Y3),
        _recipe(
            "oob-score-multilabel",
            make(n_estimators=6, oob_score=True, bootstrap=True),
            X,
            np.c_[Y2, _y_class(60, 2, seed=5)],
        ),
        _recipe("max-samples", make(bootstrap=True, max_samples=0.5), X, Y3),
        _recipe("sample-weight", make(bootstrap=True), X, Y3, sample_weight=SW),
        _recipe("warm-start", make(warm_start=True), X, Y3, then=_more_estimators),
        _recipe("entropy-unlimited", make(max_depth=None, criterion="entropy"), X[:30], Y3[:30]),
        _recipe("dataframe", make(), _df(X), Y3),
    ]


def _forest_regressor(cls: type) -> list[Recipe]:
    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 3, "max_depth": 3, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("dense", make(), X, YR),
        _recipe("float32", make(), X.astype(np.float32), YR),
        _recipe("sparse", make(), XSP, YR),
        _recipe("multioutput", make(), X, YR2),
        _recipe("oob-score", make(n_estimators=6, oob_score=True, bootstrap=True), X, YR),
        _recipe(
            "oob-score-multioutput",
            make(n_estimators=6, oob_score=True, bootstrap=True),
            X,
            YR2,
        ),
        _recipe("absolute-error", make(criterion="absolute_error"), X[:30], YR[:30]),
        _recipe("poisson", make(criterion="poisson"), X, np.exp(YR / 4)),
        _recipe("monotonic", make(monotonic_cst=[1, 0, -1, 0, 0]), X, YR),
        _recipe("sample-weight", make(bootstrap=True), X, YR, sample_weight=SW),
        _recipe("warm-start", make(warm_start=True), X, YR, then=_more_estimators),
        _recipe("dataframe", make(), _df(X), YR),
    ]


def _trees_embedding(cls: type) -> list[Recipe]:
    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 3, "max_depth": 3, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("dense", make(), X),
        _recipe("dense-output", make(sparse_output=False), X),
        _recipe("float32", make(), X.astype(np.float32)),
        _recipe("sparse", make(), XSP),
        _recipe("dataframe", make(), _df(X)),
        _recipe(
            "pandas-output",
            lambda: make(sparse_output=False)().set_output(transform="pandas"),
            _df(X),
        ),
    ]


RECIPES["RandomForestClassifier"] = _forest_classifier
RECIPES["ExtraTreesClassifier"] = _forest_classifier
RECIPES["RandomForestRegressor"] = _forest_regressor
RECIPES["ExtraTreesRegressor"] = _forest_regressor
RECIPES["RandomTreesEmbedding"] = _trees_embedding


def _isolation_forest(cls: type) -> list[Recipe]:
    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 5, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("dense", make(), X),
        _recipe("float32", make(), X.astype(np.float32)),
        _recipe("sparse", make(), XSP),
        _recipe("contamination", make(contamination=0.1), X),
        _recipe("max-features-bootstrap", make(max_features=0.6, bootstrap=True), X),
        _recipe("max-samples", make(max_samples=20), X),
        _recipe("warm-start", make(warm_start=True), X, then=_more_estimators),
        _recipe("dataframe", make(), _df(X)),
    ]


RECIPES["IsolationForest"] = _isolation_forest


# ---------------------------------------------------------------------------
# Boosting


def _full_tree() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(random_state=0)


def _adaboost_classifier(cls: type) -> list[Recipe]:
    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 5, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("stumps-int-labels", make(), X, Y3),
        _recipe("stumps-binary", make(), X[:50], Y2[:50]),
        _recipe("stumps-str-labels", make(learning_rate=0.5), X, YSTR),
        _recipe("stumps-float32", make(), X.astype(np.float32), Y3),
        _recipe("stumps-sparse", make(), XSP, Y3),
        _recipe("lr-members", make(estimator=_lr()), X, Y3),
        # a perfect first member stops boosting: fewer members than n_estimators
        _recipe("early-termination", make(estimator=_full_tree()), X, Y3),
        _recipe("dataframe", make(), _df(X), Y3),
    ]


def _adaboost_regressor(cls: type) -> list[Recipe]:
    from sklearn.linear_model import Ridge

    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 5, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("trees-dense", make(), X, YR),
        _recipe("trees-square-loss", make(loss="square"), X, YR),
        _recipe("trees-exponential-loss", make(loss="exponential"), X, YR),
        _recipe("trees-float32", make(), X.astype(np.float32), YR),
        _recipe("trees-sparse", make(), XSP, YR),
        _recipe("ridge-members", make(estimator=Ridge()), X, YR),
        _recipe("dataframe", make(), _df(X), YR),
    ]


RECIPES["AdaBoostClassifier"] = _adaboost_classifier
RECIPES["AdaBoostRegressor"] = _adaboost_regressor


def _gb_classifier(cls: type) -> list[Recipe]:
    from sklearn.dummy import DummyClassifier

    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 4, "max_depth": 2, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("int-labels", make(), X, Y3),
        _recipe("binary", make(), X[:50], Y2[:50]),
        _recipe("str-labels", make(), X, YSTR),
        _recipe("float32", make(), X.astype(np.float32), Y3),
        _recipe("sparse", make(), XSP, Y3),
        _recipe("exponential-loss", make(loss="exponential"), X[:50], Y2[:50]),
        _recipe("custom-init", make(init=_lr()), X, Y3),
        _recipe("custom-init-binary", make(init=_lr()), X[:50], YSTR[:50] == "ham"),
        _recipe("dummy-init-prior", make(init=DummyClassifier(strategy="prior")), X, Y3),
        _recipe("zero-init", make(init="zero"), X, Y3),
        _recipe("subsample-max-features", make(subsample=0.7, max_features=2), X, Y3),
        _recipe(
            "early-stopping",
            make(n_estimators=30, n_iter_no_change=2, validation_fraction=0.2, learning_rate=0.5),
            X,
            Y3,
        ),
        _recipe("warm-start", make(warm_start=True), X, Y3, then=_more_estimators),
        _recipe("dataframe", make(), _df(X), Y3),
    ]


def _gb_regressor(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LinearRegression

    def make(**kw: Any) -> Callable[[], Any]:
        kw = {"n_estimators": 4, "max_depth": 2, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("dense", make(), X, YR),
        _recipe("float32", make(), X.astype(np.float32), YR),
        _recipe("sparse", make(), XSP, YR),
        _recipe("absolute-error", make(loss="absolute_error"), X, YR),
        _recipe("huber", make(loss="huber", alpha=0.8), X, YR),
        _recipe("quantile", make(loss="quantile", alpha=0.3), X, YR),
        _recipe("custom-init", make(init=LinearRegression()), X, YR),
        _recipe("zero-init", make(init="zero"), X, YR),
        _recipe("subsample", make(subsample=0.7, max_features="sqrt"), X, YR),
        _recipe(
            "early-stopping",
            make(n_estimators=30, n_iter_no_change=2, validation_fraction=0.2, learning_rate=0.5),
            X,
            YR,
        ),
        _recipe("warm-start", make(warm_start=True), X, YR, then=_more_estimators),
        _recipe("dataframe", make(), _df(X), YR),
    ]


RECIPES["GradientBoostingClassifier"] = _gb_classifier
RECIPES["GradientBoostingRegressor"] = _gb_regressor
