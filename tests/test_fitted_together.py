"""A fitted model holds every attribute its fit sets, or none of them.

Some estimators set non-parameter attributes in ``__init__`` (a forest's estimator_params, an
SVM's epsilon, a halving search's pre_dispatch), so even an unfitted one has a state and its
schema lists the fitted attributes as optional. A file that keeps only some of them would be
a half-built model: it loaded and then raised AttributeError in predict (fuzzing found an
AdaBoostClassifier without classes_). Each case below drops one attribute that every fit of
the class sets, from a real dump of the class's first recipe.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from crafted import editable_doc, first_recipe_doc, query_outcome
from recipes import INFERENCE_METHODS, first_recipe
from sklearn.base import clone

import milo_codec

_CLASSES = ("classes_", "n_classes_")
_FOREST = ("_n_samples", "_n_samples_bootstrap", "_sample_weight")
_HALVING = (
    "_n_samples_orig",
    "_checked_cv_orig",
    "cv_results_",
    "min_resources_",
    "max_resources_",
    "n_resources_",
    "n_candidates_",
    "n_remaining_candidates_",
    "n_required_iterations_",
    "n_possible_iterations_",
    "n_iterations_",
    "n_splits_",
    "scorer_",
    "refit_time_",
)
# class → the attributes, found by dropping each one fit always sets from such a file
DROPPED: dict[str, tuple[str, ...]] = {
    "sklearn.ensemble.AdaBoostClassifier": _CLASSES,
    "sklearn.ensemble.BaggingClassifier": (*_CLASSES, "_sample_weight"),
    "sklearn.ensemble.BaggingRegressor": ("_sample_weight",),
    "sklearn.ensemble.ExtraTreesClassifier": (*_CLASSES, *_FOREST),
    "sklearn.ensemble.ExtraTreesRegressor": _FOREST,
    "sklearn.ensemble.GradientBoostingClassifier": (*_CLASSES, "_rng"),
    "sklearn.ensemble.IsolationForest": ("_sample_weight",),
    "sklearn.ensemble.RandomForestClassifier": (*_CLASSES, *_FOREST),
    "sklearn.ensemble.RandomForestRegressor": _FOREST,
    "sklearn.ensemble.RandomTreesEmbedding": (*_FOREST, "one_hot_encoder_", "_n_features_out"),
    "sklearn.model_selection.HalvingGridSearchCV": _HALVING,
    "sklearn.model_selection.HalvingRandomSearchCV": _HALVING,
    "sklearn.svm.OneClassSVM": ("offset_",),
}


CASES = [(cls, field) for cls, fields in DROPPED.items() for field in fields]


@pytest.mark.parametrize(
    ("class_path", "field"), CASES, ids=[f"{c.rsplit('.', 1)[1]}-{f}" for c, f in CASES]
)
def test_a_partly_fitted_state_is_refused(class_path: str, field: str) -> None:
    doc = first_recipe_doc(class_path)
    state: dict[str, Any] = doc["model"]["state"]
    assert field in state, "the recipe's fit no longer sets it: update DROPPED"
    del state[field]
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert field in str(e.value)
    assert "$.model.state" in str(e.value)


@pytest.mark.parametrize("class_path", sorted(DROPPED), ids=lambda c: c.rsplit(".", 1)[1])
def test_the_unfitted_state_still_loads(class_path: str) -> None:
    """The constructor's attributes alone are an unfitted model, written and read as such."""
    module, name = class_path.rsplit(".", 1)
    if name.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    model = clone(first_recipe(getattr(importlib.import_module(module), name)).fit().estimator)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert type(loaded) is type(model)
    assert sorted(vars(loaded)) == sorted(vars(model))


def _supported_classes() -> list[str]:
    return sorted(milo_codec.supported_models())


_DROP = object()
# Each state attribute in turn is dropped or replaced by an empty value of each JSON type.
REPLACEMENTS = {"dropped": _DROP, "null": None, "[]": [], "{}": {}, '""': "", "true": True}
# Each number in the state (a JSON number or a numpy scalar's value) is also set to each of
# these: counts that size an allocation or a loop, and signs and fractions fit never leaves.
EDGE_NUMBERS = {
    "0": 0,
    "-1": -1,
    "1000": 1000,
    "10**9": 10**9,
    "1e9": 1e9,
    "-1.0": -1.0,
    "0.5": 0.5,
}
# Attributes whose edge values scikit-learn's own checks refuse at query time, as they would
# for a model fitted that way: a faithful load fails the same way.
SKLEARN_REFUSES_AT_QUERY_TIME: dict[str, str] = {
    # (and where no array is as wide, 10**9 makes get_feature_names_out build 10**9 names, as
    # for a model fitted on that many sparse columns: SECURITY.md)
    "n_features_in_": "the query's width no longer matches (ValueError: X has 5 features...)",
    "_precomputed": "MissingIndicator then takes only boolean masks",
    "noise_variance_": "PCA's precision is singular when it reaches an explained variance",
}


