"""A file that fails is refused before anything is built; dump never leaves a half-written file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    RANSACRegressor,
    RidgeCV,
    TheilSenRegressor,
)
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier

import milo_codec
from milo_codec import (
    InvariantError,
    MiloError,
    ParseError,
    SchemaError,
    UnsupportedModelError,
    VersionError,
)

RNG = np.random.RandomState(0)
X = RNG.randn(40, 3)
y = np.arange(40) % 3


def _doc(model: Any) -> dict:
    return json.loads(milo_codec.dumps(model))


def _text(doc: dict) -> str:
    return json.dumps(doc)


@pytest.fixture
def logistic_doc() -> dict:
    return _doc(LogisticRegression(max_iter=200).fit(X, y))


@pytest.fixture
def ransac_doc() -> dict:
    return _doc(
        RANSACRegressor(estimator=LinearRegression(), random_state=0).fit(X, X @ [1.0, 2.0, 3.0])
    )


class Tripwire:
    """Records (and forbids) every construction or state restore of the patched classes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *classes: type) -> None:
        self.calls: list[str] = []
        for cls in classes:
            for name in ("__init__", "__setstate__", "__setattr__"):
                monkeypatch.setattr(cls, name, self._trip(f"{cls.__name__}.{name}"))

    def _trip(self, label: str) -> Any:
        def tripped(*args: Any, **kwargs: Any) -> None:
            self.calls.append(label)
            raise AssertionError(f"{label} was called for a file that must be refused")

        return tripped


def _mutations() -> list[Any]:
    def set_in(*path_and_value: Any) -> Any:
        *path, value = path_and_value

        def apply(doc: dict) -> None:
            target = doc
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return apply

    return [
        pytest.param(
            set_in("model", "params", "penalty", "l3"), SchemaError, id="string-option-not-in-enum"
        ),
        pytest.param(set_in("model", "params", "C", -1), SchemaError, id="interval-violated"),
        pytest.param(set_in("model", "params", "bogus", 1), SchemaError, id="unknown-param"),
        pytest.param(
            set_in("model", "state", "n_features_in_", 7), InvariantError, id="shape-disagrees"
        ),
        pytest.param(set_in("model", "schema", "os.system"), SchemaError, id="unknown-schema-id"),
        pytest.param(
            set_in("model", "class", "builtins.eval"), SchemaError, id="class-name-from-file"
        ),
        pytest.param(set_in("format_version", 2), VersionError, id="format-version"),
        pytest.param(
            set_in("producer", "scikit-learn", "1.2.0"), VersionError, id="sklearn-version"
        ),
    ]


@pytest.mark.parametrize(("mutate", "error"), _mutations())
def test_a_refused_file_constructs_nothing(
    monkeypatch: pytest.MonkeyPatch, logistic_doc: dict, mutate: Any, error: type
) -> None:
    mutate(logistic_doc)
    wire = Tripwire(monkeypatch, LogisticRegression)
    with pytest.raises(error):
        milo_codec.loads(_text(logistic_doc))
    assert wire.calls == []
    assert not milo_codec.validate(_text(logistic_doc)).ok


def test_a_bad_nested_model_stops_the_outer_one_too(
    monkeypatch: pytest.MonkeyPatch, ransac_doc: dict
) -> None:
    ransac_doc["model"]["state"]["estimator_"]["state"]["coef_"]["ndarray"]["shape"] = [4]
    wire = Tripwire(monkeypatch, RANSACRegressor, LinearRegression)
    with pytest.raises(SchemaError) as info:
        milo_codec.loads(_text(ransac_doc))
    assert wire.calls == []
    assert str(info.value.problems[0]) == (
        "$.model.state.estimator_.state.coef_.ndarray.data: data has shape [3] but shape says [4]"
    )


def test_invalid_bytes_construct_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = Tripwire(monkeypatch, LogisticRegression)
    for data in (b"\xef\xbb\xbf{}", b'{"a": NaN}', b'{"a": 1, "a": 2}', b"\xff", b"{} []"):
        with pytest.raises(ParseError):
            milo_codec.loads(data)
    assert wire.calls == []


