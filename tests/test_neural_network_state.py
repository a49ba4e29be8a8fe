"""Neural networks: a loaded MLP/RBM keeps learning bit for bit like the original, shared
arrays stay shared, and a file whose layers do not chain is refused before anything is built.
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import BernoulliRBM, MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import milo_codec

RNG = np.random.RandomState(0)
X = RNG.randn(40, 4)
Y_CLASS = np.arange(40) % 3
Y_REG = X @ [1.0, -2.0, 0.5, 3.0] + 0.1 * RNG.randn(40)
BATCH = np.random.RandomState(1).permutation(40)[:16]


def _quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn()


def _comparable(est: Any) -> dict[str, Any]:
    """``vars()`` with random generators replaced by their exact state, for assert_identical."""

    def plain(v: Any) -> Any:
        if type(v) is np.random.RandomState:
            return v.get_state(legacy=False)
        return v

    return {k: plain(v) for k, v in vars(est).items()}


def _round_trip(est: Any) -> Any:
    return milo_codec.loads(milo_codec.dumps(est))


def _mlp(cls: type, **kw: Any) -> Any:
    return cls(**{"hidden_layer_sizes": (5, 3), "max_iter": 6, "random_state": 0, **kw})


# ---------------------------------------------------------------------------
# Continuation: partial_fit / warm_start after loading matches the original bit for bit


def _partial_fit(est: Any, y: np.ndarray) -> None:
    kwargs = {"classes": np.unique(Y_CLASS)} if isinstance(est, MLPClassifier) else {}
    est.partial_fit(X[BATCH], y[BATCH], **kwargs)


def _warm_start_fit(est: Any, y: np.ndarray) -> None:
    est.set_params(warm_start=True, max_iter=3)
    est.fit(X, y)


SOLVERS = {
    "adam": {"solver": "adam"},
    "sgd-momentum": {"solver": "sgd", "nesterovs_momentum": False, "learning_rate_init": 0.01},
    "sgd-nesterov-invscaling": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "learning_rate_init": 0.01,
    },
    "sgd-adaptive": {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 1},
}


def _continuation_cases() -> list[Any]:
    cases = []
    for cls, y in ((MLPClassifier, Y_CLASS), (MLPRegressor, Y_REG)):
        for solver, kw in SOLVERS.items():
            for how, step in (("partial_fit", _partial_fit), ("warm_start", _warm_start_fit)):
                cases.append(pytest.param(cls, kw, y, step, id=f"{cls.__name__}-{solver}-{how}"))
        cases.append(
            pytest.param(
                cls,
                {"early_stopping": True, "validation_fraction": 0.25},
                y,
                _warm_start_fit,
                id=f"{cls.__name__}-early-stopping-warm_start",
            )
        )
        cases.append(
            pytest.param(
                cls, {"solver": "lbfgs"}, y, _warm_start_fit, id=f"{cls.__name__}-lbfgs-warm_start"
            )
        )
    cases.append(
        pytest.param(
            MLPClassifier,
            {"solver": "adam"},
            np.eye(3, dtype=int)[Y_CLASS] | (X[:, :3] > 1),
            _warm_start_fit,
            id="MLPClassifier-multilabel-warm_start",
        )
    )
    return cases


@pytest.mark.parametrize(("cls", "params", "y", "step"), _continuation_cases())
def test_training_continues_exactly_after_loading(
    cls: type, params: dict, y: np.ndarray, step: Callable[[Any, np.ndarray], None]
) -> None:
    original = _quiet(lambda: _mlp(cls, **params).fit(X, y))
    loaded = _round_trip(original)
    assert_identical(_comparable(original), _comparable(loaded), "__dict__ after load")

    _quiet(lambda: step(original, y))
    _quiet(lambda: step(loaded, y))

    # coefs_, intercepts_, the optimizer's moments/velocities and rates, the RNG, the curves
    assert_identical(_comparable(original), _comparable(loaded), "__dict__ after continuing")
    for method in ("predict", "predict_proba"):
        if hasattr(original, method):
            assert_identical(getattr(original, method)(X), getattr(loaded, method)(X), method)


def test_the_optimizer_state_comes_back_exactly() -> None:
    for solver, kw in SOLVERS.items():
        original = _quiet(lambda kw=kw: _mlp(MLPClassifier, **kw).fit(X, Y_CLASS))
        loaded = _round_trip(original)
        opt, back = original._optimizer, loaded._optimizer
        assert type(back) is type(opt), solver
        assert list(vars(back)) == list(vars(opt)), solver
        assert_identical(vars(opt), vars(back), f"{solver}: _optimizer.__dict__")
        # scikit-learn 1.9's optimizers do not hold the weights: the MLP passes
        # coefs_ + intercepts_ to every update. If that changes, the payload must too.
        assert not hasattr(opt, "params")


def test_shared_arrays_come_back_shared() -> None:
    original = _quiet(
        lambda: _mlp(MLPClassifier, early_stopping=True, validation_fraction=0.25).fit(X, Y_CLASS)
    )
    # early stopping restores the best weights: coefs_ *is* _best_coefs
    assert original.coefs_ is original._best_coefs
    text = milo_codec.dumps(original)
    state = json.loads(text)["model"]["state"]
    assert state["classes_"] == {"alias": "$.model.state._label_binarizer.state.classes_"}
    assert state["_best_coefs"] == [
        {"alias": "$.model.state.coefs_[0]"},
        {"alias": "$.model.state.coefs_[1]"},
        {"alias": "$.model.state.coefs_[2]"},
    ]
    loaded = milo_codec.loads(text)
    assert loaded.classes_ is loaded._label_binarizer.classes_
    for name, best in (("coefs_", "_best_coefs"), ("intercepts_", "_best_intercepts")):
        for a, b in zip(getattr(loaded, name), getattr(loaded, best), strict=True):
            assert a is b


@pytest.mark.parametrize("fitted_by", ["fit", "partial_fit"])
def test_rbm_partial_fit_continues_with_the_same_random_numbers(fitted_by: str) -> None:
    Xp = np.abs(X) / np.abs(X).max()
    original = BernoulliRBM(n_components=3, n_iter=2, batch_size=8, random_state=0)
    getattr(original, fitted_by)(Xp)
    loaded = _round_trip(original)
    for _ in range(2):  # the second call draws from random_state_ created by the first
        original.partial_fit(Xp[BATCH])
        loaded.partial_fit(Xp[BATCH])
    assert type(loaded.random_state_) is np.random.RandomState
    assert_identical(_comparable(original), _comparable(loaded), "__dict__ after partial_fit")
    assert_identical(original.transform(Xp), loaded.transform(Xp), "transform")
    assert_identical(original.gibbs(Xp), loaded.gibbs(Xp), "gibbs")


# ---------------------------------------------------------------------------
# Crafted files: refused with the exact JSON path, in a process that stays alive


def _doc(est: Any) -> dict:
    return editable_doc(est)


def _array(doc: dict, *path: str | int) -> dict:
    node: Any = doc["model"]
    for key in path:
        node = node[key]
    return node["ndarray"]  # type: ignore[no-any-return]


def _add_row(a: dict) -> None:
    a["data"].append(list(a["data"][0]))
    a["shape"][0] += 1


def _add_column(a: dict) -> None:
    for row in a["data"]:
        row.append(row[0])
    a["shape"][1] += 1


def _drop_element(a: dict) -> None:
    a["data"].pop()
    a["shape"][0] -= 1


def _two_layer_classifier() -> Any:
    return _quiet(lambda: _mlp(MLPClassifier, hidden_layer_sizes=(4, 3)).fit(X, Y_CLASS))


def _sgd_regressor() -> Any:
    return _quiet(lambda: _mlp(MLPRegressor, solver="sgd", learning_rate_init=0.01).fit(X, Y_REG))


def _binary_lbfgs() -> Any:
    return _quiet(
        lambda: _mlp(MLPClassifier, solver="lbfgs", hidden_layer_sizes=(4,)).fit(X, Y_CLASS % 2)
    )


def _two_output_units(doc: dict) -> None:
    for name in ("coefs_", "_best_coefs"):
        _add_column(_array(doc, "state", name, 1))
    for name in ("intercepts_", "_best_intercepts"):
        b = _array(doc, "state", name, 1)
        b["data"].append(b["data"][0])
        b["shape"][0] += 1
    doc["model"]["state"]["n_outputs_"] = 2


def _duplicate_label(doc: dict) -> None:
    _array(doc, "state", "_label_binarizer", "state", "classes_")["data"][1] = 0


def _scaler_as_label_binarizer(doc: dict) -> None:
    doc["model"]["state"]["_label_binarizer"] = _doc(StandardScaler().fit(X))["model"]


def _rbm() -> Any:
    return BernoulliRBM(n_components=3, n_iter=1, random_state=0).fit(np.abs(X) / 3)


def _velocities(doc: dict) -> list:
    return doc["model"]["state"]["_optimizer"]["mlp_sgd_optimizer"]["velocities"]  # type: ignore[no-any-return]


def _drop_last_layer_velocities(doc: dict) -> None:
    velocities = _velocities(doc)  # [matrix 0, 1, 2, vector 0, 1, 2]
    del velocities[5], velocities[2]


def _set(*path_and_value: Any) -> Callable[[dict], None]:
    *path, value = path_and_value

    def apply(doc: dict) -> None:
        node = doc["model"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return apply


def _in_array(fn: Callable[[dict], None], *path: str | int) -> Callable[[dict], None]:
    return lambda doc: fn(_array(doc, *path))


CRAFTED = [
    pytest.param(
        _two_layer_classifier,
        _in_array(_add_row, "state", "coefs_", 1),
        "InvariantError",
        "$.model.state.coefs_[1]: has 5 rows but coefs_[0] has 4 columns",
        id="coefs-chain-broken",
    ),
    pytest.param(
        _two_layer_classifier,
        _in_array(_add_row, "state", "coefs_", 0),
        "InvariantError",
        "$.model.state.coefs_[0]: has 5 rows but n_features_in_ is 4",
        id="first-layer-rows-not-n_features_in_",
    ),
    pytest.param(
        _two_layer_classifier,
        _in_array(_add_column, "state", "coefs_", 2),
        "InvariantError",
        "$.model.state.coefs_[2]: has 4 columns but n_outputs_ is 3",
        id="last-layer-columns-not-n_outputs_",
    ),
    pytest.param(
        _two_layer_classifier,
        _in_array(_drop_element, "state", "intercepts_", 0),
        "InvariantError",
        "$.model.state.intercepts_[0]: has length 3 but coefs_[0] has 4 columns",
        id="intercepts-wrong-length",
    ),
    pytest.param(
        _two_layer_classifier,
        lambda doc: doc["model"]["state"]["intercepts_"].pop(),
        "InvariantError",
        "$.model.state.intercepts_: holds 2 vectors but coefs_ holds 3 matrices",
        id="intercepts-missing-a-layer",
    ),
    pytest.param(
        _two_layer_classifier,
        _set("state", "n_layers_", 5),
        "InvariantError",
        "$.model.state.n_layers_: is 5 but coefs_ holds 3 matrices (n_layers_ - 1 expected)",
        id="n_layers_-inconsistent",
    ),
    pytest.param(
        _two_layer_classifier,
        _set("params", "hidden_layer_sizes", {"tuple": [4, 4]}),
        "InvariantError",
        "$.model.params.hidden_layer_sizes: is [4, 4] but the hidden layers of coefs_ have [4, 3] units",
        id="hidden_layer_sizes-inconsistent",
    ),
    pytest.param(
        _sgd_regressor,
        _in_array(_add_column, "state", "_optimizer", "mlp_sgd_optimizer", "velocities", 1),
        "InvariantError",
        "$.model.state._optimizer.mlp_sgd_optimizer.velocities[1]: has shape [5, 4] "
        "but coefs_[1] has [5, 3]",
        id="optimizer-velocities-wrong-shape",
    ),
    pytest.param(
        _sgd_regressor,
        _drop_last_layer_velocities,
        "InvariantError",
        "$.model.state._optimizer.mlp_sgd_optimizer.velocities: holds 4 arrays "
        "but the network has 6 weights",
        id="optimizer-velocities-too-few",
    ),
    pytest.param(
        _two_layer_classifier,
        _in_array(_add_row, "state", "_optimizer", "mlp_adam_optimizer", "ms", 0),
        "SchemaError",
        "$.model.state._optimizer.mlp_adam_optimizer: ms and vs must have the same shapes",
        id="optimizer-moments-disagree",
    ),
    pytest.param(
        _two_layer_classifier,
        lambda doc: doc["model"]["state"]["_optimizer"]["mlp_adam_optimizer"]["ms"].reverse(),
        "SchemaError",
        "$.model.state._optimizer.mlp_adam_optimizer: ms must hold one matrix per layer "
        "followed by one vector per layer",
        id="optimizer-moments-out-of-order",
    ),
    pytest.param(
        _two_layer_classifier,
        _set("state", "out_activation_", "relu"),
        "SchemaError",
        "$.model.state.out_activation_: expected 'logistic' or 'softmax'",
        id="out_activation_-unknown",
    ),
    pytest.param(
        _two_layer_classifier,
        _set("state", "out_activation_", "logistic"),
        "InvariantError",
        "$.model.state.out_activation_: is 'logistic' but a multiclass problem uses 'softmax'",
        id="out_activation_-wrong-for-multiclass",
    ),
    pytest.param(
        _two_layer_classifier,
        _set("state", "n_outputs_", 1),
        "InvariantError",
        "$.model.state.n_outputs_: is 1 but 3 classes (multiclass) need 3 output units",
        id="n_outputs_-not-classes",
    ),
    pytest.param(
        _binary_lbfgs,
        _two_output_units,
        "InvariantError",
        "$.model.state.n_outputs_: is 2 but 2 classes (binary) need 1 output unit",
        id="binary-with-two-output-units",
    ),
    pytest.param(
        _two_layer_classifier,
        _duplicate_label,
        "InvariantError",
        "$.model.state.classes_: class labels must be unique",
        id="classes_-not-unique",
    ),
    pytest.param(
        _two_layer_classifier,
        _set("state", "classes_", {"ndarray": {"dtype": "int64", "shape": [3], "data": [0, 1, 5]}}),
        "InvariantError",
        "$.model.state.classes_: differs from _label_binarizer.classes_",
        id="classes_-not-the-label-binarizer-classes",
    ),
    pytest.param(
        _two_layer_classifier,
        _scaler_as_label_binarizer,
        "InvariantError",
        "$.model.state._label_binarizer: must be a LabelBinarizer, not "
        "sklearn.preprocessing.StandardScaler",
        id="label-binarizer-of-another-class",
    ),
    pytest.param(
        _rbm,
        _in_array(_add_row, "state", "components_"),
        "InvariantError",
        "$.model.state.components_: shape[0] is 4 but n_components is 3 "
        "(from $.model.params.n_components)",
        id="rbm-components-rows",
    ),
    pytest.param(
        _rbm,
        _in_array(_drop_element, "state", "intercept_hidden_"),
        "InvariantError",
        "$.model.state.intercept_hidden_: shape[0] is 2 but n_components is 3 "
        "(from $.model.params.n_components)",
        id="rbm-intercept-hidden-length",
    ),
    pytest.param(
        _rbm,
        _in_array(_drop_element, "state", "intercept_visible_"),
        "InvariantError",
        "$.model.state.intercept_visible_: shape[0] is 3 but n_features_in_ is 4 "
        "(from $.model.state.n_features_in_)",
        id="rbm-intercept-visible-length",
    ),
    pytest.param(
        _rbm,
        _set("state", "_n_features_out", 2),
        "InvariantError",
        "$.model.state._n_features_out: is 2 but components_ has 3 rows",
        id="rbm-n-features-out",
    ),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every crafted document, and an untouched one, loaded in child processes, once."""
    docs: dict[str, Any] = {"untouched": milo_codec.dumps(_two_layer_classifier())}
    for p in CRAFTED:
        fit, mutate, _, _ = p.values
        doc = _doc(fit())  # type: ignore[operator]
        mutate(doc)  # type: ignore[operator]
        docs[str(p.id)] = doc
    return load_in_children(docs, tmp_path_factory.mktemp("crafted-networks"))


@pytest.mark.parametrize(("fit", "mutate", "error", "problem"), CRAFTED)
def test_a_crafted_network_is_refused_cleanly(
    request: pytest.FixtureRequest,
    outcomes: dict[str, Outcome],
    fit: Callable[[], Any],
    mutate: Callable[[dict], None],
    error: str,
    problem: str,
) -> None:
    out = outcomes[request.node.callspec.id]
    assert out.lines[0] == error, out
    assert f"  {problem}" in out.lines, out


def test_an_untouched_file_loads_in_the_same_harness(outcomes: dict[str, Outcome]) -> None:
    assert outcomes["untouched"].status == "loaded", outcomes["untouched"]


def test_crafted_weights_never_reach_the_estimator(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _doc(_two_layer_classifier())
    _add_row(_array(doc, "state", "coefs_", 1))
    built: list[str] = []
    original_setstate = MLPClassifier.__setstate__

    def spy(self: Any, state: dict) -> None:
        built.append("MLPClassifier")
        original_setstate(self, state)

    monkeypatch.setattr(MLPClassifier, "__setstate__", spy)
    with pytest.raises(milo_codec.InvariantError):
        milo_codec.loads(json.dumps(copy.deepcopy(doc)))
    assert built == []
