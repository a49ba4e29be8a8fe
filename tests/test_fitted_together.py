"""A fitted model holds every attribute its fit sets, or none of them.

Some estimators set non-parameter attributes in ``__init__`` (a forest's estimator_params, an
SVM's epsilon, a halving search's pre_dispatch), so even an unfitted one has a state and its
schema lists the fitted attributes as optional. A file that keeps only some of them would be
a half-built model: it loaded and then raised AttributeError in predict (fuzzing found an
AdaBoostClassifier without classes_). Each such schema names an anchor, an attribute every
fit sets, in a ``dependentRequired`` on its fitted state: the anchor requires every other
attribute that all fits set, and each of those requires the anchor. Any JSON Schema validator
checks it, and milo_codec refuses a partly fitted state as a SchemaError at the missing
attribute's path. (Where the unfitted state is null, the schema simply requires them.)
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from crafted import editable_doc, first_recipe_doc, query_outcome
from jsonschema import Draft202012Validator
from recipes import INFERENCE_METHODS, first_recipe
from sklearn.base import clone
from test_schemas import BASE, registry

import milo_codec
from milo_codec.codecs.registry import codec_for
from milo_codec.errors import Problem

# class → its anchor: the attribute every fit sets that the others are tied to
ANCHORS: dict[str, str] = {
    "sklearn.covariance.GraphicalLasso": "n_features_in_",
    "sklearn.covariance.GraphicalLassoCV": "n_features_in_",
    "sklearn.cross_decomposition.CCA": "n_features_in_",
    "sklearn.cross_decomposition.PLSCanonical": "n_features_in_",
    "sklearn.cross_decomposition.PLSRegression": "n_features_in_",
    "sklearn.ensemble.AdaBoostClassifier": "estimators_",
    "sklearn.ensemble.AdaBoostRegressor": "estimators_",
    "sklearn.ensemble.BaggingClassifier": "estimators_",
    "sklearn.ensemble.BaggingRegressor": "estimators_",
    "sklearn.ensemble.ExtraTreesClassifier": "estimators_",
    "sklearn.ensemble.ExtraTreesRegressor": "estimators_",
    "sklearn.ensemble.GradientBoostingClassifier": "estimators_",
    "sklearn.ensemble.IsolationForest": "estimators_",
    "sklearn.ensemble.RandomForestClassifier": "estimators_",
    "sklearn.ensemble.RandomForestRegressor": "estimators_",
    "sklearn.ensemble.RandomTreesEmbedding": "estimators_",
    "sklearn.ensemble.StackingRegressor": "estimators_",
    "sklearn.model_selection.HalvingGridSearchCV": "cv_results_",
    "sklearn.model_selection.HalvingRandomSearchCV": "cv_results_",
    "sklearn.semi_supervised.LabelPropagation": "n_features_in_",
    "sklearn.svm.NuSVC": "n_features_in_",
    "sklearn.svm.NuSVR": "n_features_in_",
    "sklearn.svm.OneClassSVM": "n_features_in_",
    "sklearn.svm.SVC": "n_features_in_",
    "sklearn.svm.SVR": "n_features_in_",
    "sklearn.tree.DecisionTreeRegressor": "n_features_in_",
    "sklearn.tree.ExtraTreeRegressor": "n_features_in_",
}

_CLASSES = ("classes_", "n_classes_")
_FOREST = ("_n_samples", "_n_samples_bootstrap", "_sample_weight")
_HALVING = (
    "_n_samples_orig",
    "_checked_cv_orig",
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
)
# class → the attributes, found by dropping each one fit always sets from such a file (each
# class's anchor is dropped below)
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


def _class(class_path: str) -> type:
    module, name = class_path.rsplit(".", 1)
    if name.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    return getattr(importlib.import_module(module), name)


@functools.cache
def _fitted_text(class_path: str) -> str:
    """The editable document of the class's first recipe, fitted once per test run."""
    return json.dumps(first_recipe_doc(class_path))


def _partly_fitted(class_path: str, field: str) -> dict:
    doc = json.loads(_fitted_text(class_path))
    state: dict[str, Any] = doc["model"]["state"]
    assert field in state, "the recipe's fit no longer sets it: update DROPPED"
    del state[field]
    return doc


def _dependent_required(class_path: str) -> dict[str, tuple[str, ...]]:
    codec = codec_for(milo_codec.supported_models()[class_path])
    assert codec is not None
    return dict(codec.dependent_required)


CASES = [(cls, field) for cls, fields in DROPPED.items() for field in fields]


@pytest.mark.parametrize(
    ("class_path", "field"), CASES, ids=[f"{c.rsplit('.', 1)[1]}-{f}" for c, f in CASES]
)
def test_a_partly_fitted_state_is_refused_at_the_missing_attribute(
    class_path: str, field: str
) -> None:
    doc = _partly_fitted(class_path, field)
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    anchor = ANCHORS[class_path]
    assert e.value.problems == (
        Problem(
            f"$.model.state.{field}", f"is missing: a fitted model that has {anchor} has it too"
        ),
    )