def test_parse_errors_name_the_byte_offset() -> None:
    with pytest.raises(ParseError) as info:
        milo_codec.loads(b'{"format": "milo",\n "x": NaN}')
    assert str(info.value.problems[0]) == (
        '$: bare NaN is not JSON; milo files write it as the string "NaN"'
    )
    with pytest.raises(ParseError) as info:
        milo_codec.loads(b'{"a": 1, "a": 2}')
    assert (
        str(info.value.problems[0]) == "$: duplicate key 'a': every key may appear once per object"
    )
    nested = b'{"model": {"state": [{"ok": 1}, {"w x": {"b": 1, "c": 2, "b": 3}}], "a": 1, "a": 2}}'
    with pytest.raises(ParseError) as info:
        milo_codec.loads(nested)
    assert str(info.value.problems[0]) == (
        "$.model: duplicate key 'a': every key may appear once per object"
    )
    with pytest.raises(ParseError) as info:
        milo_codec.loads(nested.replace(b'"a": 2', b'"d": 2'))
    assert str(info.value.problems[0]) == (
        "$.model.state[1][\"w x\"]: duplicate key 'b': every key may appear once per object"
    )
    with pytest.raises(ParseError) as info:
        milo_codec.loads(b'{"a": [1, 2,]}')
    assert str(info.value.problems[0]) == "$: byte 12 (line 1, column 13): Expecting value"


# ---------------------------------------------------------------------------
# Exact messages for the errors users meet most


def _problems(doc: dict) -> list[str]:
    return [str(p) for p in milo_codec.validate(_text(doc)).problems]


def test_schema_errors_are_exact_and_all_reported(logistic_doc: dict) -> None:
    logistic_doc["model"]["params"]["penalty"] = "l3"
    logistic_doc["model"]["params"]["C"] = -1
    logistic_doc["model"]["params"]["tol"] = "small"
    del logistic_doc["model"]["params"]["max_iter"]
    logistic_doc["model"]["state"]["coef_"]["ndarray"]["data"][0][1] = True
    assert _problems(logistic_doc) == [
        "$.model.params.C: expected an integer > 0 or a float > 0",
        "$.model.params.max_iter: required field is missing",
        "$.model.params.penalty: expected 'elasticnet', 'l1', 'l2' or 'deprecated'",
        '$.model.params.tol: expected an integer, a float, {"float64": ...} or '
        '{"float": "NaN" | "-NaN" | "Infinity" | "-Infinity"}',
        "$.model.state.coef_.ndarray.data[0][1]: expected a number, got a boolean",
    ]


def _ordinal_doc() -> dict:
    return _doc(OrdinalEncoder().fit(np.arange(12).reshape(4, 3)))


def _set(doc: dict, path: str, value: Any) -> dict:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for p in parents:
        node = node[p]
    node[last] = value
    return doc


# A union whose alternatives read alike (lists of arrays of several dtypes) reports what is
# wrong in the alternative that came closest; numbers say which of integer and float they take.
UNION_ERRORS = {
    "list of arrays, data too short": (
        lambda: _set(_ordinal_doc(), "model.state.categories_.1.ndarray.data", [1, 5]),
        "$.model.state.categories_[1].ndarray.data: data has shape [2] but shape says [4]",
    ),
    "list of arrays, huge shape": (
        lambda: _set(_ordinal_doc(), "model.state.categories_.0.ndarray.shape", [2**62]),
        "$.model.state.categories_[0].ndarray: declares 4,611,686,018,427,387,904 array elements",
    ),
    "list of string arrays, huge shape (an earlier alternative takes integer arrays)": (
        lambda: _set(
            _doc(OrdinalEncoder().fit([["a", "b"], ["c", "d"]])),
            "model.state.categories_.0.ndarray.shape",
            [2**62],
        ),
        "$.model.state.categories_[0].ndarray: declares 4,611,686,018,427,387,904 array elements",
    ),
    "list of arrays, a later item wrong (arrays stop at their first wrong item)": (
        lambda: _set(_ordinal_doc(), "model.state.categories_.2.ndarray.data", [0, 1, 2, "x"]),
        "$.model.state.categories_[2].ndarray.data[3]: expected an integer, got a string",
    ),
    "integer out of range where floats are taken too": (
        lambda: _set(_doc(DecisionTreeClassifier()), "model.params.min_samples_split", 1),
        "$.model.params.min_samples_split: expected an integer ≥ 2 or a float > 0.0 and ≤ 1.0",
    ),
    "integer where only floats are taken": (
        lambda: _set(
            _doc(TheilSenRegressor(random_state=0).fit(X, X @ [1.0, 2.0, 3.0])),
            "model.state.breakdown_",
            0,
        ),
        "$.model.state.breakdown_: expected a float (a number with a decimal point or an "
        "exponent, e.g. 1.0)",
    ),
}


def _the_one_problem(doc: dict) -> str:
    problems = [str(p) for p in milo_codec.validate(_text(doc)).problems]
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("case", list(UNION_ERRORS))
def test_union_errors_name_what_is_wrong(case: str) -> None:
    make, expected = UNION_ERRORS[case]
    assert _the_one_problem(make()).startswith(expected)


def _with_many(doc: dict, path: str, make: Any) -> dict:
    """``doc`` with ``make(node)`` applied at ``path`` (a list of keys from the document root)."""
    node = doc
    for p in path.split("."):
        node = node[int(p) if p.isdigit() else p]
    make(node)
    return doc


