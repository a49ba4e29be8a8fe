"""Parameters a fitted model cannot have.

A file's parameters are checked against its fitted state: a value fit would have refused, or
one that contradicts what fit derived from it, is refused before anything is built. Each case
here loaded before and then failed in predict or transform (found by setting each parameter
of every supported class's first recipe to edge values and querying what loaded).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import warnings
from typing import Any

import pytest
from crafted import editable_doc, first_recipe_doc, query_outcome
from recipes import INFERENCE_METHODS, first_recipe

import milo_codec

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
    "an-integer-choice-given-as-true": (
        # a listed integer is a JSON integer: true is not the constraint 1
        "sklearn.ensemble.RandomForestClassifier",
        {"monotonic_cst": [True, 0, 0, 0, 0]},
        milo_codec.SchemaError,
        "$.model.params.monotonic_cst",
    ),
    "an-integer-choice-given-as-a-float": (
        "sklearn.ensemble.RandomForestClassifier",
        {"monotonic_cst": [1.0, 0, 0, 0, 0]},
        milo_codec.SchemaError,
        "$.model.params.monotonic_cst",
    ),
    "lda-components-more-than-the-classes-allow": (
        "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
        {"n_components": 10**9},
        milo_codec.InvariantError,
        "$.model.params.n_components: is 1000000000 but at most 2 exist",
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
    doc = first_recipe_doc(class_path)
    doc["model"]["params"].update(values)
    with pytest.raises(error) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)


# Parameters whose edge values scikit-learn's fit accepts and its predict or transform then
# refuses, exactly as it does for a model fitted with them: a faithful load fails the same way.
SKLEARN_REFUSES_AT_QUERY_TIME: dict[tuple[str, str], str] = {
    ("DictionaryLearning", "positive_code"): "omp and lars codes cannot be positive",
    ("DictionaryLearning", "transform_n_nonzero_coefs"): "more atoms than features",
    ("MiniBatchDictionaryLearning", "positive_code"): "omp and lars codes cannot be positive",
    ("MiniBatchDictionaryLearning", "transform_n_nonzero_coefs"): "more atoms than features",
    ("SparseCoder", "dictionary"): "fit does not look at the dictionary",
    ("SparseCoder", "positive_code"): "omp and lars codes cannot be positive",
    ("SparseCoder", "transform_n_nonzero_coefs"): "more atoms than features",
    ("PatchExtractor", "patch_size"): "the default patch is a tenth of the image",
    ("HashingVectorizer", "token_pattern"): "stateless: fit never builds the tokenizer",
    ("IterativeImputer", "missing_values"): "the queries' NaN is no longer the marker",
    ("MissingIndicator", "missing_values"): "the queries' NaN is no longer the marker",
    ("SimpleImputer", "missing_values"): "the queries' NaN is no longer the marker",
    ("AdditiveChi2Sampler", "sample_steps"): "sample_interval is needed beyond 3 steps",
    ("SkewedChi2Sampler", "skewedness"): "queries must exceed -skewedness",
    ("LocallyLinearEmbedding", "reg"): "no regularisation: singular local Gram matrices",
    ("NearestNeighbors", "n_neighbors"): "kneighbors() then needs its own count",
}
EDGE_VALUES: dict[str, Any] = {
    "null": None,
    "[]": [],
    "{}": {},
    '""': "",
    "0": 0,
    "-1": -1,
    "0.0": 0.0,
    "-1.0": -1.0,
    "true": True,
    "1000": 1000,
    "10**9": 10**9,
    "1e9": 1e9,
}


@pytest.mark.parametrize(
    "class_path", sorted(milo_codec.supported_models()), ids=lambda c: c.rsplit(".", 1)[1]
)
def test_a_parameter_at_an_edge_value_is_refused_or_still_works(class_path: str) -> None:
    """Each parameter of the class's first recipe set in turn to each edge value: the file is
    refused with a milo_codec error, or the model it loads still answers every query the
    original answers. (n_jobs has its own test: a few of these values start workers.)"""
    name = class_path.rsplit(".", 1)[1]
    module = class_path.rsplit(".", 1)[0]
    if name.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    failures = []
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        fitted = first_recipe(getattr(importlib.import_module(module), name)).fit()
        methods = [
            m
            for m in INFERENCE_METHODS
            if m != "score"
            and hasattr(fitted.estimator, m)
            and query_outcome(fitted.estimator, m, fitted.X) is None
        ]
        text = json.dumps(editable_doc(fitted.estimator))
        params = json.loads(text)["model"]["params"]
        for field in params:
            if field == "n_jobs" or (name, field) in SKLEARN_REFUSES_AT_QUERY_TIME:
                continue
            for label, value in EDGE_VALUES.items():
                doc = json.loads(text)
                doc["model"]["params"][field] = value
                try:
                    loaded = milo_codec.loads(json.dumps(doc))
                except milo_codec.MiloError:
                    continue
                broken = [(m, query_outcome(loaded, m, fitted.X)) for m in methods]
                failures += [(field, label, m, e) for m, e in broken if e is not None]
    assert not failures, f"loaded and then raised: {failures}"
