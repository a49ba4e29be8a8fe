"""PolynomialFeatures keeps only counts, and transform allocates what they say: a file's counts
must be the ones fit derives from degree, the flags and n_features_in_ (fuzzing found a count
of 2**64 loading and then failing in transform). The same holds for SplineTransformer's
splines and for the encoders' infrequent-category tables, dropped columns and output widths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc, load_in_children
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MultiLabelBinarizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    SplineTransformer,
)

import milo_codec

X = np.random.RandomState(0).randn(6, 4)


def _set(**values: Any) -> Callable[[dict], None]:
    return lambda doc: doc["model"]["state"].update(values)


# id → (mutation of a degree-2 fit over 4 features, error class, "path: message" expected)
CASES: dict[str, tuple[Callable[[dict], None], type, str]] = {
    "full-count-beyond-64-bits": (
        _set(_n_out_full=2**64),
        milo_codec.InvariantError,
        "$.model.state._n_out_full: is 18446744073709551616 but degrees up to 2 over 4 "
        "features make 15",
    ),
    "output-count-off-by-one": (
        _set(n_output_features_=16),
        milo_codec.InvariantError,
        "$.model.state.n_output_features_: is 16 but degrees [0, 2] over 4 features make 15",
    ),
    "degrees-not-from-the-parameter": (
        _set(_min_degree=1),
        milo_codec.InvariantError,
        "$.model.state._min_degree: _min_degree and _max_degree are [1, 2] but degree = 2 "
        "makes them [0, 2]",
    ),
    "astronomical-degree": (
        lambda doc: (
            doc["model"]["params"].update(degree=10**18),
            doc["model"]["state"].update(_max_degree=10**18),
        ),
        milo_codec.InvariantError,
        "$.model.state.n_output_features_: degrees [0, 1000000000000000000] over 4 features "
        "make more output features than scikit-learn can index",
    ),
    "a-degree-fit-does-not-take": (
        lambda doc: (
            doc["model"]["params"].update(degree=["a", 2]),
            doc["model"]["state"].update(_n_out_full=2**64),
        ),
        milo_codec.InvariantError,
        "$.model.params.degree: is ['a', 2]: degree is an integer or two",
    ),
    "negative-feature-count": (
        _set(n_features_in_=-1),
        milo_codec.SchemaError,
        "$.model.state.n_features_in_",
    ),
}


@pytest.mark.parametrize(("mutate", "error", "expected"), CASES.values(), ids=list(CASES))
def test_counts_fit_would_not_derive_are_refused(
    mutate: Callable[[dict], None], error: type, expected: str
) -> None:
    doc = editable_doc(PolynomialFeatures(degree=2).fit(X))
    mutate(doc)
    with pytest.raises(error) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)


@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [False, True])
@pytest.mark.parametrize(
    "degree", [1, 3, (0, 2), (2, 2), (2, 5), (4, 6), [1, 3], np.array([1, 3])], ids=str
)
@pytest.mark.parametrize("n_features", [1, 4])
def test_every_fitted_configuration_loads(
    degree: Any, interaction_only: bool, include_bias: bool, n_features: int
) -> None:
    model = PolynomialFeatures(
        degree=degree, interaction_only=interaction_only, include_bias=include_bias
    ).fit(X[:, :n_features])
    loaded = milo_codec.loads(milo_codec.dumps(model))
    np.testing.assert_array_equal(
        loaded.transform(X[:, :n_features]), model.transform(X[:, :n_features])
    )


def _splines(doc: dict) -> list:
    return doc["model"]["state"]["bsplines_"]


# id → (mutation of a 3-feature SplineTransformer fit, "path: message" expected)
SPLINE_CASES: dict[str, tuple[Callable[[dict], None], str]] = {
    "a-spline-missing": (
        lambda doc: _splines(doc).pop(0),
        "$.model.state.bsplines_: has 2 splines but n_features_in_ is 3",
    ),
    "another-degree": (
        lambda doc: _splines(doc)[1]["bspline"].update(k=4),
        "$.model.state.bsplines_[1]: has degree 4 but the degree parameter is 3",
    ),
    "output-count-beyond-the-basis": (
        _set(n_features_out_=10**9),
        "$.model.state.n_features_out_: is 1000000000 but 3 features of 7 basis functions make 21",
    ),
}


@pytest.mark.parametrize(("mutate", "expected"), SPLINE_CASES.values(), ids=list(SPLINE_CASES))
def test_splines_fit_would_not_build_are_refused(
    mutate: Callable[[dict], None], expected: str
) -> None:
    doc = editable_doc(SplineTransformer().fit(X[:, :3]))
    mutate(doc)
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)


@pytest.mark.parametrize("extrapolation", ["error", "constant", "linear", "continue", "periodic"])
@pytest.mark.parametrize("include_bias", [False, True])
@pytest.mark.parametrize(("n_knots", "degree"), [(2, 1), (5, 3), (4, 0)], ids=str)
def test_every_fitted_spline_configuration_loads(
    extrapolation: str, include_bias: bool, n_knots: int, degree: int
) -> None:
    if extrapolation == "periodic" and n_knots <= degree:
        pytest.skip("periodic splines need degree < n_knots")
    model = SplineTransformer(
        n_knots=n_knots, degree=degree, extrapolation=extrapolation, include_bias=include_bias
    ).fit(X)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    inside = np.clip(X, X.min(axis=0), X.max(axis=0))
    np.testing.assert_array_equal(loaded.transform(inside), model.transform(inside))


# Three features: one with two rare categories, one all frequent, one with a missing value.
_CATS = np.array(
    [["a", 1.0, "x"]] * 8
    + [["b", 1.0, "y"]] * 8
    + [["c", 2.0, "x"]] * 8
    + [["d", 2.0, None]] * 1
    + [["e", 2.0, "y"]] * 1,
    dtype=object,
)
_ENCODERS: dict[str, Callable[[], Any]] = {
    "onehot-plain": lambda: OneHotEncoder(),
    "onehot-drop-first": lambda: OneHotEncoder(drop="first"),
    "onehot-drop-if-binary": lambda: OneHotEncoder(drop="if_binary"),
    "onehot-drop-listed": lambda: OneHotEncoder(drop=["a", 2.0, "y"]),
    "onehot-min-frequency": lambda: OneHotEncoder(min_frequency=5),
    "onehot-min-frequency-drop-first": lambda: OneHotEncoder(min_frequency=5, drop="first"),
    "onehot-max-categories": lambda: OneHotEncoder(
        max_categories=2, handle_unknown="infrequent_if_exist"
    ),
    "ordinal-plain": lambda: OrdinalEncoder(),
    "ordinal-min-frequency": lambda: OrdinalEncoder(min_frequency=5),
    "ordinal-max-categories": lambda: OrdinalEncoder(
        max_categories=2, handle_unknown="use_encoded_value", unknown_value=-1
    ),
}


@pytest.mark.parametrize("make", _ENCODERS.values(), ids=list(_ENCODERS))
def test_every_encoder_configuration_loads(make: Callable[[], Any]) -> None:
    """A feature without rare categories keeps null tables beside one that has them (such a
    fit had been refused at dump)."""
    model = make().fit(_CATS)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    got, want = loaded.transform(_CATS), model.transform(_CATS)
    if hasattr(want, "toarray"):
        got, want = got.toarray(), want.toarray()
    np.testing.assert_array_equal(got, want)


def _state_of(doc: dict) -> dict:
    return doc["model"]["state"]


def _object_array(*values: Any) -> dict:
    return {"ndarray": {"dtype": "object", "shape": [len(values)], "data": list(values)}}


def _int_array(*values: int) -> dict:
    return {"ndarray": {"dtype": "int64", "shape": [len(values)], "data": list(values)}}


# id → (encoder, mutation of its fit on _CATS, "path: message" expected)
ENCODER_CASES: dict[str, tuple[Callable[[], Any], Callable[[dict], None], str]] = {
    "output-widths-not-derived": (
        OneHotEncoder,
        _set(_n_features_outs=[5, 2, 9]),
        "$.model.state._n_features_outs: must be [5, 2, 3], as fit derives",
    ),
    "output-widths-one-short": (
        OneHotEncoder,
        _set(_n_features_outs=[5, 2]),
        "$.model.state._n_features_outs: must be [5, 2, 3], as fit derives",
    ),
    "dropped-column-beyond-the-categories": (
        lambda: OneHotEncoder(drop="first"),
        _set(_drop_idx_after_grouping=_object_array(0, 7, 0), drop_idx_=_object_array(0, 7, 0)),
        "$.model.state._drop_idx_after_grouping[1]: must be null or a category index below 2",
    ),
    "dropped-column-not-an-index": (
        lambda: OneHotEncoder(drop="first"),
        _set(drop_idx_=_object_array(0, "a", 0)),
        "$.model.state.drop_idx_[1]: must be null or a category index below 2",
    ),
    "a-drop-per-feature": (
        lambda: OneHotEncoder(drop="first"),
        _set(drop_idx_=_object_array(0, 0)),
        "$.model.state.drop_idx_: must hold one entry per feature (3)",
    ),
    "mapping-beyond-the-grouped-categories": (
        lambda: OneHotEncoder(min_frequency=5),
        lambda doc: _state_of(doc).update(
            _default_to_infrequent_mappings=[_int_array(0, 1, 2, 9, 3), None, None]
        ),
        "$.model.state._default_to_infrequent_mappings[0]: must map into the 4 grouped categories",
    ),
    "mapping-without-rare-categories": (
        lambda: OrdinalEncoder(min_frequency=5),
        lambda doc: _state_of(doc).update(_infrequent_indices=[None, None, None]),
        "$.model.state._infrequent_indices[0]: must be null exactly where "
        "_default_to_infrequent_mappings[0] is",
    ),
    "rare-categories-enabled-without-their-table": (
        lambda: OneHotEncoder(min_frequency=5),
        lambda doc: _state_of(doc).pop("_default_to_infrequent_mappings"),
        "$.model.state: infrequent categories are enabled but _default_to_infrequent_mappings "
        "is missing",
    ),
    "rare-category-beyond-the-categories": (
        lambda: OrdinalEncoder(min_frequency=5),
        lambda doc: _state_of(doc).update(_infrequent_indices=[_int_array(3, 40), None, None]),
        "$.model.state._infrequent_indices[0]: must be increasing category indices below 5",
    ),
}


@pytest.mark.parametrize(
    ("make", "mutate", "expected"), ENCODER_CASES.values(), ids=list(ENCODER_CASES)
)
def test_encoder_tables_fit_would_not_derive_are_refused(
    make: Callable[[], Any], mutate: Callable[[dict], None], expected: str
) -> None:
    doc = editable_doc(make().fit(_CATS))
    mutate(doc)
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)


def _kbins(encode: str) -> dict:
    return editable_doc(KBinsDiscretizer(n_bins=3, encode=encode).fit(X))


def _other_bins(doc: dict) -> None:
    cats = doc["model"]["state"]["_encoder"]["state"]["categories_"]
    cats[1]["ndarray"]["data"] = [0, 1, 5]


# id → (encode, mutation, "path: message" expected)
KBINS_CASES: dict[str, tuple[str, Callable[[dict], None], str]] = {
    "onehot-without-its-encoder": (
        "onehot",
        lambda doc: doc["model"]["state"].pop("_encoder"),
        "$.model.state: a one-hot encoding needs _encoder",
    ),
    "ordinal-with-an-encoder": (
        "ordinal",
        lambda doc: doc["model"]["state"].update(
            _encoder=_kbins("onehot")["model"]["state"]["_encoder"]
        ),
        "$.model.state._encoder: only a one-hot encoding has an encoder",
    ),
    "encoder-over-other-bins": (
        "onehot-dense",
        _other_bins,
        "$.model.state._encoder.state.categories_: must be the bin numbers",
    ),
}


@pytest.mark.parametrize(
    ("encode", "mutate", "expected"), KBINS_CASES.values(), ids=list(KBINS_CASES)
)
def test_a_binning_encoder_fit_would_not_build_is_refused(
    encode: str, mutate: Callable[[dict], None], expected: str
) -> None:
    """transform hands the bin numbers to _encoder: without it a one-hot binning had loaded and
    raised AttributeError in transform."""
    doc = _kbins(encode)
    mutate(doc)
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert expected in str(e.value)


def _multilabel(column_of_first: int | None = None, swap: bool = False) -> dict:
    """A MultiLabelBinarizer over labels 1..4 whose transform built its column cache."""
    mlb = MultiLabelBinarizer().fit([[1, 2], [3], [4, 1]])
    mlb.transform([[1]])  # builds _cached_dict
    doc = editable_doc(mlb)
    items = doc["model"]["state"]["_cached_dict"]["dict_items"]
    if column_of_first is not None:
        items[0][1] = column_of_first
    if swap:
        items[0][1], items[1][1] = items[1][1], items[0][1]
    return doc


MULTILABEL_CASES: dict[str, tuple[dict, str]] = {
    "a-column-past-the-end": (
        _multilabel(column_of_first=10**9),
        "$.model.state._cached_dict: maps 1 to 1000000000 but it is classes_[0]",
    ),
    "two-labels-swapped": (
        _multilabel(swap=True),
        "$.model.state._cached_dict: maps 1 to 1 but it is classes_[0]",
    ),
}


def test_a_multilabel_column_cache_fit_would_not_build_is_refused(tmp_path: Path) -> None:
    """transform writes a sparse matrix's column indices from _cached_dict without bounds
    checks; a column of 10**9 crashed the process (SIGSEGV) when the output was made dense.
    In child processes, so that the old behaviour is a failed case, not a dead test run."""
    docs = {name: doc for name, (doc, _) in MULTILABEL_CASES.items()}
    docs["unmodified"] = _multilabel()
    then = "model.transform([[1, 3], [2]])"
    outcomes = load_in_children(docs, tmp_path, then=then)
    assert outcomes["unmodified"].status == "loaded", outcomes["unmodified"]
    for name, (_, expected) in MULTILABEL_CASES.items():
        assert outcomes[name].error == "InvariantError", (name, outcomes[name])
        assert any(line.strip().startswith(expected) for line in outcomes[name].lines), outcomes[
            name
        ]
