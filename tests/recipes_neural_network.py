"""Fit recipes of the neural_network family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Networks are tiny (a few hidden units, a handful of epochs) so the suite stays fast; each
solver leaves different state behind (adam/sgd keep an optimizer, lbfgs keeps packing
offsets, early stopping keeps validation scores and makes ``coefs_`` the best weights), so
each gets a recipe. The first recipe of each class is an incremental one:
tests/test_continuation.py continues it with ``partial_fit``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _y_class, _y_reg
from sklearn.exceptions import ConvergenceWarning

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

N, D = 40, 4


def _fit(est: Any, X: Any, y: Any = None, partial: dict | None = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if partial is None:
            est.fit(X) if y is None else est.fit(X, y)
        elif y is None:
            est.partial_fit(X)  # BernoulliRBM.partial_fit returns None, not self
        else:
            est.partial_fit(X, y, **partial)
    return est


def _frame(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    y: Any = None,
    partial: dict | None = None,
) -> Recipe:
    def fit() -> Fitted:
        return Fitted(rid, _fit(make(), X, y, partial), X, y)

    return Recipe(rid, fit)


def _mlp_classifier(cls: type) -> list[Recipe]:
    X = _X(N, D)
    y3 = _y_class(N, 3)
    y2 = _y_class(N, 2)

    def mlp(**kw: Any) -> Callable[[], Any]:
        kw = {"hidden_layer_sizes": (5,), "max_iter": 8, "random_state": 0, **kw}
        return lambda: cls(**kw)

    multilabel = np.c_[y2, _y_class(N, 2, seed=5), (X[:, 0] > 0).astype(int)]
    return [
        _recipe("adam-multiclass", mlp(), X, y3),
        _recipe("adam-partial-fit", mlp(), X, y3, partial={"classes": np.arange(3)}),
        _recipe(
            "sgd-momentum-adaptive",
            mlp(solver="sgd", nesterovs_momentum=False, learning_rate="adaptive"),
            X,
            y3,
        ),
        _recipe(
            "sgd-nesterov-invscaling",
            mlp(solver="sgd", learning_rate="invscaling", hidden_layer_sizes=(4, 3)),
            X,
            y3,
        ),
        _recipe("lbfgs-two-layers", mlp(solver="lbfgs", hidden_layer_sizes=(4, 3)), X, y3),
        _recipe("binary", mlp(activation="tanh"), X, y2),
        _recipe("str-labels", mlp(), X, np.array(["ham", "spam", "eggs", "bacon"])[_y_class(N, 4)]),
        _recipe("multilabel", mlp(activation="logistic"), X, multilabel),
        _recipe("early-stopping", mlp(early_stopping=True, validation_fraction=0.25), X, y3),
        _recipe("float32", mlp(batch_size=16), X.astype(np.float32), y3),
        _recipe("dataframe", mlp(), _frame(X), y3),
    ]


def _mlp_regressor(cls: type) -> list[Recipe]:
    X = _X(N, D)
    y = _y_reg(X)
    yy = np.c_[y, _y_reg(X, seed=7)]

    def mlp(**kw: Any) -> Callable[[], Any]:
        kw = {"hidden_layer_sizes": (5,), "max_iter": 8, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        _recipe("adam", mlp(), X, y),
        _recipe("adam-partial-fit", mlp(), X, y, partial={}),
        _recipe("multioutput", mlp(hidden_layer_sizes=(4, 3)), X, yy),
        *(
            _recipe(f"activation-{a}", mlp(activation=a), X, y)
            for a in ("relu", "tanh", "logistic", "identity")
        ),
        _recipe(
            "sgd-momentum",
            mlp(solver="sgd", nesterovs_momentum=False, learning_rate_init=0.01),
            X,
            y,
        ),
        _recipe(
            "sgd-nesterov-invscaling",
            mlp(solver="sgd", learning_rate="invscaling", learning_rate_init=0.01),
            X,
            y,
        ),
        _recipe("lbfgs", mlp(solver="lbfgs"), X, yy),
        _recipe("early-stopping", mlp(early_stopping=True, validation_fraction=0.25), X, y),
        _recipe("poisson-loss", mlp(loss="poisson"), X, np.exp(y / 4)),
        _recipe("float32", mlp(batch_size=16), X.astype(np.float32), y.astype(np.float32)),
        _recipe("dataframe", mlp(), _frame(X), y),
    ]


def _bernoulli_rbm(cls: type) -> list[Recipe]:
    X = _X(N, D, positive=True)
    binary = (X > 0.5).astype(np.float64)

    def rbm(**kw: Any) -> Callable[[], Any]:
        kw = {"n_components": 3, "n_iter": 3, "batch_size": 8, "random_state": 0, **kw}
        return lambda: cls(**kw)

    return [
        # partial_fit leaves random_state_ behind: continuing must draw the same numbers
        _recipe("partial-fit", rbm(), X, partial={}),
        _recipe("dense", rbm(), X),
        _recipe("binary-input", rbm(learning_rate=0.05), binary),
        _recipe("float32", rbm(), X.astype(np.float32)),
        _recipe("sparse", rbm(), sp.csr_matrix(binary)),
        _recipe("dataframe", rbm(), _frame(X)),
    ]


RECIPES["MLPClassifier"] = _mlp_classifier
RECIPES["MLPRegressor"] = _mlp_regressor
RECIPES["BernoulliRBM"] = _bernoulli_rbm
