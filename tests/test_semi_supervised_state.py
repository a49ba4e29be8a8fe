"""Crafted semi-supervised files are refused before anything is built, in a live process.

Label propagation predicts from its training rows: the rbf kernel against ``X_`` times
``label_distributions_``, or, with kernel="knn", the rows of ``label_distributions_`` that
``nn_fit`` names as neighbors; self-training delegates to ``estimator_``. Each crafted file
below must give a clean milo_codec error naming the JSON path, in a process that survives.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc
from crafted_files import Case, assert_refused, load_all, nd, node
from equality import assert_identical
from recipes import _X, _y_class
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelPropagation, LabelSpreading, SelfTrainingClassifier
from sklearn.svm import SVC

import milo_codec

S = "$.model.state"
X = _X(40, 3)
Y = _y_class(40, 3)
Y[::2] = -1


def _doc(est: Any) -> dict:
    return editable_doc(est.fit(X, Y))


RBF = _doc(LabelPropagation())
KNN = _doc(LabelSpreading(kernel="knn", n_neighbors=5))
SELF = _doc(SelfTrainingClassifier(LogisticRegression(), threshold=0.6))


def _state(**fields: Any) -> Any:
    def mutate(doc: dict) -> None:
        doc["model"]["state"].update(fields)

    return mutate


def _param(**fields: Any) -> Any:
    def mutate(doc: dict) -> None:
        doc["model"]["params"].update(fields)

    return mutate


def _drop(name: str) -> Any:
    def mutate(doc: dict) -> None:
        del doc["model"]["state"][name]

    return mutate


def _drop_distribution_row(doc: dict) -> None:
    rows = doc["model"]["state"]["label_distributions_"]["ndarray"]
    rows["data"].pop()
    rows["shape"][0] -= 1


CASES: dict[str, Case] = {
    "distributions-fewer-rows-than-X": (
        RBF,
        _drop_distribution_row,
        "InvariantError",
        f"{S}.label_distributions_: shape[0] is 39 but n_samples is 40 (from {S}.X_.shape[0])",
    ),
    "transduction-of-another-length": (
        RBF,
        _state(transduction_=nd(np.zeros(12, dtype=np.int64))),
        "InvariantError",
        f"{S}.transduction_: shape[0] is 12 but n_samples is 40 (from {S}.X_.shape[0])",
    ),
    "distributions-for-another-class-count": (
        RBF,
        _state(classes_=nd(np.array([0, 1]))),
        "InvariantError",
        f"{S}.label_distributions_: shape[1] is 3 but n_classes is 2 (from {S}.classes_.shape[0])",
    ),
    "repeated-labels": (
        RBF,
        _state(classes_=nd(np.array([0, 1, 1]))),
        "InvariantError",
        f"{S}.classes_: class labels must be unique",
    ),
    "knn-without-its-neighbors": (
        KNN,
        _drop("nn_fit"),
        "InvariantError",
        f"{S}: kernel='knn' needs nn_fit, a NearestNeighbors fitted on X_",
    ),
    "knn-neighbors-on-other-rows": (
        KNN,
        _state(nn_fit=node(NearestNeighbors(n_neighbors=5).fit(X[:10]))),
        "InvariantError",
        f"{S}.nn_fit.state.n_samples_fit_: is 10 but X_ and label_distributions_ have 40 rows "
        "(neighbor indices select their rows)",
    ),
    "knn-neighbors-of-another-class": (
        KNN,
        _state(nn_fit=node(Ridge().fit(X, X[:, 0]))),
        "InvariantError",
        f"{S}.nn_fit: must be a fitted sklearn.neighbors.NearestNeighbors",
    ),
    "knn-more-neighbors-than-samples": (
        KNN,
        _param(n_neighbors=41),
        "InvariantError",
        "$.model.params.n_neighbors: is 41 but the model was fitted on 40 samples",
    ),
    "rbf-with-a-neighbor-model": (
        KNN,
        _param(kernel="rbf"),
        "InvariantError",
        f"{S}.nn_fit: is kept only with kernel='knn'",
    ),
    "kernel-names-a-function": (
        RBF,
        _param(kernel={"function": "numpy.exp"}),
        "SchemaError",
        "$.model.params.kernel: expected one of 'knn', 'rbf'",
    ),
    "partly-fitted": (
        RBF,
        _drop("X_"),
        "SchemaError",
        f"{S}.X_: is missing: a fitted model that has n_features_in_ has it too",
    ),
    "self-training-estimator-of-another-class": (
        SELF,
        _state(estimator_=node(SVC(probability=True).fit(X[1::2], Y[1::2]))),
        "InvariantError",
        f"{S}.estimator_: must be a fitted sklearn.linear_model.LogisticRegression, "
        "not sklearn.svm.SVC",
    ),
    "self-training-classes-not-the-estimator's": (
        SELF,
        _state(classes_=nd(np.array([0, 1, 5]))),
        "InvariantError",
        f"{S}.classes_: must be the classes_ of estimator_",
    ),
    "self-training-unknown-termination": (
        SELF,
        _state(termination_condition_="bored"),
        "SchemaError",
        f"{S}.termination_condition_: expected 'all_labeled', 'max_iter' or 'no_change'",
    ),
    "self-training-labeled-iter-of-another-length": (
        SELF,
        _state(labeled_iter_=nd(np.zeros(5, dtype=np.int64))),
        "InvariantError",
        f"{S}.labeled_iter_: shape[0] is 5 but n_samples is 40 (from {S}.transduction_.shape[0])",
    ),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return load_all(CASES, tmp_path_factory.mktemp("crafted"))


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_crafted_file_is_refused_cleanly_in_a_live_process(
    case: str, outcomes: dict[str, list[str]]
) -> None:
    assert_refused(CASES, outcomes, case)


def test_the_unmodified_files_load() -> None:
    for doc in (RBF, KNN, SELF):
        milo_codec.loads(json.dumps(doc)).predict(X[:5])


def test_a_callable_kernel_is_refused_at_dump_naming_the_allowed_kernels() -> None:
    model = LabelPropagation(kernel=rbf_kernel).fit(X, Y)
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(model)
    message = str(e.value)
    assert message.startswith("$.model.params.kernel: the callable sklearn.metrics.pairwise.")
    assert message.endswith(
        "sklearn.semi_supervised.LabelPropagation's kernel takes only 'knn', 'rbf', not a function."
    )


def test_knn_shares_its_training_rows_with_the_neighbor_model() -> None:
    """nn_fit._fit_X is X_ itself (written as an alias), as pickle keeps it."""
    loaded = milo_codec.loads(json.dumps(KNN))
    assert loaded.nn_fit._fit_X is loaded.X_


@pytest.mark.parametrize(
    "model",
    [LabelPropagation(), LabelSpreading(), SelfTrainingClassifier(LogisticRegression())],
    ids=lambda m: type(m).__name__,
)
def test_an_unfitted_estimator_round_trips(model: Any) -> None:
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert_identical(vars(model), vars(loaded), "__dict__")