def _unknown_members(n: int) -> Any:
    return lambda node: node.update({f"x{i}": 1 for i in range(n)})


MANY = 100_000
_BAD_ARRAY = {"ndarray": {"dtype": "int64", "shape": [2], "data": ["a", "b"]}}

# A hostile file of a million wrong items or unknown members must not cost a million errors
# (each about 2 µs and 1 KB of Python objects): arrays and maps stop at their first wrong
# item, an object with many unknown members is reported once. Counting problems is the
# measurable proxy for that cost.
MANY_WRONG = {
    "array of arrays, every item wrong (alike alternatives)": (
        lambda: _with_many(
            _ordinal_doc(), "model.state", lambda st: st.update(categories_=[_BAD_ARRAY] * MANY)
        ),
        "$.model.state.categories_[0].ndarray.data[0]: expected an integer, got a string",
    ),
    "map pairs, every pair wrong": (
        lambda: _with_many(
            _doc(LogisticRegression(class_weight={0: 1.0, 1: 2.0})),
            "model.params.class_weight",
            lambda cw: cw.update(dict_items=[["a", "b", "c"]] * MANY),
        ),
        "$.model.params.class_weight.dict_items[0]: ",
    ),
    "parameters with many unknown members": (
        lambda: _with_many(_ordinal_doc(), "model.params", _unknown_members(MANY)),
        "$.model.params.x0: unknown field; remove it and the 99,999 other unknown fields of "
        "this object (fields are fixed by the schema)",
    ),
    "fitted state with many unknown members": (
        lambda: _with_many(_ordinal_doc(), "model.state", _unknown_members(MANY)),
        "$.model.state.x0: unknown field; remove it and the 99,999 other unknown fields",
    ),
    "an object kind with many unknown members": (
        lambda: _with_many(
            _doc(LogisticRegression(random_state=np.random.RandomState(0))),
            "model.params.random_state.random_state",
            _unknown_members(MANY),
        ),
        "$.model.params.random_state.random_state.x0: unknown field; remove it and the 99,999",
    ),
}


@pytest.mark.parametrize("case", list(MANY_WRONG))
def test_many_wrong_items_are_one_problem(case: str) -> None:
    make, expected = MANY_WRONG[case]
    assert _the_one_problem(make()).startswith(expected)


def test_a_few_unknown_members_are_each_named() -> None:
    doc = _with_many(_ordinal_doc(), "model.params", _unknown_members(16))
    problems = [str(p) for p in milo_codec.validate(_text(doc)).problems]
    assert problems == [
        f"$.model.params.x{i}: unknown field; remove it (fields are fixed by the schema)"
        for i in range(16)
    ]


def test_invariant_errors_name_both_places(logistic_doc: dict) -> None:
    logistic_doc["model"]["state"]["n_features_in_"] = 4
    assert _problems(logistic_doc) == [
        "$.model.state.coef_: shape[1] is 3 but n_features_in_ is 4 (from $.model.state.n_features_in_)",
    ]


def test_version_errors_say_what_to_do(logistic_doc: dict) -> None:
    logistic_doc["producer"]["scikit-learn"] = "1.5.2"
    with pytest.raises(VersionError) as info:
        milo_codec.loads(_text(logistic_doc))
    assert str(info.value) == (
        "$.producer.scikit-learn: the model was written with scikit-learn 1.5.2; this installation "
        "has 1.9.1. Fitted state is versioned per scikit-learn minor release: load it with "
        "scikit-learn 1.5.*, or re-export it there."
    )


# ---------------------------------------------------------------------------
# dump


class HomeMadeScaler(StandardScaler):
    pass


def test_dump_refuses_an_unsupported_class_and_says_how_to_add_it(tmp_path: Path) -> None:
    model = HomeMadeScaler().fit(X)
    with pytest.raises(UnsupportedModelError) as info:
        milo_codec.dump(model, tmp_path / "m.json")
    assert str(info.value) == (
        "$.model: test_safety.HomeMadeScaler is not supported by milo_codec. "
        "milo_codec.supported_models() lists the supported classes; to add one, draft its schema "
        "with tools/draft_schema.py, review it into schemas/, and run make codegen."
    )
    assert list(tmp_path.iterdir()) == []


def test_dump_refuses_a_function_outside_the_allow_list(tmp_path: Path) -> None:
    model = FunctionTransformer(func=lambda a: a + 1).fit(X)
    with pytest.raises(UnsupportedModelError) as info:
        milo_codec.dump(model, tmp_path / "m.json")
    message = str(info.value)
    assert message.startswith(
        "$.model.params.func: the callable test_safety.test_dump_refuses_a_function_outside_the_allow_list"
        ".<locals>.<lambda> cannot be written: a file may only name functions from the allow-list ("
    )
    assert "numpy.log1p" in message
    assert list(tmp_path.iterdir()) == []


