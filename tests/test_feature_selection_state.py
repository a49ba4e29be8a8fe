"""Feature selectors: what dump refuses, and crafted files refused with the JSON path of the
problem before anything is built.

Selectors run no compiled code of their own: they index X with a boolean mask and hand the
selected columns to an estimator whose own invariants are checked by its own schema. So crafted
files are loaded in this process; each one starts as the dump of a real fitted model with one
field changed.
"""

from __future__ import annotations

import copy
import functools
import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc
from equality import assert_identical
from recipes_feature_selection import RECIPES
from sklearn import feature_selection as fs
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import milo_codec
from milo_codec import InvariantError, SchemaError, UnsupportedModelError

X = np.random.RandomState(0).randn(40, 5)
y = np.arange(40) % 2
SCORE_FUNCTIONS = (
    "'sklearn.feature_selection.chi2', 'sklearn.feature_selection.f_classif', "
    "'sklearn.feature_selection.f_regression', 'sklearn.feature_selection.mutual_info_classif', "
    "'sklearn.feature_selection.mutual_info_regression', 'sklearn.feature_selection.r_regression'"
)


def _fitted(cls_name: str, recipe_id: str) -> Any:
    recipe = next(r for r in RECIPES[cls_name](getattr(fs, cls_name)) if r.id == recipe_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recipe.fit().estimator


_DOCS: dict[tuple[str, str], dict] = {}


def _doc(cls_name: str, recipe_id: str) -> dict:
    key = (cls_name, recipe_id)
    if key not in _DOCS:
        _DOCS[key] = editable_doc(_fitted(cls_name, recipe_id))
    return copy.deepcopy(_DOCS[key])


def _problems(doc: dict) -> list[str]:
    return [str(p) for p in milo_codec.validate(json.dumps(doc)).problems]


def _array(doc: dict, *path: str) -> dict:
    node = doc["model"]
    for key in path:
        node = node[key]
    return node["ndarray"]


# ---------------------------------------------------------------------------
# Dump refuses what a file cannot name


def _double_scores(X: Any, y: Any) -> Any:
    return fs.f_classif(X, y)[0] * 2


@pytest.mark.parametrize(
    "score_func",
    [
        pytest.param(_double_scores, id="function"),
        pytest.param(functools.partial(fs.f_classif), id="partial"),
        pytest.param(lambda X, y: fs.f_classif(X, y), id="lambda"),
    ],
)
def test_a_score_function_outside_the_list_is_refused_at_dump(score_func: Any) -> None:
    model = fs.SelectKBest(score_func, k=2).fit(X, y)
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(model)
    message = str(e.value)
    named = {
        _double_scores: "test_feature_selection_state._double_scores",
        fs.f_classif: "functools.partial(sklearn.feature_selection._univariate_selection.f_classif)",
    }.get(getattr(score_func, "func", score_func), "test_feature_selection_state.<lambda>")
    assert message.startswith(f"$.model.params.score_func: the callable {named} cannot be written")
    assert "cannot be written: a file may only name functions from the allow-list (" in message
    for name in ("f_classif", "f_regression", "r_regression", "chi2", "mutual_info_classif"):
        assert f"sklearn.feature_selection.{name}" in message


def test_a_listed_function_that_is_not_a_score_function_is_refused_at_dump() -> None:
    model = fs.SelectKBest(fs.f_classif, k=2).fit(X, y)
    model.score_func = np.log
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert str(e.value).endswith(
        f"  $.model.params.score_func.function: expected one of {SCORE_FUNCTIONS}"
    )


def _half(X: Any) -> int:
    return X.shape[1] // 2


@pytest.mark.parametrize(
    "model, where",
    [
        (
            lambda: fs.SelectFromModel(LogisticRegression(), max_features=_half),
            "$.model.params.max_features",
        ),
        (
            lambda: fs.SelectFromModel(LogisticRegression(), importance_getter=lambda m: m.coef_),
            "$.model.params.importance_getter",
        ),
        (
            lambda: fs.RFE(Ridge(), importance_getter=lambda m: m.coef_),
            "$.model.params.importance_getter",
        ),
        (
            lambda: fs.RFECV(LogisticRegression(), cv=3, scoring=make_scorer(_agreement)),
            "$.model.params.scoring",
        ),
        (
            lambda: fs.SequentialFeatureSelector(
                LogisticRegression(), cv=3, scoring=lambda est, X, y: 0.0
            ),
            "$.model.params.scoring",
        ),
    ],
)
def test_callables_in_model_selectors_are_refused_at_dump(
    model: Callable[[], Any], where: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model().fit(X, y)
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(fitted)
    assert str(e.value).startswith(f"{where}: ")


def _agreement(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(y_true == y_pred))


def test_a_splitter_and_a_named_scorer_object_round_trip() -> None:
    """A scorer built from a listed metric is written by its name; a splitter by its settings."""
    model = fs.RFECV(
        LogisticRegression(),
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=make_scorer(accuracy_score),
    ).fit(X, y)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert_identical(vars(model), vars(loaded), "__dict__")
    assert_identical(model.transform(X), loaded.transform(X), "transform()")


# ---------------------------------------------------------------------------
# Crafted files: closed lists and patterns are schema errors


def test_a_file_cannot_name_a_function_outside_the_score_functions() -> None:
    doc = _doc("SelectKBest", "f_classif-nan-scores")
    for name in ("os.system", "numpy.log", "builtins.eval"):
        doc["model"]["params"]["score_func"] = {"function": name}
        assert _problems(doc) == [
            f"$.model.params.score_func.function: expected one of {SCORE_FUNCTIONS}"
        ]
        with pytest.raises(SchemaError):
            milo_codec.loads(json.dumps(doc))


@pytest.mark.parametrize(
    "getter",
    ["__class__", "_private", "coef_.__class__", "named_steps.__dict__", "a__b", "coef_[0]", ""],
)
def test_importance_getter_must_be_a_dotted_public_attribute_path(getter: str) -> None:
    for cls_name, recipe in (
        ("SelectFromModel", "importance-getter-path-norm-order-2"),
        ("RFE", "importance-getter-path"),
    ):
        doc = _doc(cls_name, recipe)
        doc["model"]["params"]["importance_getter"] = getter
        (problem,) = _problems(doc)
        assert problem.startswith("$.model.params.importance_getter: ")


def test_dotted_public_importance_getters_are_accepted() -> None:
    doc = _doc("SelectFromModel", "importance-getter-path-norm-order-2")
    for getter in ("auto", "coef_", "feature_importances_", "named_steps.clf.coef_"):
        doc["model"]["params"]["importance_getter"] = getter
        assert _problems(doc) == []


@pytest.mark.parametrize("threshold", ["max", "2*max", "mean; x", "1.2.3*mean", "*mean", "mean*2"])
def test_threshold_strings_are_mean_median_or_scaled(threshold: str) -> None:
    doc = _doc("SelectFromModel", "scaled-mean-max-features-sparse")
    doc["model"]["params"]["threshold"] = threshold
    assert [p.split(": ")[0] for p in _problems(doc)] == ["$.model.params.threshold"]


def test_threshold_strings_sklearn_reads_are_accepted() -> None:
    doc = _doc("SelectFromModel", "scaled-mean-max-features-sparse")
    for threshold in ("mean", "median", "1.25*mean", "0.5 * median", ".5*mean", "1e-3*median"):
        doc["model"]["params"]["threshold"] = threshold
        assert _problems(doc) == []


def test_scoring_is_a_scorer_name() -> None:
    doc = _doc("RFECV", "ridge-scoring-min-features")
    doc["model"]["params"]["scoring"] = "os.system"
    (problem,) = _problems(doc)
    assert problem.startswith("$.model.params.scoring: ")


# ---------------------------------------------------------------------------
# Crafted files: masks, ranks and fitted parts that disagree


def _mutate(doc: dict, change: Callable[[dict], None]) -> dict:
    change(doc["model"])
    return doc


def _shorten(array: dict) -> None:
    array["shape"] = [array["shape"][0] - 1]
    array["data"] = array["data"][:-1]


def test_a_support_mask_of_the_wrong_length_is_refused() -> None:
    for cls_name, recipe in (
        ("RFE", "logistic"),
        ("RFECV", "logistic-cv3"),
        ("SequentialFeatureSelector", "forward-int"),
    ):
        doc = _doc(cls_name, recipe)
        _shorten(_array(doc, "state", "support_"))
        problems = _problems(doc)
        assert problems and problems[0].startswith("$.model.state.support_: "), problems
        with pytest.raises(InvariantError):
            milo_codec.loads(json.dumps(doc))


def test_per_feature_arrays_of_the_wrong_length_are_refused() -> None:
    for cls_name, recipe, field in (
        ("VarianceThreshold", "dense", "variances_"),
        ("SelectKBest", "f_classif-nan-scores", "scores_"),
        ("SelectKBest", "f_classif-nan-scores", "pvalues_"),
        ("GenericUnivariateSelect", "fdr", "scores_"),
        ("RFE", "logistic", "ranking_"),
    ):
        doc = _doc(cls_name, recipe)
        _shorten(_array(doc, "state", field))
        problems = _problems(doc)
        assert [p.split(": ")[0] for p in problems] == [f"$.model.state.{field}"], problems


def _flip_first_unselected(model: dict) -> None:
    support = model["state"]["support_"]["ndarray"]["data"]
    i = support.index(False)
    support[i] = True
    model["state"]["ranking_"]["ndarray"]["data"][i] = 1
    model["state"]["n_features_"]["int64"] += 1


CRAFTED: list[tuple[str, str, Callable[[dict], None], str]] = [
    (
        "RFE",
        "logistic",
        lambda m: m["state"]["ranking_"]["ndarray"]["data"].__setitem__(
            m["state"]["support_"]["ndarray"]["data"].index(False), 1
        ),
        "$.model.state.ranking_: must be 1 exactly where support_ is true",
    ),
    (
        "RFE",
        "logistic",
        lambda m: m["state"]["ranking_"]["ndarray"]["data"].__setitem__(
            m["state"]["support_"]["ndarray"]["data"].index(False), 0
        ),
        "$.model.state.ranking_: ranks start at 1",
    ),
    (
        "RFE",
        "logistic",
        lambda m: m["state"]["n_features_"].__setitem__("int64", 3),
        "$.model.state.n_features_: is 3 but support_ selects 2",
    ),
    (
        "RFE",
        "logistic",
        _flip_first_unselected,
        "$.model.state.estimator_: was fitted on 2 features but support_ selects 3",
    ),
    (
        "RFECV",
        "logistic-cv3",
        _flip_first_unselected,
        "$.model.state.estimator_: was fitted on 1 features but support_ selects 2",
    ),
    (
        "RFE",
        "logistic",
        lambda m: m["params"].__setitem__(
            "estimator", json.loads(milo_codec.dumps(Ridge()))["model"]
        ),
        "$.model.state.estimator_: must be a fitted sklearn.linear_model.Ridge (the estimator "
        "parameter), not sklearn.linear_model.LogisticRegression",
    ),
    (
        "SelectFromModel",
        "prefit-inf-norm",
        lambda m: m["state"].__setitem__(
            "estimator_", json.loads(milo_codec.dumps(LogisticRegression()))["model"]
        ),
        "$.model.state.estimator_: must be fitted",
    ),
    (
        "SelectFromModel",
        "prefit-inf-norm",
        lambda m: m["state"].__setitem__("max_features_", 2),
        "$.model.state.max_features_: must be absent when max_features is null",
    ),
    (
        "SelectFromModel",
        "scaled-mean-max-features-sparse",
        lambda m: m["state"].__setitem__("max_features_", 5),
        "$.model.state.max_features_: must equal max_features (2)",
    ),
    (
        "SelectFromModel",
        "forest-median-pandas-output",
        lambda m: m["state"].__setitem__(
            "feature_names_in_",
            {"ndarray": {"dtype": "object", "shape": [2], "data": ["a", "b"]}},
        ),
        "$.model.state.feature_names_in_: has 2 names but the estimator's n_features_in_ is 6",
    ),
    (
        "SelectKBest",
        "f_classif-nan-scores",
        lambda m: m["state"].__setitem__("pvalues_", None),
        "$.model.state.pvalues_: is missing: sklearn.feature_selection.f_classif gives p-values",
    ),
    (
        "SelectKBest",
        "mutual_info-dataframe",
        lambda m: m["state"].__setitem__(
            "pvalues_", {"ndarray": {"dtype": "float64", "shape": [6], "data": [0.5] * 6}}
        ),
        "$.model.state.pvalues_: must be null: sklearn.feature_selection.mutual_info_classif "
        "gives no p-values",
    ),
    (
        "GenericUnivariateSelect",
        "k_best",
        lambda m: m["params"].__setitem__("param", 0.5),
        "$.model.params.param: mode 'k_best' needs an integer or 'all', not 0.5",
    ),
    (
        "GenericUnivariateSelect",
        "fdr",
        lambda m: m["params"].__setitem__("param", "all"),
        "$.model.params.param: mode 'fdr' needs a number in [0, 1], not 'all'",
    ),
    (
        "GenericUnivariateSelect",
        "percentile",
        lambda m: m["params"].__setitem__("param", 150),
        "$.model.params.param: mode 'percentile' needs a number in [0, 100], not 150",
    ),
    (
        "RFECV",
        "logistic-cv3",
        lambda m: m["state"]["cv_results_"]["dict"].pop("split2_support"),
        "$.model.state.cv_results_: keys must be ['mean_test_score', 'std_test_score', "
        "'split0_test_score', 'split1_test_score', 'split2_test_score', 'split0_ranking', "
        "'split1_ranking', 'split2_ranking', 'split0_support', 'split1_support', "
        "'split2_support', 'n_features']",
    ),
    (
        "RFECV",
        "logistic-cv3",
        lambda m: m["params"].__setitem__("cv", 4),
        "$.model.state.cv_results_: holds 3 folds but cv gives 4",
    ),
    (
        "RFECV",
        "logistic-cv3",
        lambda m: _shorten(m["state"]["cv_results_"]["dict"]["split1_test_score"]["ndarray"]),
        "$.model.state.cv_results_.split1_test_score: must be float64 of shape [6], not "
        "float64 [5]",
    ),
    (
        "SequentialFeatureSelector",
        "forward-int",
        lambda m: m["state"]["n_features_to_select_"].__setitem__("int64", 3),
        "$.model.state.n_features_to_select_: is 3 but support_ selects 2",
    ),
    (
        "SequentialFeatureSelector",
        "forward-int",
        lambda m: m["params"].__setitem__("n_features_to_select", 3),
        "$.model.state.n_features_to_select_: is 2 but n_features_to_select asks for 3",
    ),
]


@pytest.mark.parametrize(
    "cls_name, recipe, change, expected",
    [pytest.param(*case, id=f"{case[0]}-{i}") for i, case in enumerate(CRAFTED)],
)
def test_crafted_files_are_refused_with_the_path(
    cls_name: str, recipe: str, change: Callable[[dict], None], expected: str
) -> None:
    doc = _mutate(_doc(cls_name, recipe), change)
    assert _problems(doc) == [expected]
    with pytest.raises(InvariantError):
        milo_codec.loads(json.dumps(doc))


# ---------------------------------------------------------------------------
# Selectors as pipeline steps


def test_selectors_inside_a_pipeline_read_back_identical() -> None:
    Xc = X.copy()
    Xc[:, 0] += 2 * y
    for selector in (
        fs.SelectKBest(k=2),
        fs.VarianceThreshold(0.5),
        fs.RFE(LogisticRegression(), n_features_to_select=2),
        fs.SelectFromModel(Ridge()),
    ):
        model = make_pipeline(StandardScaler(), selector, LogisticRegression()).fit(Xc, y)
        loaded = milo_codec.loads(milo_codec.dumps(model))
        for method in ("predict", "predict_proba", "decision_function"):
            assert_identical(getattr(model, method)(Xc), getattr(loaded, method)(Xc), method)
        assert_identical(
            model[1].get_support(), loaded[1].get_support(), f"{type(selector).__name__} support"
        )
