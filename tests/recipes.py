"""Fit recipes: real fitted instances of every supported class, and the inputs to query them with.

A recipe is a named way of fitting one class (dense, sparse, float32, string labels, a
DataFrame, pandas output, a class_weight dict, multi-output, ...). Recipes are chosen from
what each estimator accepts; a recipe an estimator cannot take (e.g. sparse input for a
class that refuses it) is left out by a probe fit, never silently skipped at test time.

Used by the round-trip tests and by tools/draft_schema.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, clone, is_classifier, is_regressor

INFERENCE_METHODS = (
    "predict",
    "apply",
    "decision_path",
    "kneighbors",
    "kneighbors_graph",
    "radius_neighbors",
    "radius_neighbors_graph",
    "staged_predict",
    "staged_predict_proba",
    "staged_decision_function",
    "predict_proba",
    "predict_log_proba",
    "predict_joint_log_proba",
    "decision_function",
    "score_samples",
    "transform",
    "inverse_transform",
    "get_feature_names_out",
    "score",
)


@dataclass
class Fitted:
    recipe: str
    estimator: Any
    X: Any  # query input for predict/transform-like methods
    y: Any = None  # targets, for score
    is_label_transformer: bool = False
    # Further named queries beyond INFERENCE_METHODS (e.g. "predict(return_std=True)",
    # "mahalanobis"): each is called on the estimator and compared bit for bit. A query that
    # consumes randomness must work on a deep copy, so the original is not advanced.
    extra: dict[str, Callable[[Any], Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    id: str
    fit: Callable[[], Fitted]
    tags: tuple[str, ...] = field(default=())


def _rng(seed: int = 0) -> np.random.RandomState:
    return np.random.RandomState(seed)


def _X(n: int = 60, d: int = 5, seed: int = 0, positive: bool = False) -> np.ndarray:
    X = _rng(seed).rand(n, d) if positive else _rng(seed).randn(n, d)
    return X


def _y_class(n: int, k: int, seed: int = 1) -> np.ndarray:
    y = np.arange(n) % k
    _rng(seed).shuffle(y)
    return y


def _y_reg(X: np.ndarray, seed: int = 2) -> np.ndarray:
    w = _rng(seed).randn(X.shape[1])
    return X @ w + 0.1 * _rng(seed + 1).randn(X.shape[0]) + 3.0


def _quiet_fit(est: Any, *args: Any) -> Any:
    return _quiet(est.fit, *args)


# ---------------------------------------------------------------------------
# Per-class base estimators: parameters that make a class fit on small data.


def base_estimator(cls: type) -> Any:
    name = cls.__name__
    from sklearn.linear_model import LinearRegression

    special: dict[str, Callable[[], Any]] = {
        "GaussianRandomProjection": lambda: cls(n_components=3, random_state=0),
        "SparseRandomProjection": lambda: cls(n_components=3, random_state=0),
        "RANSACRegressor": lambda: cls(estimator=LinearRegression(), random_state=0),
        "QuantileTransformer": lambda: cls(n_quantiles=20),
        "FunctionTransformer": lambda: cls(func=np.log1p, inverse_func=np.expm1),
        "TheilSenRegressor": lambda: cls(random_state=0, max_subpopulation=200),
        "SGDClassifier": lambda: cls(random_state=0, max_iter=50, tol=None),
        "SGDRegressor": lambda: cls(random_state=0, max_iter=50, tol=None),
        "SGDOneClassSVM": lambda: cls(random_state=0, max_iter=50, tol=None),
        "Perceptron": lambda: cls(random_state=0, max_iter=50, tol=None),
        "PassiveAggressiveClassifier": lambda: cls(random_state=0, max_iter=50, tol=None),
        "PassiveAggressiveRegressor": lambda: cls(random_state=0, max_iter=50, tol=None),
        "KBinsDiscretizer": lambda: cls(n_bins=3, quantile_method="averaged_inverted_cdf"),
        "SplineTransformer": lambda: cls(n_knots=4),
        "QuantileRegressor": lambda: cls(alpha=0.01),
        "LogisticRegressionCV": lambda: cls(Cs=3, cv=3, max_iter=200),
        "RidgeClassifierCV": lambda: cls(alphas=(0.1, 1.0, 10.0)),
        "ElasticNetCV": lambda: cls(cv=3, n_alphas=5) if _has_param(cls, "n_alphas") else cls(cv=3),
        "LassoCV": lambda: cls(cv=3),
        "MultiTaskElasticNetCV": lambda: cls(cv=3),
        "MultiTaskLassoCV": lambda: cls(cv=3),
        "LarsCV": lambda: cls(cv=3),
        "LassoLarsCV": lambda: cls(cv=3),
        "OrthogonalMatchingPursuitCV": lambda: cls(cv=3),
        "TargetEncoder": lambda: cls(random_state=0, cv=3),
        "MLPClassifier": lambda: cls(random_state=0, max_iter=50),
    }
    if name in special:
        return special[name]()
    params = cls().get_params()
    kwargs = {}
    if "random_state" in params:
        kwargs["random_state"] = 0
    return cls(**kwargs)


def _has_param(cls: type, name: str) -> bool:
    return name in cls().get_params()


# ---------------------------------------------------------------------------
# Recipe families


def _classifier_recipes(cls: type) -> list[Recipe]:
    def make(
        rid: str, X: Any, y: Any, est_fn: Callable[[], Any] | None = None, Xq: Any = None
    ) -> Recipe:
        def fit() -> Fitted:
            est = est_fn() if est_fn else base_estimator(cls)
            _quiet_fit(est, X, y)
            return Fitted(rid, est, X if Xq is None else Xq, y)

        return Recipe(rid, fit)

    positive = cls.__name__ in ("MultinomialNB", "ComplementNB", "CategoricalNB", "BernoulliNB")
    X = _X(60, 5, positive=positive)
    if cls.__name__ == "CategoricalNB":
        X = _rng(3).randint(0, 4, size=(60, 5))
    y3 = _y_class(60, 3)
    out = [
        make("int-labels", X, y3),
        make("binary", X[:50], _y_class(50, 2)),
        make("str-labels", X, np.array(["ham", "spam", "eggs", "bacon"])[_y_class(60, 4)]),
        make("float32", X.astype(np.float32), y3),
    ]
    out += label_dtype_recipes(make, X)
    if _has_param(cls, "class_weight"):
        out.append(
            make(
                "class-weight-dict",
                X,
                y3,
                lambda: base_estimator(cls).set_params(class_weight={0: 2.0, 1: 1.0, 2: 0.5}),
            )
        )
    out.append(make("sparse", sp.csr_matrix(X * (np.abs(X) > 0.5)), y3))
    out.append(make("multioutput", X, np.c_[y3, _y_class(60, 2, seed=5)]))
    out.append(_dataframe_recipe(cls, X, y3))
    out += [make(rid, X, y3, est_fn) for rid, est_fn in _iterative_solver_recipes(cls)]
    return out


def _iterative_solver_recipes(cls: type) -> list[tuple[str, Callable[[], Any]]]:
    """Ridge's iterative solvers keep their iteration counts (an int32 array per target)."""
    if cls.__name__ not in ("Ridge", "RidgeClassifier"):
        return []
    return [
        (f"solver-{solver}", lambda solver=solver: cls(solver=solver, random_state=0))
        for solver in ("lsqr", "sag", "saga")
    ]


