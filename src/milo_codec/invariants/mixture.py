"""Invariants of GaussianMixture and BayesianGaussianMixture, listed by x-milo-invariants.

Mixtures score and predict with numpy only (sklearn/mixture/_gaussian_mixture.py,
_estimate_log_gaussian_prob): the query is multiplied by ``precisions_cholesky_`` in the layout
``covariance_type`` names, and the log-determinant is the sum of the logarithms of that factor's
diagonal. The schema allows every layout's rank; these checks tie the layout to the parameter:

=============  ====================================  =================================
covariance     covariances_, precisions_cholesky_,   covariance_prior_ (Bayesian)
type           precisions_
=============  ====================================  =================================
full           (n_components, n_features, n_features)  (n_features, n_features)
tied           (n_features, n_features)              (n_features, n_features)
diag           (n_components, n_features)            (n_features,)
spherical      (n_components,)                       a scalar
=============  ====================================  =================================

and the numbers that make scores meaningful: a finite factor with a positive diagonal (its
logarithm is taken), weights that form a distribution (``sample`` draws a multinomial from
them). The Bayesian mixture's ``weight_concentration_`` is a pair of arrays for the
``dirichlet_process`` prior and one array for ``dirichlet_distribution``, and its
``degrees_of_freedom_`` is a scalar exactly for tied covariances.
"""

from __future__ import annotations

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check

_COVARIANCES = ("covariances_", "precisions_cholesky_", "precisions_")


def _layout(covariance_type: str, k: int, d: int) -> tuple[int, ...]:
    return {
        "full": (k, d, d),
        "tied": (d, d),
        "diag": (k, d),
        "spherical": (k,),
    }[covariance_type]


def _prior_layout(covariance_type: str, d: int) -> tuple[int, ...]:
    return {"full": (d, d), "tied": (d, d), "diag": (d,), "spherical": ()}[covariance_type]


def _factor_diagonal(factor: np.ndarray, covariance_type: str) -> np.ndarray:
    if covariance_type == "full":
        return np.diagonal(factor, axis1=1, axis2=2)
    if covariance_type == "tied":
        return np.diagonal(factor)
    return factor  # diag and spherical store the factor's diagonal itself


def mixture_covariances(params: dict, state: dict, path: str) -> list[Problem]:
    covariance_type = params.get("covariance_type")
    n_components, d = params.get("n_components"), state.get("n_features_in_")
    if (
        covariance_type not in ("full", "tied", "diag", "spherical")
        or type(d) is not int
        or n_components is None
    ):
        return []
    k = int(n_components)
    at = f"{path}.state"
    problems = []
    want = _layout(covariance_type, k, d)
    for name in _COVARIANCES:
        v = state.get(name)
        if isinstance(v, np.ndarray) and v.shape != want:
            problems.append(
                Problem(
                    f"{at}.{name}",
                    f"has shape {v.shape} but covariance_type {covariance_type!r} with "
                    f"{k} components and {d} features needs {want}",
                )
            )
    if problems:
        return problems
    factor = state.get("precisions_cholesky_")
    if isinstance(factor, np.ndarray):
        if not np.isfinite(factor).all():
            problems.append(Problem(f"{at}.precisions_cholesky_", "must be finite"))
        elif not (_factor_diagonal(factor, covariance_type) > 0).all():
            problems.append(
                Problem(f"{at}.precisions_cholesky_", "a Cholesky factor has a positive diagonal")
            )
    weights = state.get("weights_")
    if isinstance(weights, np.ndarray) and weights.ndim == 1:
        w = weights.astype(np.float64)
        if not (np.isfinite(w).all() and (w >= 0).all() and abs(w.sum() - 1.0) <= 1e-4):
            problems.append(Problem(f"{at}.weights_", "must be finite, non-negative and sum to 1"))
    problems.extend(_bayesian(params, state, covariance_type, k, d, at))
    return problems


def _bayesian(
    params: dict, state: dict, covariance_type: str, k: int, d: int, at: str
) -> list[Problem]:
    problems = []
    prior_type = params.get("weight_concentration_prior_type")
    concentration = state.get("weight_concentration_")
    if prior_type == "dirichlet_process" and not isinstance(concentration, tuple):
        problems.append(
            Problem(
                f"{at}.weight_concentration_",
                "the dirichlet_process prior keeps a pair of arrays",
            )
        )
    if prior_type == "dirichlet_distribution" and not isinstance(concentration, np.ndarray):
        problems.append(
            Problem(
                f"{at}.weight_concentration_",
                "the dirichlet_distribution prior keeps one array",
            )
        )
    if isinstance(concentration, tuple):
        for i, part in enumerate(concentration):
            if isinstance(part, np.ndarray) and part.shape != (k,):
                problems.append(
                    Problem(
                        f"{at}.weight_concentration_[{i}]",
                        f"has shape {part.shape} but there are {k} components",
                    )
                )
    dof = state.get("degrees_of_freedom_")
    if dof is not None and (covariance_type == "tied") != (not isinstance(dof, np.ndarray)):
        problems.append(
            Problem(
                f"{at}.degrees_of_freedom_",
                "is a scalar exactly when covariance_type is 'tied'",
            )
        )
    prior = state.get("covariance_prior_")
    if "covariance_prior_" in state:
        shape = prior.shape if isinstance(prior, np.ndarray) else ()
        want = _prior_layout(covariance_type, d)
        if shape != want or (not want and isinstance(prior, np.ndarray)):
            problems.append(
                Problem(
                    f"{at}.covariance_prior_",
                    f"covariance_type {covariance_type!r} needs a prior of shape {want}"
                    + (" (a scalar)" if not want else ""),
                )
            )
    return problems


CHECKS: dict[str, Check] = {"mixture_covariances": mixture_covariances}
