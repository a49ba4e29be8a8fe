"""Imputers' indices, masks and nested models: crafted files are refused before anything is built.

MissingIndicator selects ``features_`` columns, KNNImputer takes donors from ``_fit_X`` under
its masks, and IterativeImputer replays ``imputation_sequence_`` (column, neighbour columns,
fitted estimator). Every crafted file below is loaded in one child process
(tests/crafted_batch.py), which must survive and report the expected error and JSON path.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import doc_cache, nd
from crafted_batch import load_in_child
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, MissingIndicator, SimpleImputer

import milo_codec

RNG = np.random.RandomState(0)
X = RNG.randn(30, 4)
X[RNG.rand(30, 4) < 0.2] = np.nan
X[0] = np.nan  # every column has a missing value
X[1, :] = 0.5  # and no column is empty
XQ = X[:8].copy()
S = "$.model.state"
SCHEMA, INVARIANT = "SchemaError", "InvariantError"


def _fit(est: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


FITS: dict[str, Callable[[], Any]] = {
    "simple-indicator": lambda: _fit(SimpleImputer(add_indicator=True)),
    "simple": lambda: _fit(SimpleImputer()),
    "indicator": lambda: _fit(MissingIndicator()),
    "indicator-all": lambda: _fit(MissingIndicator(features="all")),
    "knn": lambda: _fit(KNNImputer(n_neighbors=3)),
    "iterative": lambda: _fit(IterativeImputer(max_iter=2, random_state=0)),
}
_doc = doc_cache(FITS)


def arr(node: dict) -> np.ndarray:
    a = node["ndarray"]
    data = (
        [[np.nan if v == "NaN" else v for v in row] for row in a["data"]]
        if len(a["shape"]) == 2
        else [np.nan if v == "NaN" else v for v in a["data"]]
    )
    return np.array(data, dtype=a["dtype"]).reshape(a["shape"])


def _state(doc: dict) -> dict:
    return doc["model"]["state"]


def _step(doc: dict, i: int = 0) -> dict:
    return _state(doc)["imputation_sequence_"][i]["imputer_triplet"]


# ---------------------------------------------------------------------------
# Mutations: each returns the text the error must contain.


def statistics_one_short(doc: dict) -> str:
    stats = arr(_state(doc)["statistics_"])[:-1]
    _state(doc)["statistics_"] = nd(stats)
    return f"{S}.statistics_: shape[0] is 3 but n_features_in_ is 4"


def indicator_missing(doc: dict) -> str:
    _state(doc)["indicator_"] = None
    return f"{S}.indicator_: must be a sklearn.impute.MissingIndicator model node, not nothing"


def indicator_without_add_indicator(doc: dict) -> str:
    doc["model"]["params"]["add_indicator"] = False
    return f"{S}.indicator_: must be null when add_indicator is false"


def indicator_of_another_class(doc: dict) -> str:
    _state(doc)["indicator_"] = _doc("simple")["model"]
    return (
        f"{S}.indicator_: must be a sklearn.impute.MissingIndicator model node, "
        "not sklearn.impute.SimpleImputer"
    )


def indicator_narrower(doc: dict) -> str:
    inner = _state(doc)["indicator_"]["state"]
    inner["n_features_in_"] = inner["_n_features"] = 3
    inner["features_"] = nd(np.arange(3))
    return f"{S}.indicator_: was fitted on 3 features, but the imputer on 4"


def features_out_of_range(doc: dict) -> str:
    features = arr(_state(doc)["features_"])
    features[-1] = 4
    _state(doc)["features_"] = nd(features)
    return f"{S}.features_: column indices must lie in [0, 4) (n_features_in_)"


def features_negative(doc: dict) -> str:
    features = arr(_state(doc)["features_"])
    features[0] = -1
    _state(doc)["features_"] = nd(features)
    return f"{S}.features_: column indices must lie in [0, 4) (n_features_in_)"


def features_repeated(doc: dict) -> str:
    _state(doc)["features_"] = nd(np.array([0, 1, 1, 3]))
    return f"{S}.features_: column indices must be unique"


def features_unsorted(doc: dict) -> str:
    _state(doc)["features_"] = nd(np.array([0, 2, 1, 3]))
    return f"{S}.features_: column indices must increase"


def features_all_but_fewer(doc: dict) -> str:
    _state(doc)["features_"] = nd(np.array([0, 1, 3]))
    return f'{S}.features_: features="all" selects all 4 columns'


def n_features_disagree(doc: dict) -> str:
    _state(doc)["_n_features"] = 7
    return f"{S}._n_features: must equal n_features_in_ (4)"


def mask_flipped(doc: dict) -> str:
    mask = arr(_state(doc)["_mask_fit_X"])
    mask[1, 0] = not mask[1, 0]
    _state(doc)["_mask_fit_X"] = nd(mask)
    return f"{S}._mask_fit_X: must mark exactly the missing values of _fit_X"


def valid_mask_wrong(doc: dict) -> str:
    valid = arr(_state(doc)["_valid_mask"])
    valid[2] = False
    _state(doc)["_valid_mask"] = nd(valid)
    return f"{S}._valid_mask: must mark the columns of _fit_X with a value"


def donors_fewer_than_mask(doc: dict) -> str:
    _state(doc)["_fit_X"]["ndarray"]["data"].pop()
    _state(doc)["_fit_X"]["ndarray"]["shape"][0] -= 1
    return f"{S}._mask_fit_X: shape[0] is 30 but n_fit is 29"


def no_donors(doc: dict) -> str:
    for name in ("_fit_X", "_mask_fit_X"):
        _state(doc)[name]["ndarray"].update(shape=[0, 4], data=[])
    return f"{S}._fit_X: must hold at least one training row"


def metric_not_nan_euclidean(doc: dict) -> str:
    doc["model"]["params"]["metric"] = "euclidean"
    return "$.model.params.metric"


def step_column_out_of_range(doc: dict) -> str:
    _step(doc)["feat_idx"] = {"int64": 4}
    return f"{S}.imputation_sequence_[0].imputer_triplet.feat_idx: must lie in [0, 4)"


def step_column_negative(doc: dict) -> str:
    _step(doc)["feat_idx"] = {"int64": -1}
    # (schema errors inside a set_output-capable model's state currently name the union
    # branch too: $.model.state.fitted.imputation_sequence_...)
    return "imputation_sequence_[0].imputer_triplet.feat_idx.int64: must be >= 0"


def step_neighbor_out_of_range(doc: dict) -> str:
    neighbors = arr(_step(doc)["neighbor_feat_idx"])
    neighbors[-1] = 2**40
    _step(doc)["neighbor_feat_idx"] = nd(neighbors)
    return (
        f"{S}.imputation_sequence_[0].imputer_triplet.neighbor_feat_idx: "
        "column indices must lie in [0, 4)"
    )


def step_reads_its_own_column(doc: dict) -> str:
    neighbors = arr(_step(doc)["neighbor_feat_idx"])
    neighbors[0] = _step(doc)["feat_idx"]["int64"]
    _step(doc)["neighbor_feat_idx"] = nd(np.sort(neighbors))
    return "neighbor_feat_idx: must not hold the imputed column feat_idx"


def step_reads_fewer_columns(doc: dict) -> str:
    neighbors = arr(_step(doc)["neighbor_feat_idx"])
    _step(doc)["neighbor_feat_idx"] = nd(neighbors[:-1])
    return "estimator: was fitted on 3 features but reads 2 columns"


def step_estimator_of_another_class(doc: dict) -> str:
    _step(doc)["estimator"] = copy.deepcopy(_state(doc)["initial_imputer_"])
    return (
        f"{S}.imputation_sequence_[0].imputer_triplet.estimator: must be a fitted clone of "
        "_estimator (sklearn.linear_model.BayesianRidge)"
    )


def step_estimator_broken(doc: dict) -> str:
    coef = _step(doc)["estimator"]["state"]["coef_"]["ndarray"]
    coef["data"].pop()
    coef["shape"] = [len(coef["data"])]
    return f"{S}.imputation_sequence_[0].imputer_triplet.estimator.state.coef_"


def rounds_incomplete(doc: dict) -> str:
    _state(doc)["imputation_sequence_"].pop()
    n = len(_state(doc)["imputation_sequence_"])
    return f"holds {n} steps, not a whole number of steps per round for n_iter_=2"


def steps_without_rounds(doc: dict) -> str:
    _state(doc)["n_iter_"] = 0
    return f"{S}.imputation_sequence_: must be empty when n_iter_ is 0"


def initial_imputer_narrower(doc: dict) -> str:
    _state(doc)["initial_imputer_"] = _doc("knn")["model"]
    return f"{S}.initial_imputer_: must be a sklearn.impute.SimpleImputer model node"


def template_of_another_class(doc: dict) -> str:
    _state(doc)["_estimator"] = _doc("simple")["model"]
    return f"{S}._estimator: must be of the class of the estimator parameter"


def bounds_dropped(doc: dict) -> str:
    del _state(doc)["_max_value"]
    return f"{S}._max_value: is missing: n_iter_ is 2"


def bounds_crossed(doc: dict) -> str:
    _state(doc)["_min_value"] = nd(np.array([0.0, 2.0, 0.0, 0.0]))
    _state(doc)["_max_value"] = nd(np.array([1.0, 1.0, 1.0, 1.0]))
    return f"{S}._min_value: must be <= _max_value, feature by feature"


CASES = [
    ("simple", statistics_one_short, INVARIANT),
    ("simple-indicator", indicator_missing, INVARIANT),
    ("simple-indicator", indicator_without_add_indicator, INVARIANT),
    ("simple-indicator", indicator_of_another_class, INVARIANT),
    ("simple-indicator", indicator_narrower, INVARIANT),
    ("indicator", features_out_of_range, INVARIANT),
    ("indicator", features_negative, INVARIANT),
    ("indicator", features_repeated, INVARIANT),
    ("indicator", features_unsorted, INVARIANT),
    ("indicator-all", features_all_but_fewer, INVARIANT),
    ("indicator", n_features_disagree, INVARIANT),
    ("knn", mask_flipped, INVARIANT),
    ("knn", valid_mask_wrong, INVARIANT),
    ("knn", donors_fewer_than_mask, INVARIANT),
    ("knn", no_donors, INVARIANT),
    ("knn", metric_not_nan_euclidean, SCHEMA),
    ("iterative", step_column_out_of_range, INVARIANT),
    ("iterative", step_column_negative, SCHEMA),
    ("iterative", step_neighbor_out_of_range, INVARIANT),
    ("iterative", step_reads_its_own_column, INVARIANT),
    ("iterative", step_reads_fewer_columns, INVARIANT),
    ("iterative", step_estimator_of_another_class, INVARIANT),
    ("iterative", step_estimator_broken, INVARIANT),
    ("iterative", rounds_incomplete, INVARIANT),
    ("iterative", steps_without_rounds, INVARIANT),
    ("iterative", initial_imputer_narrower, INVARIANT),
    ("iterative", template_of_another_class, INVARIANT),
    ("iterative", bounds_crossed, INVARIANT),
    ("iterative", bounds_dropped, INVARIANT),
]


def test_crafted_imputers_are_refused_in_a_surviving_process(tmp_path: Path) -> None:
    docs, expected = [], []
    for base, mutate, error in CASES:
        doc = _doc(base)
        expected.append((f"{base}-{mutate.__name__}", error, mutate(doc)))
        docs.append(doc)
    docs += [_doc(base) for base in FITS]  # the real files load and impute
    results = load_in_child(docs, XQ, tmp_path)
    for (case, error, text), (got, message) in zip(expected, results, strict=False):
        assert got == error, (case, message)
        assert text in message, (case, message)
    assert results[len(CASES) :] == [("LOADED", "transform answered")] * len(FITS)


# ---------------------------------------------------------------------------
# Dump refuses what a file cannot hold.


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (lambda: SimpleImputer(strategy=np.nanmax), "strategy"),
        (lambda: KNNImputer(weights=lambda d: 1.0 / (1.0 + d)), "weights"),
        (lambda: KNNImputer(metric=lambda a, b, **kw: 0.0), "metric"),
    ],
    ids=["callable-strategy", "callable-weights", "callable-metric"],
)
def test_imputer_callables_are_refused_at_dump(model: Callable[[], Any], field: str) -> None:
    with pytest.raises(milo_codec.UnsupportedModelError, match=rf"\$\.model\.params\.{field}"):
        milo_codec.dumps(model())


def test_iterative_steps_come_back_as_named_triplets_with_their_own_estimators() -> None:
    model = FITS["iterative"]()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert len(loaded.imputation_sequence_) == len(model.imputation_sequence_)
    for mine, theirs in zip(loaded.imputation_sequence_, model.imputation_sequence_, strict=True):
        assert type(mine) is type(theirs)
        assert type(mine.feat_idx) is np.int64 and mine.feat_idx == theirs.feat_idx
        np.testing.assert_array_equal(mine.neighbor_feat_idx, theirs.neighbor_feat_idx)
        assert mine.estimator is not loaded._estimator
    estimators = [id(step.estimator) for step in loaded.imputation_sequence_]
    assert len(set(estimators)) == len(estimators)


def test_sample_posterior_draws_continue_from_the_written_generator() -> None:
    model = _fit(IterativeImputer(max_iter=2, sample_posterior=True, random_state=0))
    loaded = milo_codec.loads(milo_codec.dumps(model))
    for _ in range(2):  # each transform advances random_state_ the same way on both
        np.testing.assert_array_equal(loaded.transform(XQ), model.transform(XQ))


@pytest.mark.parametrize(
    "make",
    [
        SimpleImputer,
        KNNImputer,
        MissingIndicator,
        IterativeImputer,
        lambda: SimpleImputer().set_output(transform="pandas"),
    ],
    ids=["simple", "knn", "indicator", "iterative", "simple-pandas-output"],
)
def test_an_unfitted_imputer_round_trips(make: Callable[[], Any]) -> None:
    model = make()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert vars(loaded).keys() == vars(model).keys()
    assert getattr(loaded, "_sklearn_output_config", None) == getattr(
        model, "_sklearn_output_config", None
    )