@pytest.mark.parametrize("class_path", sorted(ANCHORS), ids=lambda c: c.rsplit(".", 1)[1])
def test_a_state_without_its_anchor_is_refused_at_the_anchor(class_path: str) -> None:
    anchor = ANCHORS[class_path]
    doc = _partly_fitted(class_path, anchor)
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    [problem] = e.value.problems
    assert problem.path == f"$.model.state.{anchor}"
    assert re.fullmatch(r"is missing: a fitted model that has \w+ has it too", problem.message)


@pytest.mark.parametrize("class_path", sorted(ANCHORS), ids=lambda c: c.rsplit(".", 1)[1])
def test_any_json_schema_validator_refuses_a_partly_fitted_state(class_path: str) -> None:
    """The rule is standard draft 2020-12, not milo_codec's own: ``jsonschema`` (and ajv, in
    tools/node/check.mjs) refuses the same file for the same reason."""
    validator = Draft202012Validator({"$ref": BASE + "envelope/v1.json"}, registry=registry())
    required = _dependent_required(class_path)[ANCHORS[class_path]]
    assert list(validator.iter_errors(json.loads(_fitted_text(class_path)))) == []
    doc = _partly_fitted(class_path, required[0])
    errors = list(validator.iter_errors(doc))
    causes = [c for e in errors for c in e.context if c.validator == "dependentRequired"]
    assert [e.json_path for e in errors] == ["$.model.state"]
    assert [c.message for c in causes] == [
        f"{required[0]!r} is a dependency of {ANCHORS[class_path]!r}"
    ]


@pytest.mark.parametrize("class_path", sorted(ANCHORS), ids=lambda c: c.rsplit(".", 1)[1])
def test_the_anchor_ties_every_attribute_fit_sets_and_no_constructor_attribute(
    class_path: str,
) -> None:
    """The anchor form: the anchor requires what every fit sets, each of those requires the
    anchor (so all or none), and attributes only some fits set require the anchor too where
    the unfitted state admits nothing else (LabelPropagation: alpha alone). Checked against a
    real fit and the unfitted clone of the same estimator."""
    anchor = ANCHORS[class_path]
    rules = _dependent_required(class_path)
    required = rules.pop(anchor)
    assert rules == {name: (anchor,) for name in rules}
    assert set(required) <= set(rules)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = first_recipe(_class(class_path)).fit().estimator
        unfitted = json.loads(milo_codec.dumps(clone(fitted)))["model"]["state"]
    fitted_state = json.loads(_fitted_text(class_path))["model"]["state"]
    assert {anchor, *required} <= set(fitted_state)
    assert not {anchor, *rules} & set(unfitted)


@pytest.mark.parametrize("class_path", sorted(ANCHORS), ids=lambda c: c.rsplit(".", 1)[1])
def test_the_unfitted_state_still_loads(class_path: str) -> None:
    """The constructor's attributes alone are an unfitted model, written and read as such."""
    model = clone(first_recipe(_class(class_path)).fit().estimator)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert type(loaded) is type(model)
    assert sorted(vars(loaded)) == sorted(vars(model))


def test_a_partly_fitted_member_is_refused_at_its_own_path() -> None:
    """A forest's members are regression trees, whose own schema ties tree_ to n_features_in_."""
    doc = json.loads(_fitted_text("sklearn.ensemble.RandomForestRegressor"))
    del doc["model"]["state"]["estimators_"][1]["state"]["tree_"]
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert e.value.problems == (
        Problem(
            "$.model.state.estimators_[1].state.tree_",
            "is missing: a fitted model that has n_features_in_ has it too",
        ),
    )


def test_other_schema_problems_of_the_state_are_reported_with_it() -> None:
    """As a JSON Schema validator reports every failed keyword, not the first."""
    doc = _partly_fitted("sklearn.svm.SVC", "support_")
    doc["model"]["state"]["fit_status_"] = 7
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert e.value.problems == (
        Problem("$.model.state.fit_status_", "expected 0 or 1"),
        Problem(
            "$.model.state.support_",
            "is missing: a fitted model that has n_features_in_ has it too",
        ),
    )


def test_an_unfitted_label_propagation_holds_alpha_alone() -> None:
    """Its constructor sets alpha; anything else, even an attribute only some fits set (nn_fit
    with kernel="knn", feature_names_in_ from a DataFrame), belongs to a fitted model."""
    import pandas as pd
    from sklearn.semi_supervised import LabelPropagation

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    doc = editable_doc(LabelPropagation().fit(X, [0, 1, -1, -1]))
    state = doc["model"]["state"]
    doc["model"]["state"] = {
        "alpha": state["alpha"],
        "feature_names_in_": state["feature_names_in_"],
    }
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert e.value.problems == (
        Problem(
            "$.model.state.n_features_in_",
            "is missing: a fitted model that has feature_names_in_ has it too",
        ),
    )


@pytest.mark.parametrize("class_path", sorted(c for c in ANCHORS if "Halving" in c))
def test_a_refitted_search_without_its_refit_time_is_refused(class_path: str) -> None:
    """refit_time_ is set only by a search that refits, so the anchor cannot require it; the
    search_refit invariant ties it to best_estimator_."""
    doc = _partly_fitted(class_path, "refit_time_")
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert e.value.problems == (Problem("$.model.state", "a refitted search holds refit_time_"),)


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
