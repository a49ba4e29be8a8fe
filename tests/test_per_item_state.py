"""Lists with one entry per feature or per class must have exactly that many entries (fuzzing
found each of these loading and then failing with IndexError at predict time)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.naive_bayes import CategoricalNB
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder

import milo_codec

RNG = np.random.RandomState(0)
XI = RNG.randint(0, 4, size=(40, 3))
X = RNG.randn(40, 3)
Y3 = np.arange(40) % 3


def _drop_first(name: str) -> Callable[[dict], None]:
    return lambda s: s[name].pop(0)


CASES: list[tuple[str, Any, Callable[[dict], None], str]] = [
    ("ordinal-categories", OrdinalEncoder().fit(XI), _drop_first("categories_"), "categories_"),
    ("onehot-categories", OneHotEncoder().fit(XI), _drop_first("categories_"), "categories_"),
    (
        "target-encodings",
        TargetEncoder(random_state=0).fit(XI, X[:, 0]),
        _drop_first("encodings_"),
        "encodings_",
    ),
    (
        "target-multiclass-encodings",
        TargetEncoder(random_state=0).fit(XI, Y3),
        lambda s: s["encodings_"].pop(),
        "encodings_",
    ),
    (
        "categorical-nb-counts",
        CategoricalNB().fit(XI, Y3),
        _drop_first("category_count_"),
        "category_count_",
    ),
    (
        "categorical-nb-table-shape",
        CategoricalNB().fit(XI, Y3),
        lambda s: s["feature_log_prob_"][1]["ndarray"].update(
            shape=[3, 3], data=[row[:3] for row in s["feature_log_prob_"][1]["ndarray"]["data"]]
        ),
        "feature_log_prob_[1]",
    ),
    (
        "qda-rotations",
        QuadraticDiscriminantAnalysis().fit(X, Y3),
        _drop_first("rotations_"),
        "rotations_",
    ),
]


@pytest.mark.parametrize(
    ("model", "mutate", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_list_of_the_wrong_length_is_refused(model: Any, mutate: Callable, field: str) -> None:
    doc = editable_doc(model)
    mutate(doc["model"]["state"])
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert f"$.model.state.{field}: " in str(e.value)


def _set_categories(i: int, values: list) -> Callable[[dict], None]:
    def mutate(state: dict) -> None:
        state["categories_"][i]["ndarray"].update(shape=[len(values)], data=values)

    return mutate


XF = np.c_[XI[:, :2], np.where(XI[:, 2] == 3, np.nan, XI[:, 2].astype(float))]

# (id, fitted encoder, mutation, the message expected at $.model.state.categories_[i])
CATEGORY_CASES: list[tuple[str, Any, Callable[[dict], None], str]] = [
    (
        "target-reversed",
        TargetEncoder(random_state=0).fit(XI, X[:, 0]),
        _set_categories(2, [3, 2, 1, 0]),
        "categories_[2]: numeric categories must be sorted and unique, as scikit-learn keeps "
        "them: category 1 (2) does not follow 3",
    ),
    (
        "onehot-repeated",
        OneHotEncoder().fit(XI),
        _set_categories(0, [0, 1, 1, 3]),
        "categories_[0]: numeric categories must be sorted and unique, as scikit-learn keeps "
        "them: category 2 (1) does not follow 1",
    ),
    (
        "onehot-label-is-a-list",
        OneHotEncoder().fit(np.array([["a", "x"], ["b", "y"], ["c", "x"]], dtype=object)),
        _set_categories(1, [["x"], "y"]),
        "categories_[1]: category 0 is a list: categories are labels",
    ),
    (
        "onehot-label-is-a-tuple-holding-a-list",
        OneHotEncoder().fit(np.array([["a", "x"], ["b", "y"], ["c", "x"]], dtype=object)),
        _set_categories(1, [{"tuple": [["x"]]}, "y"]),
        "categories_[1]: category 0 is a tuple: categories are labels",
    ),
    (
        "ordinal-repeated-labels",
        OrdinalEncoder().fit(np.array([["a"], ["b"]], dtype=object)),
        _set_categories(0, ["a", "a"]),
        "categories_[0]: categories must be unique, as scikit-learn keeps them",
    ),
    (
        "ordinal-nan-first",
        OrdinalEncoder().fit(XF),
        _set_categories(2, ["NaN", 0.0, 1.0, 2.0]),
        "categories_[2]: NaN is category 0: it may only be the last one",
    ),
]


@pytest.mark.parametrize(
    ("model", "mutate", "expected"),
    [c[1:] for c in CATEGORY_CASES],
    ids=[c[0] for c in CATEGORY_CASES],
)
def test_categories_scikit_learn_would_not_keep_are_refused(
    model: Any, mutate: Callable, expected: str
) -> None:
    doc = editable_doc(model)
    mutate(doc["model"]["state"])
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert f"$.model.state.{expected}" in str(e.value)


def test_numeric_categories_with_a_last_nan_load() -> None:
    model = OrdinalEncoder().fit(XF)
    assert np.isnan(model.categories_[2][-1])
    loaded = milo_codec.loads(milo_codec.dumps(model))
    np.testing.assert_array_equal(loaded.transform(XF), model.transform(XF))
