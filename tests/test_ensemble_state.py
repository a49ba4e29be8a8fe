"""Ensembles: crafted fitted state is refused before anything is built, shared members stay
shared, and a loaded ensemble keeps growing exactly like the original (warm start).

Each crafted file is a real dump with one field changed. It is loaded in a child process so
a crash (a negative return code) or a hang (the timeout) would show instead of killing or
stalling the test run; the child prints the milo_codec error it got.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import Outcome, editable_doc, load_in_children
from equality import assert_identical
from recipes_forest import Y3, YR, YSTR, X

import milo_codec

# ---------------------------------------------------------------------------
# Fitted models to craft from (tiny: a few members, shallow trees)


def _fit(est: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args)


def _forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return _fit(RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0), X, Y3)


def _bagging() -> Any:
    from sklearn.ensemble import BaggingRegressor
    from sklearn.linear_model import Ridge

    return _fit(BaggingRegressor(Ridge(), n_estimators=3, max_features=3, random_state=0), X, YR)


def _bagged_trees() -> Any:
    from sklearn.ensemble import BaggingClassifier

    return _fit(BaggingClassifier(n_estimators=3, random_state=0), X, Y3)


def _gb() -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return _fit(GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0), X, YR)


def _adaboost() -> Any:
    from sklearn.ensemble import AdaBoostClassifier

    return _fit(AdaBoostClassifier(n_estimators=4, random_state=0), X, Y3)


def _voting() -> Any:
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB

    members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    return _fit(VotingClassifier(members, voting="soft"), X, YSTR)


def _stacking() -> Any:
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB

    members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    return _fit(StackingClassifier(members, cv=3, passthrough=True), X, Y3)


def _iforest() -> Any:
    from sklearn.ensemble import IsolationForest

    return _fit(IsolationForest(n_estimators=3, random_state=0), X)


# ---------------------------------------------------------------------------
# Crafting


def _doc(make: Callable[[], Any]) -> dict:
    return editable_doc(make())


def _data(field: dict) -> Any:
    return field["ndarray"]["data"]


def _set_array(field: dict, data: list) -> None:
    field["ndarray"]["data"] = data
    field["ndarray"]["shape"] = list(np.shape(data))


def _half_fitted(m: dict) -> None:
    del m["state"]["estimators_"]


def _shorter_forest(m: dict) -> None:
    m["state"]["estimators_"].pop()


def _child_out_of_range(m: dict) -> None:
    nodes = m["state"]["estimators_"][1]["state"]["tree_"]["tree"]["nodes"]["recarray"]
    nodes["columns"]["left_child"][0] = 10_000


def _member_features(m: dict) -> None:
    m["state"]["estimators_"][2]["state"]["n_features_in_"] = 4


def _feature_out_of_range(m: dict) -> None:
    _data(m["state"]["estimators_features_"][0])[1] = 99


def _gb_wrong_k(m: dict) -> None:
    m["state"]["n_trees_per_iteration_"] = 2


def _gb_more_stages(m: dict) -> None:
    m["state"]["n_estimators_"] = 5


def _ada_weights(m: dict) -> None:
    w = m["state"]["estimator_weights_"]
    _set_array(w, _data(w)[:-1])


def _ada_member_classes(m: dict) -> None:
    # the ensemble's classes_ is an alias of the first member's: change another member's
    _data(m["state"]["estimators_"][1]["state"]["classes_"])[2] = 7


def _voting_member_classes(m: dict) -> None:
    _data(m["state"]["estimators_"][1]["state"]["classes_"])[3] = 9


def _named_swapped(m: dict) -> None:
    named = m["state"]["named_estimators_"]["bunch"]
    named["lr"], named["nb"] = named["nb"], named["lr"]


def _named_copy(m: dict) -> None:
    # a second, separate model where the very member must stand
    named = m["state"]["named_estimators_"]["bunch"]
    named["nb"] = copy.deepcopy(m["state"]["estimators_"][1])


def _voting_weights(m: dict) -> None:
    m["params"]["weights"] = [1.0, 2.0, 3.0]


def _stack_width(m: dict) -> None:
    m["state"]["_n_feature_outs"][0] = 2


def _iforest_lengths(m: dict) -> None:
    m["state"]["_decision_path_lengths"]["tuple"].pop()


def _iforest_nodes(m: dict) -> None:
    a = m["state"]["_average_path_length_per_tree"]["tuple"][0]
    _set_array(a, _data(a)[:-1])


CRAFTED = [
    pytest.param(
        _forest,
        _half_fitted,
        "$.model.state.estimators_: is missing: a fitted model that has n_features_in_ has it too",
        id="forest-partly-fitted",
    ),
    pytest.param(
        _forest,
        _shorter_forest,
        "$.model.state.estimators_: holds 2 estimators but n_estimators is 3",
        id="forest-estimators-shorter-than-declared",
    ),
    pytest.param(
        _forest,
        _child_out_of_range,
        "$.model.state.estimators_[1].state.tree_.tree",
        id="forest-subtree-child-out-of-range",
    ),
    pytest.param(
        _forest,
        _member_features,
        "$.model.state.estimators_[2].state.n_features_in_: "
        "is 4 but the ensemble's n_features_in_ is 5",
        id="forest-member-n-features",
    ),
    pytest.param(
        _bagging,
        _feature_out_of_range,
        "$.model.state.estimators_features_[0]: feature indices must be in [0, 5) (n_features_in_)",
        id="bagging-feature-index-out-of-range",
    ),
    pytest.param(
        _bagging,
        _member_features,
        "$.model.state.estimators_[2].state.n_features_in_: "
        "is 4 but the estimator is given 3 features (estimators_features_[2])",
        id="bagging-member-n-features",
    ),
    pytest.param(
        _bagged_trees,
        _shorter_forest,
        "$.model.state.estimators_: holds 2 estimators but n_estimators is 3",
        id="bagging-estimators-shorter-than-declared",
    ),
    pytest.param(
        _gb,
        _gb_wrong_k,
        "$.model.state.estimators_: has shape [3, 1] but n_estimators_ = 3 stages of "
        "n_trees_per_iteration_ = 2 trees need [3, 2]",
        id="gradient-boosting-wrong-k",
    ),
    pytest.param(
        _gb,
        _gb_more_stages,
        "$.model.state.estimators_: has shape [3, 1] but n_estimators_ = 5 stages",
        id="gradient-boosting-more-stages-than-trees",
    ),
    pytest.param(
        _adaboost,
        _ada_weights,
        "$.model.state.estimator_weights_: has shape [3] but there are n_estimators = 4 rounds",
        id="adaboost-weights-wrong-length",
    ),
    pytest.param(
        _adaboost,
        _ada_member_classes,
        "$.model.state.estimators_[1].state.classes_: must equal the ensemble's classes_",
        id="adaboost-member-classes",
    ),
    pytest.param(
        _voting,
        _voting_member_classes,
        "$.model.state.estimators_[1].state.classes_: "
        "must be the encoded labels 0..3 of the ensemble's 4 classes",
        id="voting-member-classes",
    ),
    pytest.param(
        _voting,
        _named_swapped,
        "$.model.state.named_estimators_.lr: "
        "must be the fitted estimator itself: an alias of $.model.state.estimators_[0]",
        id="voting-named-estimators-swapped",
    ),
    pytest.param(
        _voting,
        _named_copy,
        "$.model.state.named_estimators_.nb: "
        "must be the fitted estimator itself: an alias of $.model.state.estimators_[1]",
        id="voting-named-estimators-copy",
    ),
    pytest.param(
        _voting,
        _voting_weights,
        "$.model.params.weights: has 3 weights but there are 2 estimators",
        id="voting-weights-count",
    ),
    pytest.param(
        _stacking,
        _stack_width,
        "$.model.state.final_estimator_.state.n_features_in_: is 11 but the stacked input "
        "has 10 columns (_n_feature_outs [2, 3] plus the passthrough features)",
        id="stacking-final-estimator-width",
    ),
    pytest.param(
        _stacking,
        _stack_width,
        "$.model.state._n_feature_outs[0]: is 2 but predict_proba of a member gives 3 column(s)",
        id="stacking-member-output-width",
    ),
    pytest.param(
        _iforest,
        _iforest_lengths,
        "$.model.state._decision_path_lengths: has 2 entries but there are 3 estimators",
        id="isolation-forest-path-lengths-count",
    ),
    pytest.param(
        _iforest,
        _iforest_nodes,
        "$.model.state._average_path_length_per_tree[0]: has shape",
        id="isolation-forest-path-lengths-per-node",
    ),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every crafted document loaded in child processes, once."""
    docs: dict[str, Any] = {}
    for p in CRAFTED:
        make, craft, _ = p.values
        doc = _doc(make)  # type: ignore[operator]
        craft(doc["model"])  # type: ignore[operator]
        docs[str(p.id)] = doc
    return load_in_children(docs, tmp_path_factory.mktemp("crafted-ensembles"))


