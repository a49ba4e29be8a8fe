"""Kernel approximation: what a file may say is bounded before anything is constructed.

PolynomialCountSketch scatters each input feature into the bucket ``indexHash_`` names, with
numpy fancy indexing: a negative index silently lands in another bucket, one past the end
fails mid-transform. Nothing here reaches compiled code with file-controlled sizes, so the
crafted files are only validated (validation constructs nothing). Nystroem's kernel is a
closed list of names: a callable is refused when writing, naming what is allowed.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import doc_cache, nd
from sklearn.kernel_approximation import Nystroem, PolynomialCountSketch, RBFSampler
from sklearn.metrics.pairwise import rbf_kernel

import milo_codec
from milo_codec import UnsupportedModelError

X = np.random.RandomState(0).randn(30, 5)
S = "$.model.state"
KERNELS = (
    "'additive_chi2', 'chi2', 'cosine', 'laplacian', 'linear', 'poly', 'polynomial', "
    "'precomputed', 'rbf', 'sigmoid'"
)


def _fit(est: Any, X_fit: Any = X) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_fit)


FITS: dict[str, Callable[[], Any]] = {
    "sketch": lambda: _fit(PolynomialCountSketch(n_components=8, random_state=0)),
    "sketch-coef0": lambda: _fit(PolynomialCountSketch(n_components=8, coef0=1.0, random_state=0)),
    "rbf": lambda: _fit(RBFSampler(n_components=6, random_state=0)),
    "nystroem": lambda: _fit(Nystroem(n_components=10, random_state=0)),
    "nystroem-precomputed": lambda: _fit(
        Nystroem(kernel="precomputed", n_components=30, random_state=0), rbf_kernel(X)
    ),
}
_doc = doc_cache(FITS)


def arr(state: dict, name: str) -> np.ndarray:
    a = state[name]["ndarray"]
    return np.array(a["data"], dtype=a["dtype"]).reshape(a["shape"])


def _problems(doc: dict) -> list[str]:
    return [str(p) for p in milo_codec.validate(json.dumps(doc)).problems]


# Each mutation changes a document and returns exactly the problems it must cause.


def negative_bucket(doc: dict) -> list[str]:
    s = doc["model"]["state"]
    index = arr(s, "indexHash_")
    index[1, 2] = -1
    s["indexHash_"] = nd(index)
    return [
        f"{S}.indexHash_: holds bucket indices in [-1, {index.max()}] but they must lie in "
        "[0, n_components = 8)"
    ]


def bucket_past_the_end(doc: dict) -> list[str]:
    s = doc["model"]["state"]
    index = arr(s, "indexHash_")
    index[0, 0] = 8
    s["indexHash_"] = nd(index)
    return [
        f"{S}.indexHash_: holds bucket indices in [{index.min()}, 8] but they must lie in "
        "[0, n_components = 8)"
    ]


def sign_not_unit(doc: dict) -> list[str]:
    s = doc["model"]["state"]
    bits = arr(s, "bitHash_")
    bits[0, 1] = 3
    s["bitHash_"] = nd(bits)
    return [f"{S}.bitHash_: must hold only -1 and 1 (a random sign)"]


def coef0_column_dropped(doc: dict) -> list[str]:
    # the tables of a coef0 != 0 fit have a column for the constant feature; coef0 = 0 drops it
    doc["model"]["params"]["coef0"] = 0
    return [
        f"{S}.indexHash_: has 6 columns but n_features_in_ = 5 and coef0 = 0 need 5",
    ]


def tables_of_another_degree(doc: dict) -> list[str]:
    doc["model"]["params"]["degree"] = 3
    return [
        f"{S}.indexHash_: shape[0] is 2 but degree is 3 (from $.model.params.degree)",
        f"{S}.bitHash_: shape[0] is 2 but degree is 3 (from $.model.params.degree)",
    ]


def n_components_disagrees(doc: dict) -> list[str]:
    doc["model"]["params"]["n_components"] = 7
    return [
        f"{S}.random_weights_: shape[1] is 6 but n_components is 7 (from $.model.params.n_components)",
        f"{S}.random_offset_: shape[0] is 6 but n_components is 7 (from $.model.params.n_components)",
        f"{S}._n_features_out: is 6 but the transform produces n_components = 7 columns",
    ]


def more_basis_rows_than_components(doc: dict) -> list[str]:
    doc["model"]["params"]["n_components"] = 9
    return [f"{S}._n_features_out: is 10, more than n_components = 9 basis rows"]


def normalization_not_square(doc: dict) -> list[str]:
    s = doc["model"]["state"]
    s["normalization_"] = nd(arr(s, "normalization_")[:, :9])
    return [
        f"{S}.normalization_: shape[1] is 9 but _n_features_out is 10 (from {S}._n_features_out)"
    ]


def precomputed_basis_not_square(doc: dict) -> list[str]:
    s = doc["model"]["state"]
    for name in ("normalization_", "component_indices_"):
        a = arr(s, name)
        s[name] = nd(a[:29, :29] if a.ndim == 2 else a[:29])
    s["components_"] = nd(arr(s, "components_")[:29])
    s["_n_features_out"] = 29
    return [
        f"{S}.components_: with kernel='precomputed' the basis is square, but it has 29 rows "
        "for n_features_in_ = 30 training samples"
    ]


def callable_kernel_named_in_file(doc: dict) -> list[str]:
    doc["model"]["params"]["kernel"] = {"function": "numpy.tanh"}
    return [f"$.model.params.kernel: expected one of {KERNELS}"]


def unknown_kernel_parameter(doc: dict) -> list[str]:
    doc["model"]["params"]["kernel_params"] = {"dict": {"gamma": 0.5, "metric": "cosine"}}
    return [
        "$.model.params.kernel_params.dict.metric: unknown field; remove it "
        "(fields are fixed by the schema)"
    ]


CASES: list[tuple[str, Callable[[dict], list[str]]]] = [
    ("sketch", negative_bucket),
    ("sketch", bucket_past_the_end),
    ("sketch", sign_not_unit),
    ("sketch-coef0", coef0_column_dropped),
    ("sketch", tables_of_another_degree),
    ("rbf", n_components_disagrees),
    ("nystroem", more_basis_rows_than_components),
    ("nystroem", normalization_not_square),
    ("nystroem-precomputed", precomputed_basis_not_square),
    ("nystroem", callable_kernel_named_in_file),
    ("nystroem", unknown_kernel_parameter),
]


@pytest.mark.parametrize(
    ("base", "mutate"), CASES, ids=[m.__name__.replace("_", "-") for _, m in CASES]
)
def test_a_crafted_file_is_refused_with_its_path(
    base: str, mutate: Callable[[dict], list[str]]
) -> None:
    doc = _doc(base)
    assert _problems(doc) == []
    expected = mutate(doc)
    assert _problems(doc) == expected


def _my_kernel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.exp(-np.sum((a - b) ** 2)))


def test_a_callable_kernel_is_refused_at_dump() -> None:
    model = _fit(Nystroem(kernel=_my_kernel, n_components=5, random_state=0))
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert str(e.value).startswith(
        "$.model.params.kernel: the callable test_kernel_approximation_state._my_kernel cannot "
        "be written: sklearn.kernel_approximation.Nystroem's kernel takes only 'additive_chi2',"
    )


def test_a_numpy_function_as_kernel_is_refused_at_dump_naming_the_kernels() -> None:
    model = Nystroem(kernel=np.tanh, n_components=5)  # writable as a function, not a kernel
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert f"$.model.params.kernel: expected one of {KERNELS}" in str(e.value)