# every integer width but int64 (the usual labels, in every classifier's own recipes)
_LABEL_DTYPES = (
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "uint64",
    "float64",
    "float32",
)
# A classifier that takes only some kinds of labels (e.g. binary ones) leaves the others out.
_LABEL_DTYPE_IDS = ("bool-labels", *(f"{d}-labels" for d in _LABEL_DTYPES), "object-labels")


def label_dtype_recipes(make: Callable[[str, Any, Any], Recipe], X: Any) -> list[Recipe]:
    """A classifier fitted on labels of each dtype scikit-learn keeps in ``classes_``."""
    y3 = _y_class(len(X), 3)
    return [
        make("bool-labels", X, _y_class(len(X), 2).astype(bool)),
        *(make(f"{dtype}-labels", X, y3.astype(dtype)) for dtype in _LABEL_DTYPES),
        make("object-labels", X, np.array(["ham", "spam", "eggs"], dtype=object)[y3]),
    ]


def _regressor_recipes(cls: type) -> list[Recipe]:
    def make(rid: str, X: Any, y: Any, est_fn: Callable[[], Any] | None = None) -> Recipe:
        def fit() -> Fitted:
            est = est_fn() if est_fn else base_estimator(cls)
            _quiet_fit(est, X, y)
            return Fitted(rid, est, X, y)

        return Recipe(rid, fit)

    X = _X(60, 5)
    y = _y_reg(X)
    if cls.__name__ in ("PoissonRegressor", "GammaRegressor", "TweedieRegressor"):
        y = np.exp(y / 4)
    if cls.__name__ == "IsotonicRegression":
        x1 = X[:, 0]
        return [
            make("dense-1d", x1, y),
            make("float32", x1.astype(np.float32), y.astype(np.float32)),
            make("decreasing", x1, -y, lambda: cls(increasing=False, out_of_bounds="clip")),
        ]
    yy = np.c_[y, _y_reg(X, seed=7)]
    if cls.__name__.startswith("MultiTask"):
        return [make("multioutput", X, yy), make("float32", X.astype(np.float32), yy)]
    out = [
        make("dense", X, y),
        make("float32", X.astype(np.float32), y),
        make("sparse", sp.csr_matrix(X * (np.abs(X) > 0.5)), y),
        make("multioutput", X, yy),
    ]
    out.append(_dataframe_recipe(cls, X, y))
    out += [make(rid, X, y, est_fn) for rid, est_fn in _iterative_solver_recipes(cls)]
    return out