@pytest.mark.parametrize(("make", "craft", "expected"), CRAFTED)
def test_crafted_state_is_refused_cleanly(
    make: Callable[[], Any],
    craft: Callable[[dict], None],
    expected: str,
    outcomes: dict[str, Outcome],
    request: pytest.FixtureRequest,
) -> None:
    out = outcomes[request.node.callspec.id]
    assert out.lines[0] in ("InvariantError", "SchemaError"), out
    assert expected in out.message, out


@pytest.mark.parametrize(
    "make", [_forest, _bagging, _bagged_trees, _gb, _adaboost, _voting, _stacking, _iforest]
)
def test_the_uncrafted_documents_pass_validation(make: Callable[[], Any]) -> None:
    """The crafted cases fail because of the crafted field, not because the base is refused."""
    report = milo_codec.validate(json.dumps(_doc(make)))
    assert report.ok, report.problems


# ---------------------------------------------------------------------------
# Unfitted ensembles (e.g. members inside another ensemble's params)

ENSEMBLES = [
    "AdaBoostClassifier",
    "AdaBoostRegressor",
    "BaggingClassifier",
    "BaggingRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "IsolationForest",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "RandomTreesEmbedding",
    "StackingClassifier",
    "StackingRegressor",
    "VotingClassifier",
    "VotingRegressor",
]