@contextlib.contextmanager
def _at_most_more_memory(extra: int) -> Iterator[None]:
    """Caps this process's address space at its current size plus ``extra`` bytes, so that a
    file whose number sizes an allocation fails fast with MemoryError instead of taking
    minutes and the machine's memory (n_outputs_ = 10**9 on a regression tree took 8 GB)."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * resource.getpagesize()
    except (ImportError, OSError):  # not Linux: run without the cap
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + extra
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _edge_numbers(value: Any) -> list[tuple[str, Any]]:
    """The edge-number replacements of a state value that is a number, else none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return list(EDGE_NUMBERS.items())
    if isinstance(value, dict) and len(value) == 1:  # a numpy scalar: {"float64": 0.5}
        ((dtype, number),) = value.items()
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            return [(f"{dtype} {label}", {dtype: edge}) for label, edge in EDGE_NUMBERS.items()]
    return []


@pytest.mark.parametrize("class_path", _supported_classes(), ids=lambda c: c.rsplit(".", 1)[1])
def test_a_file_with_any_one_state_attribute_emptied_or_at_an_edge_is_refused_or_still_works(
    class_path: str,
) -> None:
    """The survey behind DROPPED and COUNT_CASES, for every supported class: each state
    attribute of its first recipe's dump is dropped or emptied in turn, and each number set to
    each edge; the file must be refused with a milo_codec error, or load a model on which every
    inference method the original runs still runs (it had found an empty AdaBoost, a forest
    with n_classes_ = [] whose check raised IndexError during load, and counts that made
    predict_proba or get_feature_names_out allocate without bound)."""
    module, name = class_path.rsplit(".", 1)
    if name.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    with warnings.catch_warnings(), _at_most_more_memory(2 << 30):
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
        state = json.loads(text)["model"]["state"]
        failures = []
        for field in list(state) if isinstance(state, dict) else []:
            if field in SKLEARN_REFUSES_AT_QUERY_TIME:
                continue
            for label, value in [*REPLACEMENTS.items(), *_edge_numbers(state[field])]:
                doc = json.loads(text)
                if value is _DROP:
                    del doc["model"]["state"][field]
                else:
                    doc["model"]["state"][field] = value
                try:
                    loaded = milo_codec.loads(json.dumps(doc))
                except milo_codec.MiloError as e:
                    if "memory ran out" in str(e):  # a number in the file sized an allocation
                        failures.append((field, label, "load", "MemoryError"))
                    continue
                broken = [(m, query_outcome(loaded, m, fitted.X)) for m in methods]
                failures += [(field, label, m, e) for m, e in broken if e is not None]
    assert not failures, f"loaded and then raised: {failures}"


# class → (state values set, error, "path: message" expected): counts and derived numbers
# that predict or transform use as sizes (found by setting state numbers to edge values)
COUNT_CASES: dict[str, tuple[str, dict[str, Any], type, str]] = {
    "bagging-class-count": (
        "sklearn.ensemble.BaggingClassifier",
        {"n_classes_": 10**9},
        milo_codec.InvariantError,
        "$.model.state.n_classes_: is 1000000000 but classes_ holds 3",
    ),
    "adaboost-class-count": (
        "sklearn.ensemble.AdaBoostClassifier",
        {"n_classes_": 4},
        milo_codec.InvariantError,
        "$.model.state.n_classes_: is 4 but classes_ holds 3",
    ),
    "lda-output-names": (
        "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
        {"_n_features_out": 10**9},
        milo_codec.InvariantError,
        "$.model.state._n_features_out: is 1000000000 but _max_components is 2",
    ),
    "lda-kept-components": (
        "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
        {"_max_components": 3},
        milo_codec.InvariantError,
        "$.model.state._max_components: is 3 but fit makes it 2",
    ),
    "lda-components-beyond-the-classes-agreeing-with-themselves": (
        "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
        {"_max_components": 10**9, "_n_features_out": 10**9},
        milo_codec.InvariantError,
        "$.model.state._max_components: is 1000000000 but fit makes it 2",
    ),
    "trees-embedding-width": (
        "sklearn.ensemble.RandomTreesEmbedding",
        {"_n_features_out": 25},
        milo_codec.InvariantError,
        "$.model.state._n_features_out: is 25 but one_hot_encoder_ outputs 24 columns",
    ),
    "sparse-projection-rows": (
        "sklearn.random_projection.SparseRandomProjection",
        {"n_components_": 4},
        milo_codec.InvariantError,
        "$.model.state.components_: has shape [3, 5] but n_components_ and n_features_in_ "
        "make [4, 5]",
    ),
    "minibatch-nmf-exponent": (
        "sklearn.decomposition.MiniBatchNMF",
        {"_gamma": 1e9},
        milo_codec.InvariantError,
        "$.model.state._gamma: is 1000000000.0 but beta loss 2.0 makes it 1.0",
    ),
    "target-encoder-infrequent": (
        "sklearn.preprocessing.TargetEncoder",
        {"_infrequent_enabled": True},
        milo_codec.SchemaError,
        "$.model.state._infrequent_enabled",
    ),
}


@pytest.mark.parametrize(
    ("class_path", "values", "error", "expected"), COUNT_CASES.values(), ids=list(COUNT_CASES)
)
def test_a_count_fit_did_not_derive_is_refused(
    class_path: str, values: dict[str, Any], error: type, expected: str
) -> None:
    doc = first_recipe_doc(class_path)
    doc["model"]["state"].update(values)
    with pytest.raises(error) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)