def _dataframe_recipe(cls: type, X: np.ndarray, y: Any) -> Recipe:
    def fit() -> Fitted:
        import pandas as pd

        df = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
        est = base_estimator(cls)
        _quiet_fit(est, df, y)
        return Fitted("dataframe", est, df, y)

    return Recipe("dataframe", fit)


def _transformer_recipes(cls: type) -> list[Recipe]:
    name = cls.__name__

    def make(
        rid: str, X: Any, est_fn: Callable[[], Any] | None = None, y: Any = None, Xq: Any = None
    ) -> Recipe:
        def fit() -> Fitted:
            est = est_fn() if est_fn else base_estimator(cls)
            if y is None:
                _quiet_fit(est, X)
            else:
                _quiet_fit(est, X, y)
            return Fitted(rid, est, X if Xq is None else Xq, y)

        return Recipe(rid, fit)

    if name in ("LabelEncoder", "LabelBinarizer"):

        def label(rid: str, y: Any, est_fn: Callable[[], Any] | None = None) -> Recipe:
            def fit() -> Fitted:
                est = est_fn() if est_fn else cls()
                est.fit(y)
                return Fitted(rid, est, y, is_label_transformer=True)

            return Recipe(rid, fit)

        out = [
            label("int-labels", _y_class(30, 3)),
            label("str-labels", np.array(["b", "a", "c"])[_y_class(30, 3)]),
            label("binary", _y_class(30, 2)),
        ]
        if name == "LabelBinarizer":
            out.append(label("sparse-output", _y_class(30, 4), lambda: cls(sparse_output=True)))
            out.append(
                label(
                    "multilabel",
                    np.eye(4, dtype=int)[_y_class(30, 4)]
                    | np.eye(4, dtype=int)[_y_class(30, 4, seed=9)],
                )
            )
        return out
    if name == "MultiLabelBinarizer":

        def mlb(rid: str, y: Any, est_fn: Callable[[], Any] | None = None) -> Recipe:
            def fit() -> Fitted:
                est = est_fn() if est_fn else cls()
                est.fit(y)
                return Fitted(rid, est, y, is_label_transformer=True)

            return Recipe(rid, fit)

        return [
            mlb("int-labels", [[1, 2], [3], [2, 3, 4], []]),
            mlb("str-labels", [["sci-fi", "drama"], ["comedy"], []]),
            mlb("sparse-output", [[1, 2], [3]], lambda: cls(sparse_output=True)),
            mlb("given-classes", [[1, 2], [3]], lambda: cls(classes=[3, 2, 1])),
        ]
    if name == "KernelCenterer":
        from sklearn.metrics.pairwise import rbf_kernel

        K = rbf_kernel(_X(20, 4))
        return [make("rbf-kernel", K), make("float32", K.astype(np.float32))]
    if name in ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder"):
        return _categorical_recipes(cls, make)
    X = _X(60, 5, positive=name in ("FunctionTransformer",))
    out = [make("dense", X), make("float32", X.astype(np.float32))]
    yr = _y_reg(X)
    if name == "PowerTransformer":
        out.append(make("box-cox", _X(60, 5, positive=True) + 0.1, lambda: cls(method="box-cox")))
    if name == "KBinsDiscretizer":
        out.append(
            make("ordinal-uniform", X, lambda: cls(n_bins=4, encode="ordinal", strategy="uniform"))
        )
        out.append(
            make("kmeans", X, lambda: cls(n_bins=3, encode="onehot-dense", strategy="kmeans"))
        )
    if name == "SplineTransformer":
        out.append(make("periodic", X, lambda: cls(n_knots=5, extrapolation="periodic")))
        out.append(make("sparse-output", X, lambda: cls(n_knots=4, sparse_output=True)))
    if name == "PolynomialFeatures":
        out.append(make("interaction-only", X, lambda: cls(degree=3, interaction_only=True)))
    if name == "FunctionTransformer":
        out.append(make("identity", X, lambda: cls()))
        out.append(
            make(
                "validate",
                X,
                lambda: cls(
                    func=np.sqrt, inverse_func=np.square, validate=True, check_inverse=False
                ),
            )
        )
    if (
        name == "Binarizer"
        or name == "Normalizer"
        or name == "MaxAbsScaler"
        or name == "StandardScaler"
    ):
        out.append(
            make(
                "sparse",
                sp.csr_matrix(X * (np.abs(X) > 0.5)),
                (lambda: cls(with_mean=False)) if name == "StandardScaler" else None,
            )
        )
    if name in ("GaussianRandomProjection", "SparseRandomProjection"):
        out.append(make("sparse", sp.csr_matrix(X * (np.abs(X) > 0.5))))
        out.append(
            make(
                "eps-auto",
                _X(100, 200, seed=4),
                lambda: cls(eps=0.9, random_state=0),
                Xq=_X(5, 200, seed=5),
            )
        )
        if name == "SparseRandomProjection":
            out.append(
                make(
                    "dense-output",
                    X,
                    lambda: cls(n_components=3, dense_output=True, random_state=0),
                )
            )
    if name == "QuantileTransformer":
        out.append(make("normal", X, lambda: cls(n_quantiles=15, output_distribution="normal")))
        out.append(
            make(
                "sparse", sp.csc_matrix(np.abs(X) * (np.abs(X) > 0.5)), lambda: cls(n_quantiles=15)
            )
        )
    if name == "MaxAbsScaler" or name == "RobustScaler":
        out.append(make("with-nan", np.where(np.abs(X) > 1.5, np.nan, X)))
    if name == "StandardScaler":
        out.append(make("with-nan", np.where(np.abs(X) > 1.5, np.nan, X)))
    if name == "MinMaxScaler":
        out.append(make("clip-range", X, lambda: cls(feature_range=(-1.0, 2.0), clip=True)))
    out.append(_transformer_dataframe_recipe(cls, X, yr))
    out.append(_pandas_output_recipe(cls, X))
    return out