def _unfitted(name: str) -> Any:
    import sklearn.ensemble
    from sklearn.linear_model import Ridge

    cls = getattr(sklearn.ensemble, name)
    if name.startswith(("Voting", "Stacking")):
        return cls([("ridge", Ridge())])
    return cls(n_estimators=7)


@pytest.mark.parametrize("name", ENSEMBLES)
def test_an_unfitted_ensemble_round_trips(name: str) -> None:
    original = _unfitted(name)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    assert type(loaded) is type(original)
    assert_identical(vars(original), vars(loaded), "__dict__")


def test_unfitted_forests_inside_a_fitted_stack() -> None:
    from sklearn.ensemble import RandomForestRegressor, StackingRegressor

    est = StackingRegressor(
        [("rf", RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0))], cv=3
    )
    _fit(est, X, YR)
    loaded = milo_codec.loads(milo_codec.dumps(est))
    assert_identical(vars(est), vars(loaded), "__dict__")
    np.testing.assert_array_equal(est.predict(X), loaded.predict(X))


# ---------------------------------------------------------------------------
# Shared members


@pytest.mark.parametrize("make", [_voting, _stacking], ids=["voting", "stacking"])
def test_named_estimators_are_the_fitted_members_themselves(make: Callable[[], Any]) -> None:
    original = make()
    loaded = milo_codec.loads(milo_codec.dumps(original))
    names = [name for name, est in original.estimators if est != "drop"]
    assert list(loaded.named_estimators_) == list(original.named_estimators_)
    for i, name in enumerate(names):
        assert loaded.named_estimators_[name] is loaded.estimators_[i]


def test_dropped_members_stay_dropped() -> None:
    from sklearn.ensemble import VotingRegressor
    from sklearn.linear_model import LinearRegression, Ridge

    est = _fit(
        VotingRegressor([("a", Ridge()), ("gone", "drop"), ("b", LinearRegression())]), X, YR
    )
    loaded = milo_codec.loads(milo_codec.dumps(est))
    assert loaded.named_estimators_["gone"] == "drop"
    assert loaded.named_estimators_["b"] is loaded.estimators_[1]


# ---------------------------------------------------------------------------
# Warm start: a loaded ensemble grows exactly like the original


def _continue(est: Any, *args: Any) -> None:
    est.set_params(n_estimators=est.n_estimators + 2)
    _fit(est, *args)


def _warm_forest() -> tuple[Any, tuple]:
    from sklearn.ensemble import RandomForestClassifier

    args = (X, YSTR)
    est = RandomForestClassifier(n_estimators=3, max_depth=3, warm_start=True, random_state=0)
    return _fit(est, *args), args


def _warm_extra_trees() -> tuple[Any, tuple]:
    from sklearn.ensemble import ExtraTreesRegressor

    args = (X, YR)
    est = ExtraTreesRegressor(n_estimators=3, max_depth=3, warm_start=True, random_state=0)
    return _fit(est, *args), args


def _warm_bagging() -> tuple[Any, tuple]:
    from sklearn.ensemble import BaggingClassifier

    args = (X, Y3)
    return _fit(BaggingClassifier(n_estimators=3, warm_start=True, random_state=0), *args), args


def _warm_iforest() -> tuple[Any, tuple]:
    from sklearn.ensemble import IsolationForest

    args = (X,)
    return _fit(IsolationForest(n_estimators=3, warm_start=True, random_state=0), *args), args


def _warm_gb() -> tuple[Any, tuple]:
    from sklearn.ensemble import GradientBoostingRegressor

    args = (X, YR)
    est = GradientBoostingRegressor(
        n_estimators=3, max_depth=2, subsample=0.8, warm_start=True, random_state=0
    )
    return _fit(est, *args), args


WARM = [
    pytest.param(_warm_forest, id="RandomForestClassifier"),
    pytest.param(_warm_extra_trees, id="ExtraTreesRegressor"),
    pytest.param(_warm_bagging, id="BaggingClassifier"),
    pytest.param(_warm_iforest, id="IsolationForest"),
    pytest.param(_warm_gb, id="GradientBoostingRegressor"),
]


@pytest.mark.parametrize("make", WARM)
def test_warm_start_after_load_grows_the_same_members(make: Callable[[], Any]) -> None:
    original, args = make()
    loaded = milo_codec.loads(milo_codec.dumps(original))
    _continue(original, *copy.deepcopy(args))
    _continue(loaded, *copy.deepcopy(args))
    assert_identical(vars(original), vars(loaded), "__dict__ after continuing")
