"""Covariance estimators: crafted files are refused before scipy's C code sees their arrays.

mahalanobis(), score_samples(), decision_function() and predict() hand ``precision_`` (or,
with store_precision=False, the pseudo-inverse of ``covariance_``) and ``location_`` to
scipy's compiled ``cdist(..., "mahalanobis", VI=...)``, which sizes its loops by the query's
width and does not check VI against it: a 3×3 VI for 5-feature data reads past the matrix
and returns garbage. The shape symbols tie every one of them to ``n_features_in_``; these
files, all loaded in one separate process with a timeout, must be refused with the JSON path.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import doc_cache, load_in_children, nd
from sklearn.covariance import (
    EllipticEnvelope,
    EmpiricalCovariance,
    GraphicalLasso,
    GraphicalLassoCV,
    LedoitWolf,
    MinCovDet,
)

import milo_codec

X = np.random.RandomState(0).randn(30, 5)
S = "$.model.state"
INVARIANT, SCHEMA = "InvariantError", "SchemaError"


def _fit(est: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


FITS: dict[str, Callable[[], Any]] = {
    "empirical": lambda: _fit(EmpiricalCovariance()),
    "no-precision": lambda: _fit(LedoitWolf(store_precision=False)),
    "min-cov-det": lambda: _fit(MinCovDet(random_state=0)),
    "elliptic": lambda: _fit(EllipticEnvelope(random_state=0)),
    "graphical-cv": lambda: _fit(GraphicalLassoCV(alphas=2, n_refinements=1, cv=3)),
}
_doc = doc_cache(FITS)


def _shape_problems(field: str, shape: tuple[int, ...]) -> list[str]:
    return [
        f"{S}.{field}: shape[{i}] is {n} but n_features_in_ is 5 (from {S}.n_features_in_)"
        for i, n in enumerate(shape)
        if n != 5
    ]


# Each mutation changes a document's state and returns the problem lines it must cause.


def precision_too_small(s: dict) -> list[str]:
    s["precision_"] = nd(np.eye(3))
    return _shape_problems("precision_", (3, 3))


def precision_too_large(s: dict) -> list[str]:
    s["precision_"] = nd(np.eye(7))
    return _shape_problems("precision_", (7, 7))


def precision_not_square(s: dict) -> list[str]:
    s["precision_"] = nd(np.ones((5, 4)))
    return _shape_problems("precision_", (5, 4))


def covariance_too_small(s: dict) -> list[str]:
    # store_precision=False: get_precision() inverts covariance_ and hands it to cdist
    s["covariance_"] = nd(np.eye(2))
    return _shape_problems("covariance_", (2, 2))


def location_too_short(s: dict) -> list[str]:
    s["location_"] = nd(np.zeros(4))
    return _shape_problems("location_", (4,))


def support_longer_than_distances(s: dict) -> list[str]:
    s["support_"] = nd(np.ones(31, dtype=bool))
    return [
        f"{S}.support_: shape[0] is 31 but n_samples_fit is 30 (from {S}.raw_support_.shape[0])"
    ]


def cv_results_not_arrays(s: dict) -> list[str]:
    s["cv_results_"]["dict"]["alphas"] = [0.1, 0.2]
    return [f'{S}.cv_results_.dict.alphas: expected {{"ndarray": {{...}}}}']


CASES: list[tuple[str, Callable[[dict], list[str]], str]] = [
    ("empirical", precision_too_small, INVARIANT),
    ("empirical", precision_too_large, INVARIANT),
    ("empirical", location_too_short, INVARIANT),
    ("no-precision", covariance_too_small, INVARIANT),
    ("min-cov-det", precision_not_square, INVARIANT),
    ("min-cov-det", support_longer_than_distances, INVARIANT),
    ("elliptic", precision_too_small, INVARIANT),
    ("graphical-cv", cv_results_not_arrays, SCHEMA),
]

# A file that loads (none of the crafted ones should) is still queried, so that a crash in
# compiled code would show as a crash rather than pass unnoticed.
_QUERY = "model.mahalanobis(np.ones((3, model.n_features_in_)))"


def test_crafted_covariance_states_are_refused_in_a_surviving_process(tmp_path: Path) -> None:
    docs: dict[str, str | dict] = {}
    expected = {}
    for base, mutate, error in CASES:
        doc = _doc(base)
        expected[mutate.__name__] = (error, mutate(doc["model"]["state"]))
        docs[mutate.__name__] = doc
    out = load_in_children(docs, tmp_path, then=_QUERY)
    for name, (error, lines) in expected.items():
        assert out[name].verdict == error, (name, out[name])
        for line in lines:
            assert line in out[name].problems, (name, out[name])


def test_scipy_does_not_check_the_precision_against_the_query() -> None:
    """Why the shapes above matter: scipy answers, wrongly, for a mismatched VI."""
    from scipy.spatial.distance import cdist

    wrong = cdist(np.ones((2, 5)), np.zeros((1, 5)), "mahalanobis", VI=np.eye(7))
    assert wrong.shape == (2, 1)  # no error raised: the extra rows and columns are ignored


def test_a_fitted_graphical_lasso_missing_one_fitted_attribute_is_refused() -> None:
    # GraphicalLasso sets store_precision in __init__, so its fitted attributes are optional in
    # the schema and required together by its dependentRequired
    doc = _doc("graphical-cv")
    del doc["model"]["state"]["alpha_"]
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert [str(p) for p in e.value.problems] == [
        f"{S}.alpha_: is missing: a fitted model that has n_features_in_ has it too"
    ]


@pytest.mark.parametrize("cls", [EmpiricalCovariance, MinCovDet, GraphicalLasso, GraphicalLassoCV])
def test_an_unfitted_estimator_round_trips(cls: type) -> None:
    model = cls()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert list(vars(loaded).items()) == list(vars(model).items())


def test_whatever_loads_answers_mahalanobis_in_a_surviving_process(tmp_path: Path) -> None:
    """Random resizes of the arrays scipy reads and of n_features_in_: every file is refused,
    or loads and answers (same-shape resizes), without taking the process down."""
    rng = np.random.RandomState(0)
    fields = ("location_", "covariance_", "precision_", "raw_location_", "raw_covariance_")
    docs: list[dict] = []
    for i in range(40):
        doc = _doc(sorted(FITS)[i % len(FITS)])
        state = doc["model"]["state"]
        if i % 5 == 0:
            state["n_features_in_"] = int(rng.randint(1, 9))
        else:
            present = [f for f in fields if isinstance(state.get(f), dict)]
            field = present[rng.randint(len(present))]
            rank = len(state[field]["ndarray"]["shape"])
            n, m = rng.randint(1, 9, size=2)
            state[field] = nd(np.eye(8)[:n, :m] if rank == 2 else np.ones(n))
        docs.append(doc)
    out = load_in_children({str(i): d for i, d in enumerate(docs)}, tmp_path, then=_QUERY)
    results = [o.verdict for o in out.values()]
    assert set(results) <= {INVARIANT, SCHEMA, "LOADED"}
    assert results.count(INVARIANT) > len(docs) // 2