def _categorical_recipes(cls: type, make: Callable[..., Recipe]) -> list[Recipe]:
    name = cls.__name__
    rng = _rng(11)
    Xs = np.array(
        [["red", "S"], ["green", "M"], ["blue", "L"], ["green", "S"], ["red", "XL"], ["blue", "M"]]
        * 10,
        dtype=object,
    )
    Xs[rng.rand(60) < 0.1, 0] = None
    Xi = rng.randint(0, 5, size=(60, 3))
    Xn = Xi.astype(float)
    Xn[rng.rand(60) < 0.1, 1] = np.nan
    y = _y_reg(Xi.astype(float))
    if name == "TargetEncoder":
        yc = np.array(["x", "y", "z"])[_y_class(60, 3)]
        return [
            make("continuous", Xi, y=y),
            make("str-categories", Xs, y=y),
            make("binary-target", Xi, y=_y_class(60, 2)),
            make("multiclass-target", Xn, y=yc),
            _transformer_dataframe_recipe(cls, Xi, y),
        ]
    out = [
        make("int-categories", Xi),
        make(
            "str-categories-with-none",
            Xs,
            lambda: cls(handle_unknown="ignore") if name == "OneHotEncoder" else cls(),
        ),
        make("float-with-nan", Xn),
    ]
    if name == "OneHotEncoder":
        out.append(make("drop-first-sparse", Xi, lambda: cls(drop="first")))
        out.append(
            make(
                "infrequent",
                Xi,
                lambda: cls(
                    min_frequency=10, handle_unknown="infrequent_if_exist", sparse_output=False
                ),
            )
        )
        out.append(
            make(
                "given-categories",
                Xi[:, :1],
                lambda: cls(categories=[[0, 1, 2, 3, 4, 5]], dtype=np.float32),
            )
        )
    else:
        out.append(
            make(
                "unknown-value",
                Xi,
                lambda: cls(handle_unknown="use_encoded_value", unknown_value=-1),
            )
        )
        out.append(make("infrequent", Xi, lambda: cls(max_categories=3)))
    out.append(_transformer_dataframe_recipe(cls, Xi, None))
    out.append(_pandas_output_recipe(cls, Xi))
    return out


