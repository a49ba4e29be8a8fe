"""Parameters a fitted model cannot have.

A file's parameters are checked against its fitted state: a value fit would have refused, or
one that contradicts what fit derived from it, is refused before anything is built. Each case
here loaded before and then failed in predict or transform (found by setting each parameter
of every supported class's first recipe to edge values and querying what loaded).
"""

from __future__ import annotations

import importlib
import json
import warnings
from typing import Any

import pytest
from crafted import editable_doc
from recipes import first_recipe

import milo_codec


def _doc(class_path: str) -> dict:
    module, name = class_path.rsplit(".", 1)
    if name.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = first_recipe(getattr(importlib.import_module(module), name)).fit().estimator
        return editable_doc(estimator)


# id → (class, parameter values set, error, "path: message" expected)
CASES: dict[str, tuple[str, dict[str, Any], type, str]] = {
    "lof-without-a-neighbour-count": (
        "sklearn.neighbors.LocalOutlierFactor",
        {"n_neighbors": None},
        milo_codec.InvariantError,
        "$.model.params.n_neighbors: a fitted LocalOutlierFactor has a count",
    ),
    "lof-count-not-the-fitted-one": (
        "sklearn.neighbors.LocalOutlierFactor",
        {"n_neighbors": 10**9},
        milo_codec.InvariantError,
        "$.model.state.n_neighbors_: is 10 but n_neighbors = 1000000000 over 80 samples makes it 79",
    ),
    "nmf-components-of-another-count": (
        "sklearn.decomposition.NMF",
        {"n_components": 1000},
        milo_codec.InvariantError,
        "$.model.state._n_components: is 3 but n_components = 1000 makes it 1000",
    ),
    "nmf-components-not-the-feature-count": (
        "sklearn.decomposition.NMF",
        {"n_components": None},
        milo_codec.InvariantError,
        "$.model.state._n_components: is 3 but n_components = None makes it 6",
    ),
    "search-refit-on-an-empty-metric-name": (
        "sklearn.model_selection.GridSearchCV",
        {"refit": ""},
        milo_codec.InvariantError,
        "$.model.state: best_estimator_ must be present exactly when refit is true or names "
        "a metric",
    ),
    "self-training-without-its-estimator": (
        "sklearn.semi_supervised.SelfTrainingClassifier",
        {"estimator": None},
        milo_codec.InvariantError,
        "$.model.params.estimator: a fitted SelfTrainingClassifier has one",
    ),
    "prefit-selection-over-an-unfitted-estimator": (
        "sklearn.feature_selection.SelectFromModel",
        {"prefit": True},
        milo_codec.InvariantError,
        "$.model.params.estimator: must be fitted when prefit is true",
    ),
    "count-vectorizer-without-a-token-pattern": (
        "sklearn.feature_extraction.text.CountVectorizer",
        {"token_pattern": None},
        milo_codec.InvariantError,
        "$.model.params.token_pattern: a fitted word analyzer needs one",
    ),
    "tfidf-vectorizer-without-a-token-pattern": (
        "sklearn.feature_extraction.text.TfidfVectorizer",
        {"token_pattern": None},
        milo_codec.InvariantError,
        "$.model.params.token_pattern: a fitted word analyzer needs one",
    ),
    "label-binarizer-negative-not-below-positive": (
        "sklearn.preprocessing.LabelBinarizer",
        {"pos_label": 0},
        milo_codec.InvariantError,
        "$.model.params.neg_label: is 0, not below pos_label = 0",
    ),
    "bin-mapper-asking-for-a-billion-threads": (
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        {"n_threads": 10**9},
        milo_codec.SchemaError,
        "$.model.params.n_threads",
    ),
    "bin-mapper-asking-for-more-threads-than-a-small-process-can-start": (
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        {"n_threads": 257},
        milo_codec.SchemaError,
        "$.model.params.n_threads",
    ),
}


@pytest.mark.parametrize(
    ("class_path", "values", "error", "expected"), CASES.values(), ids=list(CASES)
)
def test_a_parameter_fit_would_not_leave_is_refused(
    class_path: str, values: dict[str, Any], error: type, expected: str
) -> None:
    doc = _doc(class_path)
    doc["model"]["params"].update(values)
    with pytest.raises(error) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)
