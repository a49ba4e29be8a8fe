"""sklearn.multiclass: crafted counts, code books and indices are refused before construction.

One-vs-rest needs one estimator per class (one for binary problems, one per label for
multilabel targets), one-vs-one n * (n - 1) / 2, output codes one per code-book column, and
every estimator must have been fitted on the model's features (or, with a precomputed kernel,
on the index subset pairwise_indices_ gives it). Crafted documents are loaded in one separate
process; each must be refused with the expected error and JSON path.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import doc_cache, load_cases, nd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier, OutputCodeClassifier
from sklearn.svm import SVC

import milo_codec

X = np.random.RandomState(0).randn(30, 4)
Y3 = np.arange(30) % 3
S = "$.model.state"


def _fit(est: Any, X_fit: Any = X, y: Any = Y3) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_fit, y)


FITS: dict[str, Callable[[], Any]] = {
    "ovr": lambda: _fit(OneVsRestClassifier(LogisticRegression())),
    "ovr-binary": lambda: _fit(OneVsRestClassifier(LogisticRegression()), y=Y3 == 0),
    "ovo": lambda: _fit(OneVsOneClassifier(LogisticRegression())),
    "ovo-precomputed": lambda: _fit(OneVsOneClassifier(SVC(kernel="precomputed")), rbf_kernel(X)),
    "occ": lambda: _fit(OutputCodeClassifier(LogisticRegression(), random_state=0)),
}
_doc = doc_cache(FITS)


def ovr_one_estimator_missing(doc: dict) -> str:
    doc["model"]["state"]["estimators_"].pop()
    return f"{S}.estimators_: holds 2 estimators but 3 classes need 3"


def ovr_binary_with_two_estimators(doc: dict) -> str:
    parts = doc["model"]["state"]["estimators_"]
    parts.append(copy.deepcopy(parts[0]))
    return f"{S}.estimators_: holds 2 estimators but 2 classes need 1"


def ovr_classes_not_the_binarizer_s(doc: dict) -> str:
    doc["model"]["state"]["classes_"] = nd([0, 1, 5])
    return f"{S}.classes_: must be the label binarizer's classes_"


def ovr_binarizer_of_another_class(doc: dict) -> str:
    doc["model"]["state"]["label_binarizer_"] = copy.deepcopy(
        doc["model"]["state"]["estimators_"][0]
    )
    return f"{S}.label_binarizer_: must be a LabelBinarizer"


def ovr_estimator_fitted_on_fewer_features(doc: dict) -> str:
    part = doc["model"]["state"]["estimators_"][1]
    part["state"]["n_features_in_"] = 3
    coef = part["state"]["coef_"]["ndarray"]
    coef["data"] = [row[:3] for row in coef["data"]]
    coef["shape"] = [1, 3]
    return f"{S}.estimators_[1]: was fitted on 3 features but the model needs 4"


def ovo_one_pair_missing(doc: dict) -> str:
    doc["model"]["state"]["estimators_"]["tuple"].pop()
    return f"{S}.estimators_: holds 2 estimators but 3 classes need n*(n-1)/2 = 3"


def ovo_pairwise_index_out_of_range(doc: dict) -> str:
    indices = doc["model"]["state"]["pairwise_indices_"]["tuple"]
    indices[1]["ndarray"]["data"][-1] = 30
    return f"{S}.pairwise_indices_[1]: indices must lie in [0, 30) (the query's columns)"


def ovo_pairwise_indices_one_short(doc: dict) -> str:
    doc["model"]["state"]["pairwise_indices_"]["tuple"].pop()
    return f"{S}.pairwise_indices_: holds 2 index arrays but there are 3 estimators"


def ovo_pairwise_indices_disagree_with_estimator(doc: dict) -> str:
    idx = doc["model"]["state"]["pairwise_indices_"]["tuple"][0]["ndarray"]
    idx["data"], idx["shape"] = idx["data"][:-1], [idx["shape"][0] - 1]
    n = idx["shape"][0]
    return f"{S}.estimators_[0]: was fitted on {n + 1} features but the model needs {n}"


def occ_code_book_one_column_short(doc: dict) -> str:
    cb = doc["model"]["state"]["code_book_"]["ndarray"]
    cb["data"] = [row[:-1] for row in cb["data"]]
    cb["shape"][1] -= 1
    return f"{S}.code_book_: has shape (3, {cb['shape'][1]}) but 3 classes and"


def occ_code_book_bit_of_two(doc: dict) -> str:
    doc["model"]["state"]["code_book_"]["ndarray"]["data"][0][0] = 2.0
    return f"{S}.code_book_: code bits are 1, and -1 or 0"


INVARIANT, SCHEMA = "InvariantError", "SchemaError"
CASES: list[tuple[str, Callable[[dict], str], str]] = [
    ("ovr", ovr_one_estimator_missing, INVARIANT),
    ("ovr-binary", ovr_binary_with_two_estimators, INVARIANT),
    ("ovr", ovr_classes_not_the_binarizer_s, INVARIANT),
    ("ovr", ovr_binarizer_of_another_class, INVARIANT),
    ("ovr", ovr_estimator_fitted_on_fewer_features, INVARIANT),
    ("ovo", ovo_one_pair_missing, INVARIANT),
    ("ovo-precomputed", ovo_pairwise_index_out_of_range, INVARIANT),
    ("ovo-precomputed", ovo_pairwise_indices_one_short, INVARIANT),
    ("ovo-precomputed", ovo_pairwise_indices_disagree_with_estimator, INVARIANT),
    ("occ", occ_code_book_one_column_short, INVARIANT),
    ("occ", occ_code_book_bit_of_two, INVARIANT),
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


def test_an_unfitted_meta_estimator_round_trips() -> None:
    for model in (
        OneVsRestClassifier(LogisticRegression(C=2.0), n_jobs=2),
        OneVsOneClassifier(SVC()),
        OutputCodeClassifier(LogisticRegression(), code_size=3.0, random_state=7),
    ):
        text = milo_codec.dumps(model)
        loaded = milo_codec.loads(text)
        assert milo_codec.dumps(loaded) == text
        assert type(loaded.estimator) is type(model.estimator)