def _transformer_dataframe_recipe(cls: type, X: np.ndarray, y: Any) -> Recipe:
    def fit() -> Fitted:
        import pandas as pd

        df = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
        est = base_estimator(cls)
        _quiet_fit(est, df, y)
        return Fitted("dataframe", est, df, y)

    return Recipe("dataframe", fit)


def _pandas_output_recipe(cls: type, X: np.ndarray) -> Recipe:
    def fit() -> Fitted:
        import pandas as pd

        df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
        est = base_estimator(cls).set_output(transform="pandas")
        _quiet_fit(est, df)
        return Fitted("pandas-output", est, df)

    return Recipe("pandas-output", fit)


def _outlier_recipes(cls: type) -> list[Recipe]:
    X = _X(60, 5)

    def make(rid: str, X: Any) -> Recipe:
        def fit() -> Fitted:
            est = base_estimator(cls)
            _quiet_fit(est, X)
            return Fitted(rid, est, X)

        return Recipe(rid, fit)

    return [
        make("dense", X),
        make("float32", X.astype(np.float32)),
        make("sparse", sp.csr_matrix(X)),
    ]


def _family_tables() -> list[dict[str, Callable[[type], list[Recipe]]]]:
    """Every tests/recipes_<family>.py module's RECIPES table, in file-name order."""
    import importlib
    from pathlib import Path

    here = Path(__file__).parent
    return [importlib.import_module(p.stem).RECIPES for p in sorted(here.glob("recipes_*.py"))]


def _family_recipes(name: str) -> Callable[[type], list[Recipe]] | None:
    for table in _family_tables():
        if name in table:
            return table[name]
    return None


def recipes_for(cls: type) -> list[Recipe]:
    """Every recipe the class can be fitted with (probe-fitted, so each one is known to fit)."""
    return _probed(_candidates(cls))


def first_recipe(cls: type) -> Recipe:
    """``recipes_for(cls)[0]``, probing candidates only until one fits (for tests needing one)."""
    candidates = _candidates(cls)
    for i in range(len(candidates)):
        probed = _probed(candidates[i : i + 1])
        if probed:
            return probed[0]
    raise ValueError(f"no recipe fits {cls.__name__}")


def _candidates(cls: type) -> list[Recipe]:
    recipes = _own_candidates(cls)
    own = {r.id for r in recipes}
    inputs = _input_dtype_recipes(recipes[0])
    # a class with a DataFrame recipe of its own needs no second one
    inputs = [r for r in inputs if r.id != "dataframe-X" or "dataframe" not in own]
    return [*recipes, *inputs, _partial_fit_recipe(recipes[0])]


def _own_candidates(cls: type) -> list[Recipe]:
    name = cls.__name__
    family = _family_recipes(name)
    if family is not None:
        # Families fit their own data; the label dtypes are the same for every classifier.
        recipes = family(cls)
        if issubclass(cls, ClassifierMixin):
            recipes += _family_label_recipes(recipes[0])
        return recipes
    est = base_estimator(cls)
    if name == "SGDOneClassSVM":
        return _outlier_recipes(cls)
    if name == "IsotonicRegression":
        return _regressor_recipes(cls)
    if is_classifier(est):
        return _classifier_recipes(cls)
    if is_regressor(est):
        return _regressor_recipes(cls)
    return _transformer_recipes(cls)


# Integer features (pixel values, counts), features with missing values, a DataFrame (its
# column names become feature_names_in_), and float32 or integer regression targets:
# estimators that keep their training data keep its dtype. An estimator whose first recipe
# has no dense float features (or no float targets), or that refuses missing values, leaves
# them out.
_INPUT_DTYPES = (
    *(("X", kind) for kind in ("uint8", "int16", "uint16", "uint32", "int64", "uint64")),
    *(("X", kind) for kind in ("nan", "dataframe")),
    *(("y", dtype) for dtype in ("float32", "int64")),
)
_INPUT_DTYPE_IDS = tuple(f"{dtype}-{part}" for part, dtype in _INPUT_DTYPES)


