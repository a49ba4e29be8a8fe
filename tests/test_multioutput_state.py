"""Crafted multi-output files are refused before anything is built, in a live process.

A chain puts its outputs back in order by inverting ``order_`` and feeds estimator k the input
plus k earlier outputs: an ``order_`` that is not a permutation would scramble or drop outputs
silently, and a member fitted on another width fails only when queried. Members must be
fitted clones of the base estimator, and a classifier's ``classes_`` its members' labels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc
from crafted_files import Case, assert_refused, load_all, nd, node
from recipes import _X, _y_class, _y_reg
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)

import milo_codec

S = "$.model.state"
X = _X(40, 4)
Y_REG = np.c_[_y_reg(X), _y_reg(X, seed=7), _y_reg(X, seed=9)]
Y_BIN = np.c_[_y_class(40, 2), _y_class(40, 2, seed=5), _y_class(40, 2, seed=8)]


def _doc(est: Any, y: Any) -> dict:
    return editable_doc(est.fit(X, y))


REGRESSOR = _doc(MultiOutputRegressor(Ridge()), Y_REG)
CLASSIFIER = _doc(MultiOutputClassifier(LogisticRegression()), Y_BIN)
CHAIN = _doc(ClassifierChain(LogisticRegression(), order="random", random_state=0), Y_BIN)
REG_CHAIN = _doc(RegressorChain(Ridge(), cv=3), Y_REG)


def _state(**fields: Any) -> Any:
    def mutate(doc: dict) -> None:
        doc["model"]["state"].update(fields)

    return mutate


def _member(i: int, value: Any) -> Any:
    def mutate(doc: dict) -> None:
        doc["model"]["state"]["estimators_"][i] = value

    return mutate


def _unfit_member(doc: dict) -> None:
    doc["model"]["state"]["estimators_"][1]["state"] = None


def _drop_last_classes(doc: dict) -> None:
    doc["model"]["state"]["classes_"].pop()


def _string_labels(doc: dict) -> None:
    """Member 0 (and the chain's record of it) with labels a chain's fit refuses."""
    labels = {"ndarray": {"dtype": "object", "shape": [2], "data": ["a", "b"]}}
    doc["model"]["state"]["estimators_"][0]["state"]["classes_"] = labels
    doc["model"]["state"]["classes_"][0] = labels


def _param(**fields: Any) -> Any:
    def mutate(doc: dict) -> None:
        doc["model"]["params"].update(fields)

    return mutate


CASES: dict[str, Case] = {
    "chain-order-repeats-a-position": (
        CHAIN,
        _state(order_=nd([0, 0, 1])),
        "InvariantError",
        f"{S}.order_: must be a permutation of 0..2 (one position per estimator)",
    ),
    "chain-order-out-of-range": (
        REG_CHAIN,
        _state(order_=nd([0, 1, 5])),
        "InvariantError",
        f"{S}.order_: must be a permutation of 0..2 (one position per estimator)",
    ),
    "chain-order-too-short": (
        CHAIN,
        _state(order_=nd([1, 0])),
        "InvariantError",
        f"{S}.order_: must be a permutation of 0..2 (one position per estimator)",
    ),
    "chain-member-fitted-on-the-input-only": (
        REG_CHAIN,
        _member(1, node(Ridge().fit(X, Y_REG[:, 0]))),
        "InvariantError",
        f"{S}.estimators_[1].state.n_features_in_: is 4 but estimator 1 must have been "
        "fitted on 5 (4 features and 1 earlier outputs)",
    ),
    "chain-member-with-string-labels": (
        CHAIN,
        _string_labels,
        "InvariantError",
        f"{S}.estimators_[0].state.classes_: holds object labels, but a chain's members are "
        "fitted on numbers (each output is a column of the next member's input)",
    ),
    "chain-method-unknown": (
        CHAIN,
        _state(chain_method_="fit"),
        "SchemaError",
        f"{S}.chain_method_: expected 'decision_function', 'predict', "
        "'predict_log_proba' or 'predict_proba'",
    ),
    "chain-order-param-unknown": (
        CHAIN,
        _param(order="sorted"),
        "SchemaError",
        "$.model.params.order: expected 'random'",
    ),
    "member-of-another-class": (
        REGRESSOR,
        _member(0, node(Lasso().fit(X, Y_REG[:, 0]))),
        "InvariantError",
        f"{S}.estimators_[0]: must be a fitted sklearn.linear_model.Ridge, "
        "not sklearn.linear_model.Lasso",
    ),
    "member-unfitted": (
        REGRESSOR,
        _unfit_member,
        "InvariantError",
        f"{S}.estimators_[1]: must be fitted",
    ),
    "member-on-another-width": (
        REGRESSOR,
        _state(n_features_in_=3),
        "InvariantError",
        f"{S}.estimators_[0].state.n_features_in_: is 4 but estimator 0 must have been fitted on 3",
    ),
    "classes-missing-an-output": (
        CLASSIFIER,
        _drop_last_classes,
        "InvariantError",
        f"{S}.classes_: holds 2 label arrays for 3 estimators",
    ),
    "classes-not-the-members-labels": (
        CLASSIFIER,
        lambda d: d["model"]["state"]["classes_"].__setitem__(0, nd([0, 7])),
        "InvariantError",
        f"{S}.classes_[0]: must be the classes_ of {S}.estimators_[0]",
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


def test_the_unmodified_files_load(tmp_path: Path) -> None:
    for doc in (REGRESSOR, CLASSIFIER, CHAIN, REG_CHAIN):
        milo_codec.loads(json.dumps(doc)).predict(X[:5])


def test_chain_orders_read_back_as_written() -> None:
    """order_ is the order param itself when that is a list (the same list) or an array."""
    for order in ([2, 0, 1], np.array([1, 2, 0])):
        est = RegressorChain(Ridge(), order=order).fit(X, Y_REG)
        loaded = milo_codec.loads(milo_codec.dumps(est))
        assert type(loaded.order_) is type(order)
        assert list(loaded.order_) == list(order)
        if isinstance(order, np.ndarray):  # an alias: the same array, as pickle keeps it
            assert loaded.order_ is loaded.order
