"""What the fuzzer (test_fuzz.py) found, each pinned by the smallest file that showed it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from crafted import editable_doc
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import milo_codec

X = np.random.RandomState(0).randn(20, 2)
y = np.arange(20) % 2


def _sgd() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SGDClassifier(max_iter=5, random_state=0).fit(X, y)


# A field of one kind only is decoded without a union choosing it by its wrapper key first;
# the decoders read ``d["recarray"]`` (and friends) directly, so an empty object or another
# wrapper escaped as KeyError. Each case: estimator, field path, its one kind's wrapper key.
WRAPPED: list[tuple[Callable[[], Any], tuple[str, ...], str]] = [
    (lambda: DecisionTreeClassifier(max_depth=2).fit(X, y), ("tree_", "tree", "nodes"), "recarray"),
    (lambda: DecisionTreeClassifier(max_depth=2).fit(X, y), ("n_classes_",), "int64"),
    (lambda: SVC().fit(sp.csr_matrix(X), y), ("support_vectors_",), "sparse"),
    (_sgd, ("_loss_function_",), "closs"),
]


@pytest.mark.parametrize("replacement", [{}, {"other": 1}, [], "x"])
@pytest.mark.parametrize(("make", "field", "key"), WRAPPED, ids=[w[2] for w in WRAPPED])
def test_a_field_without_its_wrapper_is_a_schema_error(
    make: Callable[[], Any], field: tuple[str, ...], key: str, replacement: Any
) -> None:
    doc = editable_doc(make())
    node = doc["model"]["state"]
    for step in field[:-1]:
        node = node[step]
    assert key in node[field[-1]]
    node[field[-1]] = replacement
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert any(p.path == "$.model.state." + ".".join(field) for p in e.value.problems), str(e.value)


@pytest.mark.parametrize("replacement", [{}, {"type": "numpy.log1p"}, {"function": 1}])
def test_a_named_function_without_its_wrapper_is_a_schema_error(replacement: Any) -> None:
    doc = editable_doc(FunctionTransformer(np.log1p).fit(X))
    doc["model"]["params"]["func"] = replacement
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert any(p.path.startswith("$.model.params.func") for p in e.value.problems), str(e.value)


@pytest.mark.parametrize("member", ["format", "container"])
def test_a_sparse_format_that_is_not_a_string_is_a_schema_error(member: str) -> None:
    # Looked up in a table keyed by (format, container): a list escaped as TypeError.
    from sklearn.random_projection import SparseRandomProjection

    doc = editable_doc(SparseRandomProjection(n_components=3, random_state=0).fit(X))
    doc["model"]["state"]["components_"]["sparse"][member] = []
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert any(p.path == "$.model.state.components_.sparse.format" for p in e.value.problems), str(
        e.value
    )


def test_a_kernel_name_that_is_not_a_string_is_a_schema_error() -> None:
    # Looked up in the kernel table: a list escaped as TypeError.
    from sklearn.gaussian_process import GaussianProcessRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = editable_doc(GaussianProcessRegressor().fit(X, X[:, 0]))
    doc["model"]["state"]["kernel_"]["kernel"]["name"] = ["RBF"]
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert any(p.path == "$.model.state.kernel_.kernel.name" for p in e.value.problems), str(
        e.value
    )


@pytest.mark.parametrize(
    ("dim", "index_dtype"), [(2**64, "int64"), (2**63, "int64"), (2**31, "int32")]
)
def test_a_sparse_dimension_beyond_the_index_dtype_is_a_schema_error(
    dim: int, index_dtype: str
) -> None:
    # The minor dimension is bounded by nothing else: 2**64 escaped scipy as OverflowError.
    from sklearn.random_projection import SparseRandomProjection

    doc = editable_doc(SparseRandomProjection(n_components=3, random_state=0).fit(X))
    sparse = doc["model"]["state"]["components_"]["sparse"]
    for name in ("indices", "indptr"):
        sparse[name]["ndarray"]["dtype"] = index_dtype
    sparse["shape"][1] = dim
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert any(p.path == "$.model.state.components_.sparse.shape" for p in e.value.problems), str(
        e.value
    )