def test_a_file_cannot_name_a_function_outside_the_schema_list() -> None:
    doc = _doc(FunctionTransformer(func=np.log1p, inverse_func=np.expm1).fit(np.abs(X)))
    doc["model"]["params"]["func"] = {"function": "os.system"}
    assert _problems(doc) == [
        "$.model.params.func.function: expected one of 'numpy.abs', 'numpy.arcsinh', 'numpy.arctan', "
        "'numpy.arctanh', 'numpy.cbrt', 'numpy.exp', 'numpy.exp2', 'numpy.expm1', 'numpy.log', "
        "'numpy.log10', 'numpy.log1p', 'numpy.log2', 'numpy.negative', 'numpy.reciprocal', "
        "'numpy.sign', 'numpy.sinh', 'numpy.sqrt', 'numpy.square', 'numpy.tanh', "
        "'sklearn.utils.check_array(dtype=[numpy.float64], ensure_all_finite=False)'"
    ]


def test_dump_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "model.json"
    target.write_text("previous contents")

    def fail(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        milo_codec.dump(StandardScaler().fit(X), target)
    assert target.read_text() == "previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_dump_writes_nothing_when_encoding_fails(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("previous contents")
    model = StandardScaler().fit(X)
    model.mean_ = model.mean_.astype(np.complex128)  # outside the closed dtype list
    with pytest.raises(UnsupportedModelError):
        milo_codec.dump(model, target)
    assert target.read_text() == "previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_load_reads_only_regular_files(tmp_path: Path) -> None:
    with pytest.raises(MiloError, match="is not a regular file"):
        milo_codec.load(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(MiloError, match="is not a regular file"):
        milo_codec.load(fifo)  # must not block waiting for a writer
    with pytest.raises(MiloError, match="cannot read"):
        milo_codec.load(tmp_path / "missing.json")


def test_validate_accepts_paths_text_and_bytes(tmp_path: Path) -> None:
    model = StandardScaler().fit(X)
    path = tmp_path / "scaler.json"
    milo_codec.dump(model, path)
    for source in (path, str(path), path.read_text(), path.read_bytes()):
        report = milo_codec.validate(source)
        assert report.ok and report.class_path == "sklearn.preprocessing.StandardScaler"


def test_an_unfitted_model_round_trips() -> None:
    model = LogisticRegression(C=np.float64(0.5), class_weight={0: 1.0, 2: 3.0}, max_iter=7)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert type(loaded.C) is np.float64 and loaded.C == 0.5
    assert loaded.class_weight == {0: 1.0, 2: 3.0}
    assert vars(loaded).keys() == vars(model).keys()


@pytest.mark.parametrize(
    ("make", "param"),
    [
        (lambda: KernelRidge(kernel=np.sqrt), "kernel"),
        (lambda: RidgeCV(scoring=np.abs), "scoring"),
        (lambda: RANSACRegressor(loss=np.abs), "loss"),
        (lambda: RandomForestClassifier(oob_score=np.abs), "oob_score"),
        (lambda: OneHotEncoder(feature_name_combiner=np.abs), "feature_name_combiner"),
    ],
    ids=[
        "kernel-ridge-kernel",
        "ridge-cv-scoring",
        "ransac-loss",
        "forest-oob-score",
        "ohe-combiner",
    ],
)
def test_a_listed_numpy_function_is_refused_where_a_parameter_takes_none(
    make: Any, param: str
) -> None:
    """The numpy function list belongs to FunctionTransformer-like parameters only: elsewhere a
    file naming one would pick a code path (KernelRidge(kernel=numpy.sqrt) writes into the
    training data through sqrt's output argument)."""
    with pytest.raises(milo_codec.UnsupportedModelError, match=rf"\$\.model\.params\.{param}: "):
        milo_codec.dumps(make())
    doc = json.loads(milo_codec.dumps(type(make())()))
    doc["model"]["params"][param] = {"function": "numpy.sqrt"}
    with pytest.raises(milo_codec.SchemaError, match=rf"\$\.model\.params\.{param}"):
        milo_codec.loads(json.dumps(doc))


@pytest.mark.parametrize("strategy", ["", "mode", "most_frequent "])
def test_a_strategy_scikit_learn_does_not_have_is_refused(strategy: str) -> None:
    """Predict branches on the fitted strategy; one no branch takes left a variable unset
    (found by fuzzing: UnboundLocalError at predict)."""
    doc = editable_doc(DummyClassifier().fit(X, np.arange(40) % 2))
    doc["model"]["state"]["_strategy"] = strategy
    with pytest.raises(SchemaError, match=r"\$\.model\.state\._strategy: expected"):
        milo_codec.loads(json.dumps(doc))
