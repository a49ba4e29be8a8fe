"""Gaussian processes and their kernels: crafted files are refused, with the JSON path.

Kernels are the ``kernel`` object kind (schemas/common/gaussian_process/v1.json): a closed
table of classes, each with its closed set of parameters, composed into a tree of bounded
depth. Crafted documents are loaded in one separate process (with a timeout): each must be
refused with the expected milo_codec error and problem, and the process must survive. What
the format cannot hold (callable metrics and optimizers, kernels outside the table) is
refused when writing, naming the value and the allowed ones.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import assert_mutants_survive, doc_cache, load_cases, nd
from equality import assert_identical
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    CompoundKernel,
    ConstantKernel,
    DotProduct,
    Exponentiation,
    ExpSineSquared,
    Matern,
    PairwiseKernel,
    RationalQuadratic,
    WhiteKernel,
)

import milo_codec
from milo_codec.objects.gaussian_process import MAX_DEPTH

X = np.random.RandomState(0).randn(20, 3)
Y = X @ np.array([1.0, -2.0, 0.5]) + np.sin(X[:, 0])
Y3 = np.arange(20) % 3
S = "$.model.state"
P = "$.model.params"


def _fit(est: Any, y: Any = Y) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


FITS: dict[str, Callable[[], Any]] = {
    "gpr-anisotropic": lambda: _fit(
        GaussianProcessRegressor(ConstantKernel() * RBF([1.0, 1.0, 1.0]) + WhiteKernel())
    ),
    "gpr-normalized-2d": lambda: _fit(
        GaussianProcessRegressor(RBF(), normalize_y=True), np.c_[Y, -Y]
    ),
    "gpr-pairwise": lambda: _fit(
        GaussianProcessRegressor(
            PairwiseKernel(metric="polynomial", pairwise_kernels_kwargs={"degree": 2}),
            alpha=0.1,
        )
    ),
    "gpc-binary": lambda: _fit(GaussianProcessClassifier(RBF([1.0, 1.0, 1.0])), Y3 == 0),
    "gpc-ovr": lambda: _fit(GaussianProcessClassifier(RBF()), Y3),
}
_doc = doc_cache(FITS)


def _kernel_at(doc: dict, *keys: str) -> dict:
    node: Any = doc["model"]
    for k in keys:
        node = node[k]
    return node["kernel"]


# ---------------------------------------------------------------------------
# Crafted documents: each mutates a real file and returns the problem line it must cause.


def length_scales_one_short(doc: dict) -> str:
    rbf = _kernel_at(doc, "state", "kernel_")["params"]["k1"]["kernel"]["params"]["k2"]["kernel"]
    rbf["params"]["length_scale"] = nd([1.0, 2.0])
    at = f"{S}.kernel_.kernel.params.k1.kernel.params.k2.kernel.params.length_scale"
    return f"{at}: has 2 length scales but the model has 3 features"


def length_scale_negative(doc: dict) -> str:
    rbf = _kernel_at(doc, "state", "kernel_")["params"]["k1"]["kernel"]["params"]["k2"]["kernel"]
    rbf["params"]["length_scale"] = nd([1.0, -2.0, 3.0])
    at = f"{S}.kernel_.kernel.params.k1.kernel.params.k2.kernel.params.length_scale"
    return f"{at}: must be finite and positive"


def scalar_length_scale_zero(doc: dict) -> str:
    _kernel_at(doc, "state", "kernel_")["params"]["length_scale"] = 0.0
    return f"{S}.kernel_.kernel.params.length_scale: Input should be greater than 0"


def bounds_wrong_shape(doc: dict) -> str:
    rbf = _kernel_at(doc, "state", "kernel_")["params"]["k1"]["kernel"]["params"]["k2"]["kernel"]
    rbf["params"]["length_scale_bounds"] = nd([[1e-5, 1e5], [1e-5, 1e5]])
    at = f"{S}.kernel_.kernel.params.k1.kernel.params.k2.kernel.params.length_scale_bounds"
    return f"{at}: bounds have shape (2, 2) but RBF.length_scale needs (1, 2) or (3, 2)"


def bounds_pairs_for_two_of_three(doc: dict) -> str:
    rbf = _kernel_at(doc, "state", "kernel_")["params"]["k1"]["kernel"]["params"]["k2"]["kernel"]
    rbf["params"]["length_scale_bounds"] = [{"tuple": [1e-5, 1e5]}, {"tuple": [1e-5, 1e5]}]
    at = f"{S}.kernel_.kernel.params.k1.kernel.params.k2.kernel.params.length_scale_bounds"
    return f"{at}: 2 pairs of bounds but RBF.length_scale needs 1 or 3 pairs"


def bounds_three_values(doc: dict) -> str:
    kernel = _kernel_at(doc, "state", "kernel_")
    kernel["params"]["length_scale_bounds"] = {"tuple": [1e-5, 1.0, 1e5]}
    return f"{S}.kernel_.kernel.params.length_scale_bounds"


def unknown_kernel_class(doc: dict) -> str:
    _kernel_at(doc, "state", "kernel_")["name"] = "os.system"
    return f"{S}.kernel_.kernel.name: expected one of ConstantKernel"


def unknown_kernel_parameter(doc: dict) -> str:
    _kernel_at(doc, "state", "kernel_")["params"]["k2"]["kernel"]["params"]["extra"] = 1.0
    return f"{S}.kernel_.kernel.params.k2.kernel.params.extra: unknown field"


def missing_kernel_parameter(doc: dict) -> str:
    del _kernel_at(doc, "state", "kernel_")["params"]["k2"]["kernel"]["params"]["noise_level"]
    return f"{S}.kernel_.kernel.params.k2.kernel.params.noise_level: required field is missing"


def composition_too_deep(doc: dict) -> str:
    leaf = {
        "kernel": {
            "name": "WhiteKernel",
            "params": {"noise_level": 1.0, "noise_level_bounds": "fixed"},
        }
    }
    tree = leaf
    for _ in range(MAX_DEPTH):
        tree = {"kernel": {"name": "Sum", "params": {"k1": tree, "k2": copy.deepcopy(leaf)}}}
    doc["model"]["params"]["kernel"] = tree
    return f"kernels are composed more than {MAX_DEPTH} levels deep"


def composite_holds_a_number(doc: dict) -> str:
    _kernel_at(doc, "state", "kernel_")["params"]["k2"] = 1.0
    return f"{S}.kernel_.kernel.params.k2: expected a kernel"


def pairwise_callable_metric_name(doc: dict) -> str:
    _kernel_at(doc, "state", "kernel_")["params"]["metric"] = "precomputed"
    return f"{S}.kernel_.kernel.params.metric: expected 'additive_chi2', 'chi2'"


def pairwise_kwargs_n_jobs(doc: dict) -> str:
    kwargs = _kernel_at(doc, "state", "kernel_")["params"]["pairwise_kernels_kwargs"]
    kwargs["dict"]["n_jobs"] = 64
    return f"{S}.kernel_.kernel.params.pairwise_kernels_kwargs.dict.n_jobs: unknown field"


def cholesky_factor_nan(doc: dict) -> str:
    L = doc["model"]["state"]["L_"]["ndarray"]["data"]
    L[3][2] = "NaN"
    return f"{S}.L_: a Cholesky factor must be finite"


def cholesky_zero_pivot(doc: dict) -> str:
    doc["model"]["state"]["L_"]["ndarray"]["data"][5][5] = 0.0
    return f"{S}.L_: a Cholesky factor has a positive diagonal"


def cholesky_one_row_short(doc: dict) -> str:
    L = doc["model"]["state"]["L_"]["ndarray"]
    L["data"] = [row[:-1] for row in L["data"][:-1]]
    L["shape"] = [19, 19]
    return f"{S}.L_: shape[0] is 19 but n_samples is 20"


def alpha_one_row_short(doc: dict) -> str:
    a = doc["model"]["state"]["alpha_"]["ndarray"]
    a["data"], a["shape"] = a["data"][:-1], [19, *a["shape"][1:]]
    return f"{S}.alpha_: shape[0] is 19 but n_samples is 20"


def normalization_wrong_width(doc: dict) -> str:
    doc["model"]["state"]["_y_train_mean"] = nd([0.0, 1.0, 2.0])
    return f"{S}._y_train_mean: has 3 entries but y_train_ needs 2"


def n_targets_disagrees(doc: dict) -> str:
    doc["model"]["params"]["n_targets"] = 3
    return f"{P}.n_targets: is 3 but y_train_ holds 2 target(s)"


def per_sample_noise_wrong_length(doc: dict) -> str:
    doc["model"]["params"]["alpha"] = nd(np.full(7, 0.1))
    return f"{P}.alpha: has 7 entries but there are 20 training samples"


def optimizer_named_function(doc: dict) -> str:
    doc["model"]["params"]["optimizer"] = {"function": "numpy.exp"}
    return f"{P}.optimizer: expected "


def binary_targets_out_of_range(doc: dict) -> str:
    y = doc["model"]["state"]["base_estimator_"]["state"]["y_train_"]["ndarray"]["data"]
    y[0] = 2
    return f"{S}.base_estimator_.state.y_train_: targets are 0 or 1 (classes_ indices)"


def binary_length_scales_vs_training_data(doc: dict) -> str:
    kernel = _kernel_at(doc, "state", "base_estimator_", "state", "kernel_")
    kernel["params"]["length_scale"] = nd([1.0, 1.0])
    at = f"{S}.base_estimator_.state.kernel_.kernel.params.length_scale"
    return f"{at}: has 2 length scales but the model has 3 features"


def base_estimator_is_not_binary(doc: dict) -> str:
    base = doc["model"]["state"]["base_estimator_"]
    first = base["state"]["estimators_"][0]
    doc["model"]["state"]["base_estimator_"] = first  # a binary one where OvR belongs
    return (
        f"{S}.base_estimator_: must be a sklearn.multiclass.OneVsRestClassifier for 3 classes, "
        "not sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace"
    )


def ovr_part_is_not_binary_gpc(doc: dict) -> str:
    parts = doc["model"]["state"]["base_estimator_"]["state"]["estimators_"]
    parts[1] = json.loads(milo_codec.dumps(_fit(_another_classifier(), Y3 == 1)))["model"]
    return (
        f"{S}.base_estimator_.state.estimators_[1]: must be a "
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace"
    )


def _another_classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


def ovr_binary_fitted_on_fewer_features(doc: dict) -> str:
    parts = doc["model"]["state"]["base_estimator_"]["state"]["estimators_"]
    Xtr = parts[2]["state"]["X_train_"]["ndarray"]
    Xtr["data"] = [row[:2] for row in Xtr["data"]]
    Xtr["shape"] = [20, 2]
    return f"{S}.base_estimator_.state.estimators_[2].state.X_train_: has 2 features but the model has 3"


def kernel_alias_to_an_array(doc: dict) -> str:
    parts = doc["model"]["state"]["base_estimator_"]["state"]["estimators_"]
    target = "$.model.state.base_estimator_.state.estimators_[0].state.X_train_"
    parts[1]["params"]["kernel"] = {"alias": target}
    return (
        f"{S}.base_estimator_.state.estimators_[1].params.kernel: alias {target!r} names a "
        "value this field cannot hold"
    )


INVARIANT, SCHEMA = "InvariantError", "SchemaError"
CASES: list[tuple[str, Callable[[dict], str], str]] = [
    ("gpr-anisotropic", length_scales_one_short, INVARIANT),
    ("gpr-anisotropic", length_scale_negative, SCHEMA),
    ("gpr-normalized-2d", scalar_length_scale_zero, SCHEMA),
    ("gpr-anisotropic", bounds_wrong_shape, SCHEMA),
    ("gpr-anisotropic", bounds_pairs_for_two_of_three, SCHEMA),
    ("gpr-normalized-2d", bounds_three_values, SCHEMA),
    ("gpr-normalized-2d", unknown_kernel_class, SCHEMA),
    ("gpr-anisotropic", unknown_kernel_parameter, SCHEMA),
    ("gpr-anisotropic", missing_kernel_parameter, SCHEMA),
    ("gpr-normalized-2d", composition_too_deep, SCHEMA),
    ("gpr-anisotropic", composite_holds_a_number, SCHEMA),
    ("gpr-pairwise", pairwise_callable_metric_name, SCHEMA),
    ("gpr-pairwise", pairwise_kwargs_n_jobs, SCHEMA),
    ("gpr-anisotropic", cholesky_factor_nan, INVARIANT),
    ("gpr-anisotropic", cholesky_zero_pivot, INVARIANT),
    ("gpr-anisotropic", cholesky_one_row_short, INVARIANT),
    ("gpr-normalized-2d", alpha_one_row_short, INVARIANT),
    ("gpr-normalized-2d", normalization_wrong_width, INVARIANT),
    ("gpr-normalized-2d", n_targets_disagrees, INVARIANT),
    ("gpr-anisotropic", per_sample_noise_wrong_length, INVARIANT),
    ("gpr-anisotropic", optimizer_named_function, SCHEMA),
    ("gpc-binary", binary_targets_out_of_range, INVARIANT),
    ("gpc-binary", binary_length_scales_vs_training_data, INVARIANT),
    ("gpc-ovr", base_estimator_is_not_binary, INVARIANT),
    ("gpc-ovr", ovr_part_is_not_binary_gpc, INVARIANT),
    ("gpc-ovr", ovr_binary_fitted_on_fewer_features, INVARIANT),
    ("gpc-ovr", kernel_alias_to_an_array, INVARIANT),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str], str]]:
    """Every crafted document loaded in child processes, once: (error, problems, expected)."""
    loaded = load_cases(CASES, _doc, tmp_path_factory.mktemp("crafted"))
    return {name: (o.verdict, o.problems, want) for name, (o, want) in loaded.items()}


@pytest.mark.parametrize(
    ("base", "mutate", "error"), CASES, ids=[m.__name__.replace("_", "-") for _, m, _ in CASES]
)
def test_a_crafted_document_is_refused_with_its_path(
    base: str, mutate: Callable, error: str, outcomes: dict
) -> None:
    got, problems, expected = outcomes[mutate.__name__]
    assert got == error, problems
    assert any(p.startswith(expected) or expected in p for p in problems), problems


# ---------------------------------------------------------------------------
# Kernels on their own, and what cannot be written


def _round_trip(model: Any) -> Any:
    from jsonschema import Draft202012Validator
    from test_schemas import BASE, registry

    text = milo_codec.dumps(model)
    validator = Draft202012Validator({"$ref": BASE + "envelope/v1.json"}, registry=registry())
    assert list(validator.iter_errors(json.loads(text))) == []  # a second validator agrees
    loaded = milo_codec.loads(text)
    assert milo_codec.dumps(loaded) == text
    assert_identical(vars(model), vars(loaded), "__dict__")
    return loaded


def test_every_kernel_class_round_trips_and_computes_the_same() -> None:
    kernels = [
        # what a multi-class GaussianProcessClassifier answers for kernel_: one per class
        CompoundKernel([RBF(2.0), RBF(0.5)]),
        Matern(np.array([1.0, 2.0, 3.0]), nu=1.5) + WhiteKernel(),
        Exponentiation(DotProduct(0.0, "fixed") + ConstantKernel(2, (0.1, 10.0)), 3),
        ExpSineSquared(1.5, 2.0, "fixed", (1.0, 5.0)) * RationalQuadratic(alpha=2.0),
        PairwiseKernel(0.5, metric="sigmoid", pairwise_kernels_kwargs={"coef0": 0.5}),
        RBF(length_scale=[1.0, 2, 3.5], length_scale_bounds=np.array([[1e-3, 1e3]] * 3)),
        Matern([1.0, 2.0, 0.5], [(1e-3, 1e3), (1e-2, 1e2), (1e-1, 1e1)], nu=0.5),
        Matern((1.0, 2.0, 3.0), nu=np.inf),
    ]
    for kernel in kernels:
        loaded = _round_trip(GaussianProcessRegressor(kernel=kernel)).kernel
        assert type(loaded) is type(kernel)
        assert_identical(kernel(X), loaded(X), "K")
        assert_identical(kernel(X, eval_gradient=True), loaded(X, eval_gradient=True), "dK")
        assert_identical(kernel.diag(X), loaded.diag(X), "diag")
        assert_identical(kernel.theta, loaded.theta, "theta")
        assert_identical(kernel.bounds, loaded.bounds, "bounds")


def test_a_kernel_shared_by_reference_comes_back_shared() -> None:
    model = _fit(GaussianProcessClassifier(RBF()), Y3)
    loaded = _round_trip(model)
    assert loaded.base_estimator_.estimator.kernel is loaded.kernel


def _my_metric(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_a_callable_pairwise_metric_is_refused_naming_the_allowed_ones() -> None:
    model = GaussianProcessRegressor(kernel=RBF() + PairwiseKernel(metric=_my_metric))
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert str(e.value) == (
        "$.model.params.kernel: cannot write a value of type "
        "sklearn.gaussian_process.kernels.Sum (PairwiseKernel metrics other than "
        "additive_chi2, chi2, linear, polynomial, poly, rbf, laplacian, sigmoid, cosine "
        "(this one is the callable test_gaussian_process_state._my_metric) are not supported "
        "by the milo format)."
    )


def _my_optimizer(obj_func: Any, initial_theta: Any, bounds: Any) -> Any:
    return initial_theta, obj_func(initial_theta, eval_gradient=False)


@pytest.mark.parametrize("cls", [GaussianProcessRegressor, GaussianProcessClassifier])
def test_a_callable_optimizer_is_refused_naming_the_value(cls: type) -> None:
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(cls(optimizer=_my_optimizer))
    assert str(e.value).startswith(
        "$.model.params.optimizer: the callable test_gaussian_process_state._my_optimizer "
        "cannot be written"
    )


def test_a_kernel_subclass_is_refused_by_name() -> None:
    class MyRBF(RBF):
        pass

    with pytest.raises(milo_codec.UnsupportedModelError, match=r"kernels other than .*MyRBF"):
        milo_codec.dumps(GaussianProcessRegressor(kernel=MyRBF()))


def test_a_kernel_holding_extra_attributes_is_refused() -> None:
    kernel = RBF()
    kernel.note = "fitted elsewhere"
    with pytest.raises(milo_codec.UnsupportedModelError, match="attributes other than"):
        milo_codec.dumps(GaussianProcessRegressor(kernel=kernel))


def test_a_loaded_classifier_continues_warm_started_fitting_like_the_original() -> None:
    """With warm_start, the Laplace approximation starts from f_cached: it must come back."""
    original = _fit(GaussianProcessClassifier(RBF(), warm_start=True, random_state=0), Y3 == 0)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    for model in (original, loaded):
        _fit(model, Y3 == 0)
    assert milo_codec.dumps(loaded) == milo_codec.dumps(original)


def test_unfitted_models_round_trip() -> None:
    for model in (
        GaussianProcessRegressor(),
        GaussianProcessClassifier(kernel=Matern(nu=np.inf), random_state=np.random.RandomState(4)),
    ):
        _round_trip(model)


# ---------------------------------------------------------------------------
# Whatever loads must not crash the process: every array (at any depth) is cut short, cut
# narrower or grown by a row, one at a time, and every file that loads is queried.


def _array_mutations(node: Any) -> list[Callable[[], None]]:
    """Closures that each change one array somewhere inside ``node`` (in place)."""
    out: list[Callable[[], None]] = []
    if isinstance(node, dict):
        if "ndarray" in node and isinstance(node["ndarray"], dict):
            a = node["ndarray"]
            if a["dtype"] == "object" or not a["shape"] or not a["shape"][0]:
                return out
            data, shape = a["data"], a["shape"]

            def set_to(d: Any, s: list[int]) -> Callable[[], None]:
                return lambda: a.update(data=d, shape=s)

            out.append(set_to(data[:-1], [shape[0] - 1, *shape[1:]]))
            out.append(set_to([*data, data[0]], [shape[0] + 1, *shape[1:]]))
            if len(shape) == 2 and shape[1] > 1:
                out.append(set_to([row[:-1] for row in data], [shape[0], shape[1] - 1]))
            return out
        for v in node.values():
            out.extend(_array_mutations(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_array_mutations(v))
    return out


_CALLS = (
    "m.predict(Xq)",
    "m.predict_proba(Xq)",
    "m.predict(Xq, return_std=True)",
    "m.predict(Xq, return_cov=True)",
    "m.sample_y(Xq, 2, random_state=0)",
    "m.log_marginal_likelihood(m.kernel_.theta)",
)


@pytest.mark.parametrize("base", ["gpr-anisotropic", "gpr-normalized-2d", "gpc-binary", "gpc-ovr"])
def test_whatever_loads_queries_without_crashing(base: str, tmp_path: Any) -> None:
    docs: list[dict] = []
    for i in range(len(_array_mutations(_doc(base)))):
        doc = _doc(base)
        _array_mutations(doc)[i]()
        docs.append(doc)
    assert_mutants_survive(docs, tmp_path, X[:5], _CALLS)