def _input_dtype_recipes(template: Recipe) -> list[Recipe]:
    def make(part: str, dtype: str) -> Recipe:
        def fit() -> Fitted:
            first = template.fit()
            X, y = first.X, first.y
            if isinstance(X, np.ndarray) and y is not None and len(y) != len(X):
                # the recipe queries other rows than it fitted: features for its targets
                X = _X(len(y), X.shape[1]) if X.ndim == 2 else X
            data = X if part == "X" else y
            if not (isinstance(data, np.ndarray) and data.dtype.kind == "f"):
                raise ValueError(f"the first recipe has no dense float {part}")
            if part == "X" and data.ndim == 2 and dtype == "nan":
                X = np.where(_rng(4).rand(*X.shape) < 0.1, np.nan, X)
            elif part == "X" and data.ndim == 2 and dtype == "dataframe":
                import pandas as pd

                X = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
            elif part == "X" and data.ndim == 2:
                X = np.round(np.abs(X) * 20).astype(dtype)
            elif part == "y":
                y = (np.round(y * 10) if dtype == "int64" else y).astype(dtype)
            else:
                raise ValueError("the first recipe's features are not a matrix")
            est = clone(first.estimator)
            _quiet_fit(est, X) if y is None else _quiet_fit(est, X, y)
            return Fitted(f"{dtype}-{part}", est, X, y)

        return Recipe(f"{dtype}-{part}", fit)

    return [make(part, dtype) for part, dtype in _INPUT_DTYPES]


def _partial_fit_recipe(template: Recipe) -> Recipe:
    """The first recipe's data in three partial_fit calls (a model that only partial_fit has
    seen lacks what fit alone sets, e.g. n_iter_)."""

    def fit() -> Fitted:
        first = template.fit()
        est = clone(first.estimator)
        if not hasattr(est, "partial_fit"):
            raise ValueError("no partial_fit")
        X, y = first.X, first.y
        third = X.shape[0] // 3 if hasattr(X, "shape") else len(X) // 3
        for k in range(3):
            rows = slice(k * third, (k + 1) * third)
            if y is None:
                _quiet(est.partial_fit, X[rows])
            elif is_classifier(est):
                _quiet(est.partial_fit, X[rows], y[rows], classes=np.unique(y))
            else:
                _quiet(est.partial_fit, X[rows], y[rows])
        return Fitted("partial-fit", est, X, y)

    return Recipe("partial-fit", fit)


def _quiet(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return method(*args, **kwargs)


def _family_label_recipes(template: Recipe) -> list[Recipe]:
    """The label dtypes, fitted with the settings of the family's first recipe."""

    def make(rid: str, X: Any, y: Any) -> Recipe:
        def fit() -> Fitted:
            first = template.fit()
            est = clone(first.estimator)
            # multi-output classifiers (a chain, one classifier per output) take columns
            labels = y if np.ndim(first.y) == 1 else np.stack([y, y[::-1]], axis=1)
            _quiet_fit(est, X, labels)
            return Fitted(rid, est, X, labels)

        return Recipe(rid, fit)

    return label_dtype_recipes(make, _X(60, 5))


_SKIPPABLE = (*_LABEL_DTYPE_IDS, *_INPUT_DTYPE_IDS, "partial-fit")


def _probed(candidates: list[Recipe]) -> list[Recipe]:
    """Fit each recipe once; a generic recipe the class refuses (e.g. sparse input) is left out.

    The probe's fitted instance is handed to the first caller of ``fit`` (the test), so each
    recipe is fitted once per run; later calls fit afresh.
    """
    out = []
    for r in candidates:
        try:
            fitted = r.fit()
        except (ValueError, TypeError, NotImplementedError, OverflowError):
            if r.id in ("sparse", "multioutput", "float32", "binary", *_SKIPPABLE):
                continue
            raise
        out.append(Recipe(r.id, _first_then_fresh(fitted, r.fit), r.tags))
    return out


def _first_then_fresh(first: Fitted, fit: Callable[[], Fitted]) -> Callable[[], Fitted]:
    kept = [first]

    def fit_recipe() -> Fitted:
        return kept.pop() if kept else fit()

    fit_recipe.__qualname__ = fit.__qualname__
    return fit_recipe


def unfitted(cls: type) -> Any:
    return clone(base_estimator(cls))
