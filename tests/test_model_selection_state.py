"""Model selection objects: splitters yield the same folds after loading, distributions draw
the same candidates, scorers and distributions outside the closed tables are refused when
writing, and crafted documents (searches, threshold classifiers, their object kinds and
masked results) are refused with the JSON path of the problem before anything is built.

Nothing here reaches compiled code (searches and threshold classifiers are pure Python over
their estimators, each checked by its own schema), so crafted files load in-process.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.stats as st
from equality import assert_identical
from recipes_model_selection import RECIPES
from sklearn.base import clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, get_scorer, make_scorer
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    LeaveOneGroupOut,
    LeaveOneOut,
    LeavePGroupsOut,
    LeavePOut,
    ParameterSampler,
    PredefinedSplit,
    RandomizedSearchCV,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
    TunedThresholdClassifierCV,
)

import milo_codec
from milo_codec.errors import InvariantError, SchemaError, UnsupportedModelError

_X = np.random.RandomState(0).randn(24, 3)
_Y = np.arange(24) % 2
_GROUPS = np.arange(24) % 6


def _splitters() -> list[Any]:
    return [
        KFold(4),
        KFold(3, shuffle=True, random_state=5),
        KFold(3, shuffle=True, random_state=np.random.RandomState(2)),
        StratifiedKFold(3, shuffle=True, random_state=1),
        GroupKFold(3),
        GroupKFold(3, shuffle=True, random_state=np.random.RandomState(4)),
        StratifiedGroupKFold(3, shuffle=True, random_state=0),
        TimeSeriesSplit(3, max_train_size=10, test_size=4, gap=1),
        ShuffleSplit(4, test_size=0.25, random_state=np.random.RandomState(9)),
        ShuffleSplit(2, test_size=5, train_size=10, random_state=0),
        StratifiedShuffleSplit(3, test_size=0.3, random_state=7),
        GroupShuffleSplit(3, train_size=0.5, random_state=np.random.RandomState(3)),
        RepeatedKFold(n_splits=3, n_repeats=2, random_state=np.random.RandomState(8)),
        RepeatedStratifiedKFold(n_splits=2, n_repeats=3, random_state=11),
        LeaveOneOut(),
        LeavePOut(2),
        LeaveOneGroupOut(),
        LeavePGroupsOut(2),
        PredefinedSplit(np.arange(24) % 3 - 1),
    ]


def _round_trip(est: Any) -> Any:
    text = milo_codec.dumps(est)
    loaded = milo_codec.loads(text)
    assert milo_codec.dumps(loaded) == text
    return loaded


@pytest.mark.parametrize("splitter", _splitters(), ids=lambda s: type(s).__name__)
def test_splitter_yields_the_same_folds_after_loading(splitter: Any) -> None:
    search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=splitter)
    loaded = _round_trip(search).cv
    assert type(loaded) is type(splitter)
    assert_identical(vars(splitter), vars(loaded), "splitter")
    # twice: a RandomState advances with every split(), on both sides alike
    for _ in range(2):
        before = list(splitter.split(_X, _Y, _GROUPS))
        after = list(loaded.split(_X, _Y, _GROUPS))
        assert_identical(before, after, "folds")
    assert splitter.get_n_splits(_X, _Y, _GROUPS) == loaded.get_n_splits(_X, _Y, _GROUPS)


def test_index_pair_cv_round_trips_sharing_its_arrays() -> None:
    splits = list(KFold(3).split(_X))
    search = GridSearchCV(LogisticRegression(), {"C": [0.5, 1.0]}, cv=splits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(_X, _Y)
    text = milo_codec.dumps(search)
    assert '{"alias": "$.model.params.cv[0][0]"}' in text
    loaded = milo_codec.loads(text)
    assert_identical(vars(search), vars(loaded), "__dict__")
    assert loaded._checked_cv_orig.cv[0][0] is loaded.cv[0][0]
    assert_identical(list(search.cv), list(loaded._checked_cv_orig.split(_X, _Y)), "folds")
    generator = GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=KFold(3).split(_X))
    assert "$.model.params.cv" in _refusal(generator)


def test_grids_over_allowed_functions_round_trip_and_others_are_refused() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = Pipeline([("f", FunctionTransformer()), ("r", Ridge())])
    search = GridSearchCV(pipe, {"f__func": [None, np.log1p, np.sqrt]}, cv=3)
    search.fit(np.abs(_X), _X[:, 0])
    loaded = _round_trip(search)
    assert_identical(vars(search), vars(loaded), "__dict__")
    assert loaded.cv_results_["param_f__func"][1] is np.log1p
    message = _refusal(GridSearchCV(pipe, {"f__func": [np.log1p, lambda x: x]}))
    assert "$.model.params.param_grid.f__func[1]" in message and "numpy.log1p" in message


def test_unfitted_and_single_metric_named_refit_searches_round_trip() -> None:
    from sklearn.model_selection import HalvingGridSearchCV, HalvingRandomSearchCV

    for search in (
        HalvingGridSearchCV(LogisticRegression(), {"C": [1.0, 2.0]}, factor=2.5),
        HalvingRandomSearchCV(LogisticRegression(), {"C": st.uniform()}, n_candidates=3),
        TunedThresholdClassifierCV(LogisticRegression(), cv=0.25, thresholds=[0.2, 0.5]),
    ):
        loaded = _round_trip(search)
        assert_identical(vars(search), vars(loaded), "__dict__")
    tuned = TunedThresholdClassifierCV(LogisticRegression(), thresholds=[0.3, 0.5, 0.7])
    loaded = _round_trip(tuned.fit(_X, _Y))
    assert_identical(vars(tuned), vars(loaded), "__dict__")
    shared = st.uniform(0.5, 1.0)
    search = RandomizedSearchCV(LogisticRegression(), {"C": shared, "tol": shared}, n_iter=2)
    loaded = _round_trip(search)
    assert loaded.param_distributions["C"] is loaded.param_distributions["tol"]
    single = GridSearchCV(LogisticRegression(), {"C": [1.0, 2.0]}, refit="anything", cv=3)
    loaded = _round_trip(single.fit(_X, _Y))
    assert_identical(single.predict(_X), loaded.predict(_X), "predict")


def test_shared_random_state_stays_shared() -> None:
    rs = np.random.RandomState(3)
    search = RandomizedSearchCV(
        LogisticRegression(),
        {"C": st.uniform(0.1, 2.0)},
        n_iter=2,
        random_state=rs,
        cv=KFold(3, shuffle=True, random_state=rs),
    )
    text = milo_codec.dumps(search)
    assert '"random_state": {"alias": "$.model.params.random_state"}' in text
    loaded = milo_codec.loads(text)
    assert loaded.cv.random_state is loaded.random_state


def test_distributions_draw_the_same_candidates_after_loading() -> None:
    frozen = st.norm(1.0, 0.5)
    frozen.random_state = 42  # a distribution's own generator, used when sampled directly
    distributions = {
        "C": st.loguniform(1e-3, 1e2),
        "l1_ratio": st.uniform(0, 1),
        "max_iter": st.randint(50, 200),
        "tol": st.expon(scale=1e-4),
        "intercept_scaling": frozen,
        "fit_intercept": [True, False],
    }
    search = RandomizedSearchCV(LogisticRegression(), distributions, n_iter=6, random_state=0)
    loaded = _round_trip(search)
    assert_identical(search.get_params(deep=False), loaded.get_params(deep=False), "params")
    before = list(ParameterSampler(search.param_distributions, 6, random_state=0))
    after = list(ParameterSampler(loaded.param_distributions, 6, random_state=0))
    assert_identical(before, after, "candidates")
    original = search.param_distributions["intercept_scaling"]
    again = loaded.param_distributions["intercept_scaling"]
    assert_identical(original.rvs(size=4), again.rvs(size=4), "own random state")


def test_cloned_searches_keep_their_deep_copied_distributions() -> None:
    # clone deep-copies a search's distributions; the copies differ from freshly frozen ones
    # only in attribute order and in holding a copy of numpy's global generator
    template = RandomizedSearchCV(
        LogisticRegression(),
        {"C": st.loguniform(1e-2, 1e2), "tol": st.uniform(1e-4, 1e-3)},
        n_iter=3,
        cv=2,
        random_state=0,
    )
    for search in (clone(template), clone(template).fit(_X, _Y)):
        loaded = _round_trip(search)
        assert_identical(search.get_params(deep=False), loaded.get_params(deep=False), "params")
        before = list(ParameterSampler(search.param_distributions, 5, random_state=1))
        after = list(ParameterSampler(loaded.param_distributions, 5, random_state=1))
        assert_identical(before, after, "candidates")
        own = search.param_distributions["C"].dist._random_state
        again = loaded.param_distributions["C"].dist._random_state
        assert own is not np.random.mtrand._rand
        assert_identical(own.get_state(), again.get_state(), "copied global generator")


def _refusal(est: Any) -> str:
    with pytest.raises(UnsupportedModelError) as info:
        milo_codec.dumps(est)
    return str(info.value)


def _custom_score(estimator: Any, X: Any, y: Any) -> float:
    return 0.0


def _custom_metric(y_true: Any, y_pred: Any) -> float:
    return 0.0


def test_custom_scoring_is_refused_naming_it_and_the_allowed_scorers() -> None:
    for scoring in (_custom_score, make_scorer(_custom_metric), {"mine": _custom_score}):
        message = _refusal(GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=scoring))
        assert "$.model.params.scoring" in message
        assert "_custom_score" in message or "_custom_metric" in message
        assert "balanced_accuracy" in message and "neg_log_loss" in message


def test_named_scorer_objects_are_written_by_name() -> None:
    for scoring, refit in (
        (get_scorer("accuracy"), True),
        ({"acc": get_scorer("accuracy"), "f1": "f1"}, "acc"),
    ):
        search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=scoring, refit=refit)
        text = milo_codec.dumps(search.fit(_X, _Y))
        assert '{"scorer": {"name": "accuracy"}}' in text
        loaded = milo_codec.loads(text)
        # the scorer given is the very scorer the search keeps
        kept = loaded.scorer_["acc"] if refit == "acc" else loaded.scorer_
        given = loaded.scoring["acc"] if refit == "acc" else loaded.scoring
        assert kept is given
    same = make_scorer(accuracy_score)  # exactly the named scorer: written by its name
    assert '{"scorer": {"name": "accuracy"}}' in milo_codec.dumps(
        GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=same)
    )
    other = make_scorer(accuracy_score, normalize=False)  # other arguments: another scorer
    message = _refusal(GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=other))
    assert "accuracy_score" in message
    tuned = TunedThresholdClassifierCV(LogisticRegression(), scoring=make_scorer(_custom_metric))
    assert "_custom_metric" in _refusal(tuned.fit(_X, _Y))


def test_distributions_outside_the_table_are_refused() -> None:
    message = _refusal(RandomizedSearchCV(LogisticRegression(), {"C": st.cauchy(0, 1)}))
    assert "$.model.params.param_distributions.C" in message
    assert "cauchy" in message and "loguniform" in message
    changed = st.uniform(0, 1)
    changed.a = 0.5  # not what freezing uniform(0, 1) makes
    assert "changed" in _refusal(RandomizedSearchCV(LogisticRegression(), {"C": changed}))


def test_changed_splitters_are_refused() -> None:
    splitter = KFold(3)
    splitter.n_splits = np.int64(4)
    message = _refusal(GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=splitter))
    assert "$.model.params.cv" in message and "KFold" in message


def test_callable_refit_is_refused() -> None:
    message = _refusal(GridSearchCV(LogisticRegression(), {"C": [1.0]}, refit=lambda r: 0))
    assert "$.model.params.refit" in message and "name of a metric" in message


# ---------------------------------------------------------------------------
# Crafted documents


def _fitted(cls_name: str, recipe_id: str) -> Any:
    import sklearn.model_selection as ms

    recipe = next(r for r in RECIPES[cls_name](getattr(ms, cls_name)) if r.id == recipe_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recipe.fit().estimator


_DOCS: dict[tuple[str, str], str] = {}


def _doc(cls_name: str, recipe_id: str) -> dict:
    key = (cls_name, recipe_id)
    if key not in _DOCS:
        _DOCS[key] = milo_codec.dumps(_fitted(cls_name, recipe_id))
    return json.loads(_DOCS[key])


def _set(doc: dict, path: list[Any], value: Any) -> None:
    node = doc["model"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _results(doc: dict) -> dict:
    return doc["model"]["state"]["cv_results_"]["dict"]


def _negative_scale(doc: dict) -> None:
    grid = doc["model"]["params"]["param_distributions"][0]["dict"]
    grid["alpha"]["distribution"]["kwds"]["scale"] = -2.0


def _drop_column_entry(doc: dict) -> None:
    col = _results(doc)["mean_fit_time"]["ndarray"]
    col["data"] = col["data"][:-1]
    col["shape"] = [len(col["data"])]


def _mask_shape(doc: dict) -> None:
    m = _results(doc)["param_C"]["masked_array"]["mask"]["ndarray"]
    m["data"], m["shape"] = m["data"][:-1], [len(m["data"]) - 1]


def _mask_dtype(doc: dict) -> None:
    m = _results(doc)["param_C"]["masked_array"]
    m["mask"] = {"ndarray": {"dtype": "int64", "shape": [3], "data": [0, 1, 0]}}


def _rank_range(doc: dict) -> None:
    _results(doc)["rank_test_score"]["ndarray"]["data"][0] = 9


def _split_columns(doc: dict) -> None:
    del _results(doc)["split2_test_score"]


def _drop_best_estimator(doc: dict) -> None:
    del doc["model"]["state"]["best_estimator_"]
    del doc["model"]["state"]["refit_time_"]


CRAFTED: list[tuple[str, tuple[str, str], Callable[[dict], None], type, str]] = [
    (
        "best-index-out-of-range",
        ("GridSearchCV", "refit-int-cv"),
        lambda d: _set(d, ["state", "best_index_"], {"int64": 3}),
        InvariantError,
        "$.model.state.best_index_",
    ),
    (
        "column-length",
        ("GridSearchCV", "refit-int-cv"),
        _drop_column_entry,
        InvariantError,
        "$.model.state.cv_results_.mean_fit_time",
    ),
    (
        "rank-out-of-range",
        ("GridSearchCV", "refit-int-cv"),
        _rank_range,
        InvariantError,
        "$.model.state.cv_results_.rank_test_score",
    ),
    (
        "split-columns",
        ("GridSearchCV", "refit-int-cv"),
        _split_columns,
        InvariantError,
        "split0 .. split2",
    ),
    (
        "mask-shape",
        ("GridSearchCV", "refit-int-cv"),
        _mask_shape,
        SchemaError,
        "param_C.masked_array: mask has shape [2]",
    ),
    (
        "mask-dtype",
        ("GridSearchCV", "refit-int-cv"),
        _mask_dtype,
        SchemaError,
        "param_C.masked_array.mask.ndarray: array is int64",
    ),
    (
        "refit-without-best-estimator",
        ("GridSearchCV", "refit-int-cv"),
        _drop_best_estimator,
        InvariantError,
        "best_estimator_ must be present",
    ),
    (
        "refit-names-no-metric",
        ("GridSearchCV", "multimetric-kfold-train-scores"),
        lambda d: _set(d, ["params", "refit"], "accuracy"),
        InvariantError,
        "$.model.params.refit",
    ),
    (
        "multimetric-flag",
        ("GridSearchCV", "multimetric-kfold-train-scores"),
        lambda d: _set(d, ["state", "multimetric_"], False),
        InvariantError,
        "$.model.state.multimetric_",
    ),
    (
        "unknown-splitter",
        ("GridSearchCV", "multimetric-kfold-train-scores"),
        lambda d: _set(d, ["params", "cv", "cv_splitter", "splitter"], "MySplitter"),
        SchemaError,
        "$.model.params.cv",
    ),
    (
        "seed-without-shuffle",
        ("GridSearchCV", "multimetric-kfold-train-scores"),
        lambda d: _set(d, ["params", "cv", "cv_splitter", "params", "shuffle"], False),
        SchemaError,
        "random_state must not be a seed when shuffle is false",
    ),
    (
        "too-few-folds",
        ("GridSearchCV", "multimetric-kfold-train-scores"),
        lambda d: _set(d, ["params", "cv", "cv_splitter", "params", "n_splits"], 1),
        SchemaError,
        "$.model.params.cv",
    ),
    (
        "unknown-scorer",
        ("GridSearchCV", "multimetric-kfold-train-scores"),
        lambda d: _set(d, ["state", "scorer_", "dict", "r2", "scorer", "name"], "os.system"),
        SchemaError,
        "$.model.state.scorer_",
    ),
    (
        "scorer-import-path",
        ("GridSearchCV", "refit-int-cv"),
        lambda d: _set(d, ["state", "scorer_"], {"scorer": {"function": "builtins.eval"}}),
        SchemaError,
        "$.model.state.scorer_",
    ),
    (
        "unknown-distribution",
        ("RandomizedSearchCV", "loguniform"),
        lambda d: _set(
            d, ["params", "param_distributions", "dict", "C", "distribution", "name"], "levy_stable"
        ),
        SchemaError,
        "$.model.params.param_distributions",
    ),
    (
        "distribution-arguments",
        ("RandomizedSearchCV", "loguniform"),
        lambda d: _set(
            d,
            ["params", "param_distributions", "dict", "C", "distribution", "args"],
            [1.0, 2.0, 3.0, 4.0, 5.0],
        ),
        SchemaError,
        "invalid arguments for loguniform",
    ),
    (
        "distribution-scale",
        ("RandomizedSearchCV", "list-of-distributions-regression"),
        _negative_scale,
        SchemaError,
        "invalid parameters for expon",
    ),
    (
        "halving-schedule",
        ("HalvingGridSearchCV", "n-samples"),
        lambda d: d["model"]["state"]["n_resources_"].append(90),
        InvariantError,
        "$.model.state.n_resources_",
    ),
    (
        "threshold-pos-label",
        ("FixedThresholdClassifier", "float-pos-label-str"),
        lambda d: _set(d, ["params", "pos_label"], "eggs"),
        InvariantError,
        "$.model.params.pos_label",
    ),
    (
        "threshold-curve-lengths",
        ("TunedThresholdClassifierCV", "store-cv-results"),
        lambda d: d["model"]["state"]["cv_results_"]["dict"]["scores"]["ndarray"].update(
            shape=[3], data=[0.1, 0.2, 0.3]
        ),
        InvariantError,
        "$.model.state.cv_results_",
    ),
    (
        "curve-scorer-response",
        ("TunedThresholdClassifierCV", "store-cv-results"),
        lambda d: _set(
            d, ["state", "_curve_scorer", "scorer", "curve", "response_method"], "predict"
        ),
        SchemaError,
        "$.model.state._curve_scorer",
    ),
]


@pytest.mark.parametrize("case", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_documents_are_refused(case: Any) -> None:
    _, (cls_name, recipe_id), edit, error, where = case
    doc = _doc(cls_name, recipe_id)
    milo_codec.loads(json.dumps(doc))  # the untouched document loads
    edit(doc)
    with pytest.raises(error) as info:
        milo_codec.loads(json.dumps(doc))
    assert where in str(info.value), str(info.value)


def test_threshold_classifier_needs_a_binary_estimator() -> None:
    multi = LogisticRegression().fit(_X, np.arange(24) % 3)
    doc = _doc("FixedThresholdClassifier", "auto")
    inner = json.loads(milo_codec.dumps(multi))["model"]
    doc["model"]["state"]["estimator_"] = inner
    with pytest.raises(InvariantError) as info:
        milo_codec.loads(json.dumps(doc))
    assert "binary classifier" in str(info.value)


def test_masked_results_keep_data_mask_and_fill_value() -> None:
    # (not a deep copy: numpy deep-copies a masked array's objects without the memo, which
    # would unshare them from the grid)
    search = _fitted("GridSearchCV", "pipeline-estimator-grid")
    column = search.cv_results_["param_clf"]
    assert column.mask.any() and column.dtype == object
    repr(column)  # computes and stores the default fill value
    loaded = _round_trip(search)
    again = loaded.cv_results_["param_clf"]
    assert type(again) is np.ma.MaskedArray
    assert_identical(vars(column), vars(again), "masked __dict__")
    # the grid's estimators are shared by the results, as in the original
    grid_estimators = loaded.param_grid[0]["clf"]
    assert again.data[0] is grid_estimators[0]
    assert loaded.cv_results_["params"][0]["clf"] is grid_estimators[0]


# ---------------------------------------------------------------------------
# The masked_array value kind on its own


def _masked_round_trip(m: np.ma.MaskedArray) -> Any:
    from typing import Annotated

    from pydantic import TypeAdapter

    from milo_codec.codecs import kinds as k
    from milo_codec.objects import OBJECT_KINDS
    from milo_codec.parse import parse
    from milo_codec.values.encode import ValueEncoder
    from milo_codec.write import to_text

    def no_models(est: Any, path: str) -> dict:
        raise AssertionError(path)

    text = to_text(ValueEncoder(no_models)(m, "$"))
    json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    pending = TypeAdapter(Annotated[Any, k.OneOf((k.Registered(name="masked_array"),))])
    decoded = pending.validate_python(parse(text))
    build = OBJECT_KINDS["masked_array"].build
    assert build is not None
    return build(decoded.payload)


def test_masked_arrays_keep_nomask_fill_value_and_flags() -> None:
    plain = np.ma.MaskedArray(np.array([1.5, np.nan, -0.0]))
    assert plain.mask is np.ma.nomask
    filled = np.ma.MaskedArray(
        np.arange(6, dtype=np.int32).reshape(2, 3), mask=[[0, 1, 0], [1, 0, 0]]
    )
    filled.fill_value = -7
    filled.harden_mask()
    strings = np.ma.MaskedArray(np.array(["a", "bc", "d"]), mask=[False, True, False])
    strings.fill_value  # noqa: B018  (computes and stores the default)
    for m in (plain, filled, strings):
        again = _masked_round_trip(m)
        assert_identical(m, again, "masked")
        assert_identical(vars(m), vars(again), "masked __dict__")
        if m.mask is np.ma.nomask:
            assert again.mask is np.ma.nomask


def test_masked_equality_sees_data_mask_and_fill_value() -> None:
    base = np.ma.MaskedArray(np.array([1.0, 2.0, 3.0]), mask=[False, True, False])
    for change in (
        lambda m: m.data.__setitem__(1, 9.0),  # a masked entry's data is state too
        lambda m: m.mask.__setitem__(0, True),
        lambda m: setattr(m, "fill_value", 5.0),
    ):
        other = _masked_round_trip(base)
        change(other)
        with pytest.raises(AssertionError):
            assert_identical(base, other)


def test_masked_payloads_are_checked() -> None:
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    from milo_codec.codecs import kinds as k

    adapter = TypeAdapter(Annotated[Any, k.OneOf((k.Registered(name="masked_array"),))])
    good = {
        "data": {"ndarray": {"dtype": "float64", "shape": [2], "data": [1.0, 2.0]}},
        "mask": {"ndarray": {"dtype": "bool", "shape": [2], "data": [False, True]}},
        "fill_value": None,
        "hard_mask": False,
        "shared_mask": True,
    }
    adapter.validate_python({"masked_array": good})
    bad_fill = {"ndarray": {"dtype": "float64", "shape": [1], "data": [0.0]}}
    for key, value, message in (
        ("mask", {"ndarray": {"dtype": "bool", "shape": [1], "data": [True]}}, "mask has shape"),
        ("fill_value", bad_fill, "0-d"),
        ("hard_mask", 1, "bool"),
    ):
        with pytest.raises(ValidationError) as info:
            adapter.validate_python({"masked_array": {**good, key: value}})
        assert message in str(info.value), str(info.value)
