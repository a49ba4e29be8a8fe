"""Crafted calibration files are refused before anything is built, in a live process.

Each calibrated classifier zips its classifier's value columns with its calibrators, finds the
classifier's labels among all classes, and is averaged with the others: too few calibrators
would silently leave a class at probability zero, a calibrator of another method would
compute something else. Frozen estimators are wrapped, not refitted. Each crafted file below
must give a clean milo_codec error naming the JSON path, in a process that survives.
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
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.svm import LinearSVC

import milo_codec

S = "$.model.state"
CC = f"{S}.calibrated_classifiers_"
X = _X(60, 4)
Y3 = _y_class(60, 3)
Y2 = _y_class(60, 2)


def _doc(est: Any, y: Any) -> dict:
    return editable_doc(est.fit(X, y))


SIGMOID = _doc(CalibratedClassifierCV(LogisticRegression(), cv=3), Y3)
ISOTONIC = _doc(CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=2), Y2)
FROZEN = _doc(CalibratedClassifierCV(FrozenEstimator(LinearSVC().fit(X, Y3))), Y3)


def _payload(i: int = 0) -> Any:
    def get(doc: dict) -> dict:
        return doc["model"]["state"]["calibrated_classifiers_"][i]["calibrated_classifier"]

    return get


def _set(field: str, value: Any, i: int = 0) -> Any:
    def mutate(doc: dict) -> None:
        _payload(i)(doc)[field] = value

    return mutate


def _drop_calibrator(doc: dict) -> None:
    _payload(1)(doc)["calibrators"].pop()


def _drop_fold(doc: dict) -> None:
    doc["model"]["state"]["calibrated_classifiers_"].pop()


def _copy_frozen(doc: dict) -> None:
    # the frozen estimator written out again instead of naming the parameter itself
    _payload()(doc)["estimator"] = json.loads(json.dumps(doc["model"]["params"]["estimator"]))


def _unfit_classifier(doc: dict) -> None:
    _payload(2)(doc)["estimator"]["state"] = None


def _extra_payload_field(doc: dict) -> None:
    _payload()(doc)["code"] = "os.system"


def _sigmoid_node() -> dict:
    return node(_SigmoidCalibration().fit(X[:, 0], Y2))


CASES: dict[str, Case] = {
    "a-calibrator-too-few": (
        SIGMOID,
        _drop_calibrator,
        "InvariantError",
        f"{CC}[1].calibrated_classifier.calibrators: holds 2 calibrators but a classifier "
        "with 3 classes calibrated by 'sigmoid' needs 3",
    ),
    "a-fold-missing": (
        SIGMOID,
        _drop_fold,
        "InvariantError",
        f"{CC}: holds 2 calibrated classifiers; 3 folds with ensemble makes 3",
    ),
    "method-differs-from-the-parameter": (
        SIGMOID,
        _set("method", "isotonic"),
        "InvariantError",
        f"{CC}[0].calibrated_classifier.method: is 'isotonic' but method is 'sigmoid'",
    ),
    "calibrator-of-another-method": (
        ISOTONIC,
        lambda d: _payload()(d)["calibrators"].__setitem__(0, _sigmoid_node()),
        "InvariantError",
        f"{CC}[0].calibrated_classifier.calibrators[0]: method 'isotonic' calibrates with "
        "IsotonicRegression",
    ),
    "calibrator-not-a-calibrator": (
        ISOTONIC,
        lambda d: _payload()(d)["calibrators"].__setitem__(0, node(Ridge().fit(X, Y2))),
        "SchemaError",
        f"{CC}[0].calibrated_classifier.calibrators[0].schema: this field does not accept "
        "sklearn.linear_model.Ridge",
    ),
    "labels-differ-from-classes": (
        SIGMOID,
        _set("classes", nd(np.array([0, 1, 5])), i=1),
        "InvariantError",
        f"{CC}[1].calibrated_classifier.classes: must be the model's classes_",
    ),
    "classifier-knows-an-unknown-label": (
        SIGMOID,
        _set("estimator", node(LogisticRegression().fit(X, np.where(Y3 == 2, 7, Y3)))),
        "InvariantError",
        f"{CC}[0].calibrated_classifier.estimator: knows label 7, which is not in classes_",
    ),
    "classifier-of-another-class": (
        SIGMOID,
        _set("estimator", node(LinearSVC().fit(X, Y3))),
        "InvariantError",
        f"{CC}[0].calibrated_classifier.estimator: must be a fitted "
        "sklearn.linear_model.LogisticRegression",
    ),
    "classifier-unfitted": (
        SIGMOID,
        _unfit_classifier,
        "InvariantError",
        f"{CC}[2].calibrated_classifier.estimator: must be fitted",
    ),
    "labels-alias-something-else": (
        SIGMOID,
        _set("classes", {"alias": f"{CC}[0].calibrated_classifier.estimator.state.coef_"}, i=2),
        "InvariantError",
        f"{CC}[2].calibrated_classifier.classes: alias '{CC}[0].calibrated_classifier."
        "estimator.state.coef_' names a value this field cannot hold",
    ),
    "frozen-estimator-copied": (
        FROZEN,
        _copy_frozen,
        "InvariantError",
        f"{CC}[0].calibrated_classifier.estimator: must be the FrozenEstimator itself "
        "(an alias of it)",
    ),
    "payload-with-an-extra-field": (
        SIGMOID,
        _extra_payload_field,
        "SchemaError",
        f"{CC}[0].calibrated_classifier.code: unknown field; remove it (fields are fixed by the schema)",
    ),
    "frozen-with-a-state": (
        FROZEN,
        lambda d: d["model"]["params"]["estimator"].__setitem__("state", {"n_features_in_": 4}),
        "SchemaError",
        "$.model.params.estimator.state.n_features_in_: unknown field; remove it "
        "(fields are fixed by the schema)",
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
    for doc in (SIGMOID, ISOTONIC, FROZEN):
        milo_codec.loads(json.dumps(doc)).predict_proba(X[:5])


def test_the_labels_stay_shared() -> None:
    """Every calibrated classifier holds the model's classes_ itself, as pickle keeps it."""
    loaded = milo_codec.loads(json.dumps(SIGMOID))
    assert all(c.classes is loaded.classes_ for c in loaded.calibrated_classifiers_)


def test_a_frozen_estimator_stays_shared() -> None:
    """The calibrated classifier holds the very FrozenEstimator of the parameters, as pickle keeps it."""
    loaded = milo_codec.loads(json.dumps(FROZEN))
    assert loaded.calibrated_classifiers_[0].estimator is loaded.estimator


def test_an_unfitted_estimator_round_trips() -> None:
    for model in (CalibratedClassifierCV(), CalibratedClassifierCV(FrozenEstimator(Ridge()))):
        loaded = milo_codec.loads(milo_codec.dumps(model))
        assert_identical(vars(model), vars(loaded), "__dict__")
