"""PLS models: crafted files whose arrays disagree are refused before construction.

Prediction is ``X @ coef_.T + intercept_``, flattened when the model was fitted on a 1-d
target; numpy would broadcast a one-element intercept or ravel several target columns into
one long vector without complaint. Validation constructs nothing, so these run in-process.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from crafted import editable_doc, nd
from sklearn.cross_decomposition import CCA, PLSSVD, PLSCanonical, PLSRegression

import milo_codec

X = np.random.RandomState(0).randn(30, 5)
Y2 = np.c_[X[:, 0] + X[:, 1], X[:, 2] - X[:, 3]]
S = "$.model.state"
_DOCS: dict[str, dict] = {}


def _doc(name: str) -> dict:
    if name not in _DOCS:
        model = {
            "multi": lambda: PLSRegression().fit(X, Y2),
            "single": lambda: PLSRegression().fit(X, Y2[:, 0]),
            "svd": lambda: PLSSVD().fit(X, Y2),
        }[name]()
        _DOCS[name] = editable_doc(model)
    return copy.deepcopy(_DOCS[name])


def _problems(doc: dict) -> list[str]:
    return [str(p) for p in milo_codec.validate(json.dumps(doc)).problems]


def test_a_1d_target_flag_on_a_two_target_model_is_refused() -> None:
    doc = _doc("multi")
    doc["model"]["state"]["_predict_1d"] = True
    assert _problems(doc) == [
        f"{S}._predict_1d: is true (the model was fitted on a 1-d target) but coef_ has 2 target "
        "rows, not 1"
    ]


def test_the_intercept_alias_must_name_an_array_of_the_targets_length() -> None:
    doc = _doc("single")
    assert doc["model"]["state"]["intercept_"] == {"alias": f"{S}._y_mean"}
    doc["model"]["state"]["intercept_"] = {"alias": f"{S}._x_mean"}
    assert _problems(doc) == [
        f"{S}.intercept_: shape[0] is 5 but n_targets is 1 (from {S}._y_mean.shape[0])"
    ]


@pytest.mark.parametrize("name", ["multi", "svd"])
def test_weights_of_another_width_are_refused(name: str) -> None:
    doc = _doc(name)
    doc["model"]["state"]["x_weights_"] = nd(np.ones((5, 3)))
    assert _problems(doc) == [
        f"{S}.x_weights_: shape[1] is 3 but _n_features_out is 2 (from {S}._n_features_out)"
    ]


def test_coefficients_must_cover_every_feature() -> None:
    doc = _doc("multi")
    doc["model"]["state"]["coef_"] = nd(np.ones((2, 4)))
    assert _problems(doc) == [
        f"{S}.coef_: shape[1] is 4 but n_features_in_ is 5 (from {S}.n_features_in_)"
    ]


def test_a_fitted_model_missing_one_fitted_attribute_is_refused() -> None:
    # fitted attributes are optional in the schema (an unfitted PLS model has a state holding
    # its deflation constants), so its dependentRequired requires them together
    doc = _doc("multi")
    del doc["model"]["state"]["x_rotations_"]
    assert _problems(doc) == [
        f"{S}.x_rotations_: is missing: a fitted model that has n_features_in_ has it too"
    ]


@pytest.mark.parametrize("cls", [PLSRegression, PLSCanonical, CCA, PLSSVD])
@pytest.mark.parametrize("pandas", [False, True])
def test_an_unfitted_model_round_trips(cls: type, pandas: bool) -> None:
    model = cls().set_output(transform="pandas") if pandas else cls()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert list(vars(loaded).items()) == list(vars(model).items())
