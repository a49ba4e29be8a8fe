"""FrozenEstimator: its only content is the fitted estimator it wraps (a full model node).

A frozen estimator keeps no state of its own, so a file giving it one is refused; after a
round trip it still refuses to be refitted, and fitting it leaves the inner model untouched.
"""

from __future__ import annotations

import json

import pytest
from crafted import editable_doc
from crafted_files import Case, assert_refused, load_all
from equality import assert_identical
from recipes import _X, _y_class
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

import milo_codec

X = _X(40, 4)
Y = _y_class(40, 3)
DOC = editable_doc(FrozenEstimator(LogisticRegression().fit(X, Y)))

CASES: dict[str, Case] = {
    "a-state-of-its-own": (
        DOC,
        lambda d: d["model"].__setitem__("state", {"classes_": [0, 1, 2]}),
        "SchemaError",
        "$.model.state.classes_: unknown field; remove it (fields are fixed by the schema)",
    ),
    "an-unknown-inner-schema": (
        DOC,
        lambda d: d["model"]["params"]["estimator"].__setitem__(
            "schema", "https://milo-codec.invalid/schemas/builtins/eval/v1.json"
        ),
        "SchemaError",
        "$.model.params.estimator.schema: unknown model schema "
        "'https://milo-codec.invalid/schemas/builtins/eval/v1.json'; "
        "milo_codec.supported_models() lists the known ones",
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


def test_fitting_the_loaded_estimator_changes_nothing() -> None:
    loaded = milo_codec.loads(json.dumps(DOC))
    before = json.dumps(DOC)
    loaded.fit(X[:10], Y[:10])
    assert milo_codec.dumps(loaded) == milo_codec.dumps(milo_codec.loads(before))
    assert_identical(loaded.predict_proba(X), loaded.estimator.predict_proba(X), "predict_proba")


def test_an_unfitted_inner_estimator_round_trips() -> None:
    model = FrozenEstimator(LogisticRegression(C=0.5))
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert_identical(loaded.get_params(deep=True), model.get_params(deep=True), "get_params")
