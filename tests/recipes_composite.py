"""Fit recipes of the composite family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Composites hold other estimators, so every recipe nests already-supported classes (linear
models and preprocessing) the way users combine them: a DataFrame with string categories
through a ColumnTransformer into a classifier, passthrough steps, pandas output, weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}


def _recipe(rid: str, make: Callable[[], tuple[Any, Any, Any]]) -> Recipe:
    """make() → (unfitted estimator, X, y); y None fits a transformer without targets."""

    def fit() -> Fitted:
        est, X, y = make()
        if y is None:
            _quiet_fit(est, X)
        else:
            _quiet_fit(est, X, y)
        return Fitted(rid, est, X, y)

    return Recipe(rid, fit)


# ---------------------------------------------------------------------------
# Small data sets: a mixed DataFrame (numbers and string categories) and a dense array.


def _frame(n: int = 40, seed: int = 0) -> Any:
    import pandas as pd

    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "age": rng.randn(n) * 10 + 40,
            "income": rng.rand(n) * 5.0,
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "plan": rng.choice(["basic", "pro"], n),
            "score": rng.randn(n),
        }
    )


def _labels(n: int = 40, seed: int = 1) -> np.ndarray:
    y = np.array(["churn", "stay", "upgrade"])[np.arange(n) % 3]
    np.random.RandomState(seed).shuffle(y)
    return y


def _dense(n: int = 40, d: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randn(n, d)


def _binary(n: int = 40, seed: int = 1) -> np.ndarray:
    y = np.arange(n) % 2
    np.random.RandomState(seed).shuffle(y)
    return y


def _target(X: np.ndarray, seed: int = 2) -> np.ndarray:
    rng = np.random.RandomState(seed)
    return X @ rng.randn(X.shape[1]) + 0.1 * rng.randn(X.shape[0]) + 3.0


def _mixed_columns() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
            ("num", StandardScaler(), ["age", "income"]),
        ]
    )


# ---------------------------------------------------------------------------


def _pipeline(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import KBinsDiscretizer, PolynomialFeatures, StandardScaler

    def mixed_classifier() -> tuple[Any, Any, Any]:
        # The required hard case: string categories and numbers by name, into a classifier.
        return cls([("prep", _mixed_columns()), ("clf", LogisticRegression())]), _frame(), _labels()

    def passthrough() -> tuple[Any, Any, Any]:
        steps = [
            ("scale", StandardScaler()),
            ("skip", "passthrough"),
            ("nothing", None),
            ("clf", LogisticRegression()),
        ]
        return cls(steps), _dense(), _binary()

    def regressor() -> tuple[Any, Any, Any]:
        X = _dense(d=3)
        steps = [
            ("poly", PolynomialFeatures(degree=2)),
            ("scale", StandardScaler()),
            ("reg", Ridge()),
        ]
        return cls(steps), X, _target(X)

    def transformer_only() -> tuple[Any, Any, Any]:
        return cls([("scale", StandardScaler()), ("poly", PolynomialFeatures())]), _dense(d=3), None

    def pandas_output() -> tuple[Any, Any, Any]:
        df = _frame()[["age", "income", "score"]]
        est = cls([("scale", StandardScaler()), ("reg", Ridge())]).set_output(transform="pandas")
        return est, df, df["score"].to_numpy() * 2.0

    def nested() -> tuple[Any, Any, Any]:
        union = FeatureUnion(
            [
                ("scale", StandardScaler()),
                ("bins", KBinsDiscretizer(n_bins=3, quantile_method="averaged_inverted_cdf")),
            ]
        )
        # the one-hot bins are sparse: the union stacks them sparse, so no centring after it
        inner = cls([("union", union), ("scale", StandardScaler(with_mean=False))])
        return cls([("features", inner), ("clf", LogisticRegression())]), _dense(), _binary()

    def final_passthrough() -> tuple[Any, Any, Any]:
        return cls([("scale", StandardScaler()), ("end", "passthrough")]), _dense(d=3), None

    return [
        _recipe("column-transformer-dataframe", mixed_classifier),
        _recipe("passthrough-and-none", passthrough),
        _recipe("regressor", regressor),
        _recipe("transformer-only", transformer_only),
        _recipe("final-passthrough", final_passthrough),
        _recipe("pandas-output", pandas_output),
        _recipe("nested-pipeline-union", nested),
    ]


def _feature_union(cls: type) -> list[Recipe]:
    from sklearn.preprocessing import KBinsDiscretizer, PolynomialFeatures, StandardScaler

    def bins() -> Any:
        return KBinsDiscretizer(n_bins=3, encode="ordinal", quantile_method="averaged_inverted_cdf")

    def dense() -> tuple[Any, Any, Any]:
        return cls([("scale", StandardScaler()), ("poly", PolynomialFeatures())]), _dense(d=3), None

    def weighted() -> tuple[Any, Any, Any]:
        est = cls(
            [("scale", StandardScaler()), ("bins", bins())],
            transformer_weights={"scale": 2.0, "bins": 0.5},
        )
        return est, _dense(d=3), None

    def passthrough_drop() -> tuple[Any, Any, Any]:
        est = cls([("scale", StandardScaler()), ("raw", "passthrough"), ("gone", "drop")])
        return est, _dense(d=3), None

    def sparse_input() -> tuple[Any, Any, Any]:
        import scipy.sparse as sp
        from sklearn.preprocessing import MaxAbsScaler

        X = sp.csr_matrix(_dense(d=4) * (np.abs(_dense(d=4)) > 0.6))
        return cls([("scale", MaxAbsScaler()), ("raw", "passthrough")], n_jobs=1), X, None

    return [
        _recipe("dense", dense),
        _recipe("transformer-weights", weighted),
        _recipe("passthrough-and-drop", passthrough_drop),
        _recipe("sparse", sparse_input),
    ]


def _column_transformer(cls: type) -> list[Recipe]:
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    def by_name() -> tuple[Any, Any, Any]:
        return _mixed_columns(), _frame(), None

    def remainder_passthrough() -> tuple[Any, Any, Any]:
        est = cls(
            [("cat", OneHotEncoder(), ["city"]), ("gone", "drop", ["plan"])],
            remainder="passthrough",
        )
        return est, _frame(), None

    def remainder_estimator() -> tuple[Any, Any, Any]:
        est = cls(
            [("cat", OneHotEncoder(), ["city", "plan"]), ("keep", "passthrough", ["age"])],
            remainder=MinMaxScaler(),
            verbose_feature_names_out=False,
        )
        return est, _frame(), None

    def pandas_output() -> tuple[Any, Any, Any]:
        # Selecting and reordering columns into a DataFrame. (With an estimator among the
        # transformers, set_output also configures the unfitted estimator in the params, which
        # the preprocessing schemas cannot hold yet: see test_composite_state.py.)
        est = cls(
            [("ids", "passthrough", ["city", "plan"]), ("gone", "drop", ["score"])],
            remainder="passthrough",
            verbose_feature_names_out="{feature_name}@{transformer_name}",
        ).set_output(transform="pandas")
        return est, _frame(), None

    def positions() -> tuple[Any, Any, Any]:
        # Integer lists, a slice, a boolean mask and a scalar column on a plain array.
        est = cls(
            [
                ("first", StandardScaler(), slice(0, 2)),
                ("mask", MinMaxScaler(), np.array([False, False, True, False, False, False])),
                ("ints", StandardScaler(), [3, 4]),
                ("gone", "drop", [5]),
            ],
            n_jobs=1,
        )
        return est, _dense(d=6), None

    def masks() -> tuple[Any, Any, Any]:
        # Only boolean masks: the remainder's columns become a list of Python bools.
        est = cls(
            [("a", StandardScaler(), [True, False, True, False])],
            remainder=MinMaxScaler(),
        )
        return est, _dense(d=4), None

    def sparse_output() -> tuple[Any, Any, Any]:
        est = cls(
            [("cat", OneHotEncoder(), ["city", "plan"]), ("num", StandardScaler(), ["age"])],
            sparse_threshold=0.9,
            transformer_weights={"cat": 2.0, "num": 0.5},
        )
        return est, _frame(), None

    def selectors() -> tuple[Any, Any, Any]:
        from sklearn.compose import make_column_selector

        est = cls(
            [
                ("num", StandardScaler(), make_column_selector(dtype_include=np.number)),
                ("txt", OneHotEncoder(), make_column_selector(pattern="^(city|pl)")),
                (
                    "rest",
                    "passthrough",
                    make_column_selector(dtype_include=[np.floating, "int64"], dtype_exclude=bool),
                ),
            ]
        )
        return est, _frame(), None

    return [
        _recipe("dataframe-names", by_name),
        _recipe("column-selectors", selectors),
        _recipe("remainder-passthrough", remainder_passthrough),
        _recipe("remainder-estimator", remainder_estimator),
        _recipe("pandas-output", pandas_output),
        _recipe("positions-slice-mask", positions),
        _recipe("boolean-masks", masks),
        _recipe("sparse-output-weights", sparse_output),
    ]


def _transformed_target(cls: type) -> list[Recipe]:
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.preprocessing import StandardScaler

    def transformer() -> tuple[Any, Any, Any]:
        X = _dense(d=3)
        return cls(regressor=Ridge(), transformer=StandardScaler()), X, _target(X)

    def functions() -> tuple[Any, Any, Any]:
        X = _dense(d=3)
        est = cls(regressor=Ridge(), func=np.log1p, inverse_func=np.expm1)
        return est, X, np.exp(_target(X) / 4)

    def multioutput() -> tuple[Any, Any, Any]:
        X = _dense(d=3)
        y = np.c_[_target(X), _target(X, seed=5)]
        return cls(regressor=LinearRegression(), transformer=StandardScaler()), X, y

    def default_regressor() -> tuple[Any, Any, Any]:
        df = _frame()[["age", "income", "score"]]
        return cls(check_inverse=False), df, df["income"].to_numpy() * 3.0 + 1.0

    return [
        _recipe("transformer", transformer),
        _recipe("log1p-expm1", functions),
        _recipe("multioutput", multioutput),
        _recipe("dataframe-default-regressor", default_regressor),
    ]


RECIPES["Pipeline"] = _pipeline
RECIPES["FeatureUnion"] = _feature_union
RECIPES["ColumnTransformer"] = _column_transformer
RECIPES["TransformedTargetRegressor"] = _transformed_target
