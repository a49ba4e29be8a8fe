"""Fit recipes of the sklearn.covariance family: class name → function returning its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Every estimator here keeps a location and a covariance, and a precision unless
store_precision=False (then precision_ is None and get_precision() inverts the covariance
itself). Users query a fitted estimator mostly through methods outside INFERENCE_METHODS
(mahalanobis, error_norm, get_precision, score), so every recipe names them as extra queries.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 5)
_XQ = _X(12, 5, seed=3)
# A fixed comparison matrix for error_norm: symmetric, not the fitted one.
_OTHER = np.eye(5) + 0.1 * np.ones((5, 5))


def _queries(
    Xq: Any, robust: bool = False, scored: bool = False
) -> dict[str, Callable[[Any], Any]]:
    out: dict[str, Callable[[Any], Any]] = {
        "mahalanobis": lambda est: est.mahalanobis(Xq),
        "get_precision": lambda est: est.get_precision(),
        "error_norm": lambda est: est.error_norm(_OTHER),
        "error_norm(spectral, unscaled, not squared)": lambda est: est.error_norm(
            _OTHER, norm="spectral", scaling=False, squared=False
        ),
    }
    if not scored:
        # the log-likelihood of Xq (EllipticEnvelope's score is an accuracy, compared with y)
        out["score(X)"] = lambda est: est.score(Xq)
    if robust:
        # Both re-estimate from the fit data and update the estimator: run on copies.
        fit_X = _X60
        out["correct_covariance"] = lambda est: copy.deepcopy(est).correct_covariance(fit_X)
        out["reweight_covariance"] = lambda est: copy.deepcopy(est).reweight_covariance(fit_X)
    return out


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any = _X60,
    Xq: Any = _XQ,
    robust: bool = False,
    y: Any = None,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X)
        return Fitted(rid, est, Xq, y, extra=_queries(Xq, robust, scored=y is not None))

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _empirical(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", cls),
        _recipe("assume-centered", lambda: cls(assume_centered=True)),
        _recipe("no-precision", lambda: cls(store_precision=False)),
        _recipe("float32", cls, X=_X60.astype(np.float32), Xq=_XQ.astype(np.float32)),
        _recipe("dataframe", cls, X=_dataframe(_X60), Xq=_dataframe(_XQ)),
    ]


def _shrunk(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", cls),
        _recipe("shrinkage-centered", lambda: cls(shrinkage=0.5, assume_centered=True)),
        _recipe("no-precision", lambda: cls(store_precision=False)),
        _recipe("float32", cls, X=_X60.astype(np.float32), Xq=_XQ.astype(np.float32)),
    ]


def _ledoit_wolf(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", cls),
        _recipe("small-blocks-centered", lambda: cls(block_size=2, assume_centered=True)),
        _recipe("no-precision", lambda: cls(store_precision=False)),
        _recipe("float32", cls, X=_X60.astype(np.float32), Xq=_XQ.astype(np.float32)),
    ]


def _oas(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", cls),
        _recipe("assume-centered", lambda: cls(assume_centered=True)),
        _recipe("no-precision", lambda: cls(store_precision=False)),
        _recipe("float32", cls, X=_X60.astype(np.float32), Xq=_XQ.astype(np.float32)),
    ]


def _min_cov_det(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", lambda: cls(random_state=0), robust=True),
        _recipe(
            "support-fraction",
            lambda: cls(support_fraction=0.8, random_state=1),
            robust=True,
        ),
        _recipe(
            "random-state-instance",
            lambda: cls(random_state=np.random.RandomState(5)),
        ),
        _recipe(
            "centered-no-precision",
            lambda: cls(assume_centered=True, store_precision=False, random_state=0),
            robust=True,
        ),
        _recipe(
            "float32",
            lambda: cls(random_state=0),
            X=_X60.astype(np.float32),
            Xq=_XQ.astype(np.float32),
        ),
    ]


def _elliptic_envelope(cls: type) -> list[Recipe]:
    # score(X, y) is the accuracy of predict against y.
    y = np.where(np.arange(12) % 4 == 0, -1, 1)
    return [
        _recipe("dense", lambda: cls(random_state=0), robust=True, y=y),
        _recipe(
            "contamination-support",
            lambda: cls(contamination=0.2, support_fraction=0.9, random_state=0),
            robust=True,
            y=y,
        ),
        _recipe(
            "no-precision",
            lambda: cls(store_precision=False, random_state=0),
            robust=True,
            y=y,
        ),
        _recipe(
            "dataframe",
            lambda: cls(random_state=0),
            X=_dataframe(_X60),
            Xq=_dataframe(_XQ),
            y=y,
        ),
        _recipe(
            "float32",
            lambda: cls(random_state=0),
            X=_X60.astype(np.float32),
            Xq=_XQ.astype(np.float32),
            y=y,
        ),
    ]


def _graphical_lasso(cls: type) -> list[Recipe]:
    emp = np.cov(_X60, rowvar=False)
    return [
        _recipe("cd", lambda: cls(alpha=0.05)),
        _recipe("lars-centered", lambda: cls(alpha=0.1, mode="lars", assume_centered=True)),
        # covariance="precomputed": the fit input is a covariance matrix
        _recipe("precomputed", lambda: cls(alpha=0.05, covariance="precomputed"), X=emp),
        _recipe(
            "float32", lambda: cls(alpha=0.05), X=_X60.astype(np.float32), Xq=_XQ.astype(np.float32)
        ),
    ]


def _graphical_lasso_cv(cls: type) -> list[Recipe]:
    return [
        _recipe("alphas-int", lambda: cls(alphas=3, n_refinements=2, cv=3)),
        _recipe(
            "alphas-list-lars",
            lambda: cls(alphas=[0.01, 0.1, 0.5], mode="lars", cv=3, assume_centered=True),
        ),
        _recipe(
            "alphas-array",
            lambda: cls(alphas=np.array([0.05, 0.2]), cv=3),
        ),
        _recipe("default-cv", lambda: cls(alphas=2, n_refinements=1)),
        _recipe(
            "float32",
            lambda: cls(alphas=2, n_refinements=1, cv=3),
            X=_X60.astype(np.float32),
            Xq=_XQ.astype(np.float32),
        ),
    ]


RECIPES.update(
    {
        "EmpiricalCovariance": _empirical,
        "ShrunkCovariance": _shrunk,
        "LedoitWolf": _ledoit_wolf,
        "OAS": _oas,
        "MinCovDet": _min_cov_det,
        "EllipticEnvelope": _elliptic_envelope,
        "GraphicalLasso": _graphical_lasso,
        "GraphicalLassoCV": _graphical_lasso_cv,
    }
)
