"""Gaussian mixtures: crafted covariance layouts are refused before anything is built.

covariance_type decides the rank of covariances_, precisions_cholesky_ and precisions_ (and,
for the Bayesian mixture, of covariance_prior_ and degrees_of_freedom_); the schema allows
every layout's rank and the invariant ties the layout to the parameter. Crafted documents
are loaded in one separate process; each must be refused with the expected error and path.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import assert_mutants_survive, doc_cache, load_cases, nd
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

import milo_codec

X = np.random.RandomState(0).randn(40, 3) + np.repeat([[0, 0, 0], [5, 5, 0]], 20, axis=0)
S = "$.model.state"


def _fit(est: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


FITS: dict[str, Callable[[], Any]] = {
    cov: (lambda cov=cov: _fit(GaussianMixture(2, covariance_type=cov, random_state=0)))
    for cov in ("full", "tied", "diag", "spherical")
}
FITS["bayes-dp-full"] = lambda: _fit(BayesianGaussianMixture(n_components=3, random_state=0))
FITS["bayes-dd-tied"] = lambda: _fit(
    BayesianGaussianMixture(
        n_components=3,
        covariance_type="tied",
        weight_concentration_prior_type="dirichlet_distribution",
        random_state=0,
    )
)
_doc = doc_cache(FITS)


def _array(state: dict, name: str) -> np.ndarray:
    a = state[name]["ndarray"]
    return np.array(a["data"], dtype=a["dtype"]).reshape(a["shape"])


def layout_of_another_type(doc: dict) -> str:
    """A 'full' mixture whose covariance_type says 'diag': same arrays, another meaning."""
    doc["model"]["params"]["covariance_type"] = "diag"
    return f"{S}.covariances_: has shape (2, 3, 3) but covariance_type 'diag' with 2 components"


def tied_claims_spherical(doc: dict) -> str:
    doc["model"]["params"]["covariance_type"] = "spherical"
    return f"{S}.covariances_: has shape (3, 3) but covariance_type 'spherical'"


def diag_precision_one_feature_short(doc: dict) -> str:
    state = doc["model"]["state"]
    state["precisions_cholesky_"] = nd(_array(state, "precisions_cholesky_")[:, :2])
    return f"{S}.precisions_cholesky_: has shape (2, 2) but covariance_type 'diag'"


def spherical_components_disagree(doc: dict) -> str:
    state = doc["model"]["state"]
    state["precisions_"] = nd(np.r_[_array(state, "precisions_"), 1.0])
    return f"{S}.precisions_: shape[0] is 3 but n_components is 2"


def full_factor_zero_diagonal(doc: dict) -> str:
    state = doc["model"]["state"]
    f = _array(state, "precisions_cholesky_")
    f[1, 2, 2] = 0.0
    state["precisions_cholesky_"] = nd(f)
    return f"{S}.precisions_cholesky_: a Cholesky factor has a positive diagonal"


def factor_infinite(doc: dict) -> str:
    doc["model"]["state"]["precisions_cholesky_"]["ndarray"]["data"][0] = "Infinity"
    return f"{S}.precisions_cholesky_: must be finite"


def weights_not_a_distribution(doc: dict) -> str:
    doc["model"]["state"]["weights_"] = nd([0.9, 0.9])
    return f"{S}.weights_: must be finite, non-negative and sum to 1"


def means_wrong_features(doc: dict) -> str:
    state = doc["model"]["state"]
    state["means_"] = nd(_array(state, "means_")[:, :2])
    return f"{S}.means_: shape[1] is 2 but n_features_in_ is 3"


def process_prior_with_one_array(doc: dict) -> str:
    state = doc["model"]["state"]
    state["weight_concentration_"] = state["weight_concentration_"]["tuple"][0]
    return f"{S}.weight_concentration_: the dirichlet_process prior keeps a pair of arrays"


def distribution_prior_with_a_pair(doc: dict) -> str:
    state = doc["model"]["state"]
    state["weight_concentration_"] = {"tuple": [state["weight_concentration_"]] * 2}
    return f"{S}.weight_concentration_: the dirichlet_distribution prior keeps one array"


def tied_dof_as_array(doc: dict) -> str:
    doc["model"]["state"]["degrees_of_freedom_"] = nd([3.0, 3.0, 3.0])
    return f"{S}.degrees_of_freedom_: is a scalar exactly when covariance_type is 'tied'"


def covariance_prior_wrong_rank(doc: dict) -> str:
    doc["model"]["state"]["covariance_prior_"] = nd([1.0, 1.0, 1.0])
    return f"{S}.covariance_prior_: covariance_type 'full' needs a prior of shape (3, 3)"


INVARIANT, SCHEMA = "InvariantError", "SchemaError"
CASES: list[tuple[str, Callable[[dict], str], str]] = [
    ("full", layout_of_another_type, INVARIANT),
    ("tied", tied_claims_spherical, INVARIANT),
    ("diag", diag_precision_one_feature_short, INVARIANT),
    ("spherical", spherical_components_disagree, INVARIANT),
    ("full", full_factor_zero_diagonal, INVARIANT),
    ("spherical", factor_infinite, INVARIANT),
    ("diag", weights_not_a_distribution, INVARIANT),
    ("tied", means_wrong_features, INVARIANT),
    ("bayes-dp-full", process_prior_with_one_array, INVARIANT),
    ("bayes-dd-tied", distribution_prior_with_a_pair, INVARIANT),
    ("bayes-dd-tied", tied_dof_as_array, INVARIANT),
    ("bayes-dp-full", covariance_prior_wrong_rank, INVARIANT),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str], str]]:
    """Every crafted document loaded in child processes, once: (error, problems, expected)."""
    loaded = load_cases(CASES, _doc, tmp_path_factory.mktemp("crafted"))
    return {name: (o.verdict, o.problems, want) for name, (o, want) in loaded.items()}


@pytest.mark.parametrize(
    ("base", "mutate", "error"), CASES, ids=[m.__name__.replace("_", "-") for _, m, _ in CASES]
)
def test_a_crafted_document_is_refused_with_its_path(
    base: str, mutate: Callable, error: str, outcomes: dict
) -> None:
    got, problems, expected = outcomes[mutate.__name__]
    assert got == error, problems
    assert any(p.startswith(expected) for p in problems), problems


def test_an_unchanged_document_loads_in_every_layout() -> None:
    for base in FITS:
        milo_codec.loads(json.dumps(_doc(base)))


# ---------------------------------------------------------------------------


@pytest.mark.parametrize("base", list(FITS))
def test_a_loaded_mixture_continues_fitting_like_the_original(base: str) -> None:
    """warm_start=True continues EM from the fitted state: the loaded copy must do the same."""
    original = FITS[base]().set_params(warm_start=True, max_iter=3)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    for model in (original, loaded):
        _fit(model)
    assert milo_codec.dumps(loaded) == milo_codec.dumps(original)


_CALLS = (
    "m.predict(Xq)",
    "m.predict_proba(Xq)",
    "m.score_samples(Xq)",
    "m.score(Xq)",
    "m.bic(Xq)",
    "m.sample(5)",
)


@pytest.mark.parametrize("base", list(FITS))
def test_whatever_loads_queries_without_crashing(base: str, tmp_path: Any) -> None:
    """Each array cut short, cut narrower or grown by a row, one at a time."""
    state = _doc(base)["model"]["state"]
    docs: list[dict] = []
    for name, node in state.items():
        if not (isinstance(node, dict) and "ndarray" in node and node["ndarray"]["shape"]):
            continue
        a = _array(state, name)
        variants = [a[:-1], np.concatenate([a, a[:1]])]
        if a.ndim >= 2:
            variants.append(a[:, :-1])
        for v in variants:
            doc = _doc(base)
            doc["model"]["state"][name] = nd(v)
            docs.append(doc)
    assert_mutants_survive(docs, tmp_path, X[:5], _CALLS)
