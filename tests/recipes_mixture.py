"""Fit recipes of the mixture family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is. The covariance_type (full, tied, diag, spherical)
changes the rank of every covariance array, so each one has a recipe; the Bayesian mixture
also covers both weight_concentration_prior_type variants. Queries beyond the automatic ones:
score, bic and aic, and sample() on a deep copy (it draws from the model's random state).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

# Three separated blobs, so every component is used.
_CENTERS = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [0.0, 4.0, 4.0]])
_X60 = _X(60, 3) + _CENTERS[np.arange(60) % 3]


def _queries(X: Any, information_criteria: bool) -> dict[str, Callable[[Any], Any]]:
    out: dict[str, Callable[[Any], Any]] = {
        "score(X)": lambda est: est.score(copy.deepcopy(X)),
        "sample(5) on a deep copy": lambda est: copy.deepcopy(est).sample(5),
    }
    if information_criteria:
        out["bic(X)"] = lambda est: est.bic(copy.deepcopy(X))
        out["aic(X)"] = lambda est: est.aic(copy.deepcopy(X))
    return out


def _recipe(rid: str, make: Callable[[], Any], X: Any, information_criteria: bool) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X)
        return Fitted(rid, est, X, extra=_queries(X, information_criteria))

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _gaussian_mixture(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(n_components=3, random_state=0, **kw)

    return [
        _recipe("full", est(covariance_type="full"), _X60, True),
        _recipe("tied", est(covariance_type="tied", init_params="k-means++"), _X60, True),
        _recipe("diag-float32", est(covariance_type="diag"), _X60.astype(np.float32), True),
        _recipe(
            "spherical-random-state-object",
            lambda: cls(
                n_components=2,
                covariance_type="spherical",
                init_params="random_from_data",
                random_state=np.random.RandomState(3),
            ),
            _X60,
            True,
        ),
        _recipe("dataframe-warm-start", est(warm_start=True, max_iter=5), _dataframe(_X60), True),
    ]


def _bayesian_gaussian_mixture(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(n_components=4, random_state=0, max_iter=200, **kw)

    return [
        _recipe("full-dirichlet-process", est(covariance_type="full"), _X60, False),
        _recipe(
            "tied-dirichlet-distribution",
            est(covariance_type="tied", weight_concentration_prior_type="dirichlet_distribution"),
            _X60,
            False,
        ),
        _recipe(
            "diag-given-priors",
            est(
                covariance_type="diag",
                weight_concentration_prior=0.1,
                mean_precision_prior=0.5,
                mean_prior=[1.0, 2.0, 1.0],
                degrees_of_freedom_prior=4.0,
                covariance_prior=[1.0, 1.0, 2.0],
            ),
            _X60,
            False,
        ),
        _recipe(
            "spherical-float32",
            est(
                covariance_type="spherical",
                weight_concentration_prior_type="dirichlet_distribution",
            ),
            _X60.astype(np.float32),
            False,
        ),
    ]


RECIPES["GaussianMixture"] = _gaussian_mixture
RECIPES["BayesianGaussianMixture"] = _bayesian_gaussian_mixture
