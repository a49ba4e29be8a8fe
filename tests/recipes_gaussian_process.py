"""Fit recipes of the gaussian_process family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is. Between them the recipes hold every kernel class
of sklearn.gaussian_process.kernels (CompoundKernel, which no fit stores, is covered in
tests/test_gaussian_process_state.py), composed by sums, products and exponentiation, with
anisotropic length scales, "fixed" and tuple bounds, and the fitted kernel_. Queries beyond
the automatic ones: predictive std and covariance, posterior samples, the log marginal
likelihood at the fitted and at given hyperparameters.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X30 = _X(30, 3)
_Y30 = _y_reg(_X30)


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    y: Any,
    extra: Callable[[Any], dict[str, Callable[[Any], Any]]] | None = None,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X, y)
        return Fitted(rid, est, X, y, extra=extra(X) if extra else {})

    return Recipe(rid, fit)


def _gpr_queries(Xq: Any) -> dict[str, Callable[[Any], Any]]:
    def lml_at_theta(est: Any) -> Any:
        return est.log_marginal_likelihood(est.kernel_.theta, eval_gradient=True)

    return {
        "predict(return_std=True)": lambda est: est.predict(copy.deepcopy(Xq), return_std=True),
        "predict(return_cov=True)": lambda est: est.predict(copy.deepcopy(Xq), return_cov=True),
        "sample_y(X, 3, random_state=0)": lambda est: est.sample_y(
            copy.deepcopy(Xq), 3, random_state=0
        ),
        "log_marginal_likelihood()": lambda est: est.log_marginal_likelihood(),
        "log_marginal_likelihood(theta)": lml_at_theta,
        "kernel_(X)": lambda est: est.kernel_(copy.deepcopy(Xq)),
        "kernel_.diag(X)": lambda est: est.kernel_.diag(copy.deepcopy(Xq)),
    }


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _gpr(cls: type) -> list[Recipe]:
    from sklearn.gaussian_process.kernels import (
        RBF,
        ConstantKernel,
        DotProduct,
        Exponentiation,
        ExpSineSquared,
        Matern,
        PairwiseKernel,
        RationalQuadratic,
        WhiteKernel,
    )

    yy = np.c_[_Y30, _y_reg(_X30, seed=7)]
    return [
        _recipe("rbf", lambda: cls(kernel=RBF(), random_state=0), _X30, _Y30, extra=_gpr_queries),
        _recipe(
            "anisotropic-sum-product",
            lambda: cls(
                kernel=ConstantKernel(2.0, (1e-3, 1e3)) * RBF([1.0, 1, 1]) + WhiteKernel(0.1),
                normalize_y=True,
                random_state=0,
            ),
            _X30,
            _Y30,
            extra=_gpr_queries,
        ),
        _recipe(
            "fixed-no-optimizer",
            lambda: cls(
                kernel=Matern(np.array([0.5, 1.0, 2.0]), "fixed", nu=2.5)
                + Matern(1.0, "fixed", nu=np.inf)
                + Matern(2.0, "fixed", nu=1.0) * ConstantKernel(0.5, "fixed"),
                optimizer=None,
                alpha=np.linspace(0.01, 0.1, 30),
                copy_X_train=False,
            ),
            _X30,
            _Y30,
            extra=_gpr_queries,
        ),
        _recipe(
            "multioutput-float32",
            lambda: cls(
                kernel=DotProduct(1.0)
                + ExpSineSquared(1.0, 3.0)
                + Exponentiation(RationalQuadratic(1.0, 0.5), 2.0)
                + WhiteKernel(),
                n_targets=2,
                alpha=0.1,
                normalize_y=True,
                random_state=1,
            ),
            _X30.astype(np.float32),
            yy.astype(np.float32),
            extra=_gpr_queries,
        ),
        _recipe(
            "dataframe-pairwise",
            lambda: cls(
                kernel=PairwiseKernel(
                    1.0, metric="polynomial", pairwise_kernels_kwargs={"degree": 2, "coef0": 1.0}
                )
                + PairwiseKernel(0.5, metric="laplacian")
                + WhiteKernel(),
                random_state=np.random.RandomState(0),
                n_restarts_optimizer=1,
            ),
            _dataframe(_X30),
            _Y30,
            extra=_gpr_queries,
        ),
    ]


def _gpc_queries(Xq: Any) -> dict[str, Callable[[Any], Any]]:
    def lml_at_theta(est: Any) -> Any:
        # With warm_start, finding the posterior mode stores it in f_cached: ask a copy, so
        # the model compared (and the one written) is the fitted one.
        return copy.deepcopy(est).log_marginal_likelihood(est.kernel_.theta)

    return {
        "log_marginal_likelihood()": lambda est: est.log_marginal_likelihood(),
        "log_marginal_likelihood(theta)": lml_at_theta,
        # One-vs-rest and one-vs-one models answer with a CompoundKernel of their estimators'.
        "kernel_(X)": lambda est: est.kernel_(copy.deepcopy(Xq)),
        "kernel_.diag(X)": lambda est: est.kernel_.diag(copy.deepcopy(Xq)),
    }


_LABELS = np.array(["ham", "spam", "eggs"])


def _gpc(cls: type) -> list[Recipe]:
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

    return [
        _recipe(
            "binary-rbf",
            lambda: cls(kernel=RBF(), random_state=0),
            _X30,
            _y_class(30, 2),
            extra=_gpc_queries,
        ),
        _recipe(
            "one-vs-rest-str-labels",
            lambda: cls(kernel=ConstantKernel() * RBF([1.0, 1.0, 1.0]), random_state=0),
            _X30,
            _LABELS[_y_class(30, 3)],
            extra=_gpc_queries,
        ),
        _recipe(
            "one-vs-one",
            lambda: cls(
                kernel=Matern(nu=0.5) + WhiteKernel(),
                multi_class="one_vs_one",
                random_state=np.random.RandomState(0),
            ),
            _X30,
            _y_class(30, 3),
            extra=_gpc_queries,
        ),
        _recipe(
            "binary-default-kernel-no-optimizer-dataframe",
            lambda: cls(optimizer=None, warm_start=True, max_iter_predict=20),
            _dataframe(_X30),
            _LABELS[_y_class(30, 2)],
            extra=_gpc_queries,
        ),
    ]


def _binary_gpc(cls: type) -> list[Recipe]:
    from sklearn.gaussian_process.kernels import RBF, DotProduct

    return [
        _recipe(
            "rbf",
            lambda: cls(kernel=RBF(), random_state=0),
            _X30,
            _y_class(30, 2),
            extra=_gpc_queries,
        ),
        _recipe(
            "dot-product-str-labels",
            lambda: cls(kernel=DotProduct() ** 2, random_state=0, n_restarts_optimizer=1),
            _X30,
            _LABELS[_y_class(30, 2)],
            extra=_gpc_queries,
        ),
    ]


RECIPES["GaussianProcessRegressor"] = _gpr
RECIPES["GaussianProcessClassifier"] = _gpc
RECIPES["_BinaryGaussianProcessClassifierLaplace"] = _binary_gpc
