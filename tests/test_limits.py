"""Resource limits: each one refuses a small file that asks for too much, names itself and how
to raise it, and can be raised (or lowered) per call."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder

import milo_codec
from milo_codec import LimitError, Limits
from milo_codec.parse import parse, parsed_bytes_estimate

X = np.random.RandomState(0).randn(40, 3)
Y = np.arange(40) % 2


def _doc() -> dict:
    return json.loads(milo_codec.dumps(LogisticRegression().fit(X, Y)))


def _labels_doc(dtype: str, n: int) -> str:
    doc = json.loads(milo_codec.dumps(LabelEncoder().fit(["a", "b"])))
    doc["model"]["state"]["classes_"]["ndarray"].update(
        dtype=dtype, shape=[n], data=[f"x{i}" for i in range(n)]
    )
    return json.dumps(doc)


def _refused(text: str, limits: Limits = milo_codec.DEFAULT_LIMITS) -> str:
    with pytest.raises(LimitError) as e:
        milo_codec.loads(text, limits=limits)
    return str(e.value)


def test_a_declared_string_width_is_charged_before_allocation() -> None:
    """1,100 short labels declared as 999,999-character strings: 4.4 GB asked, not given."""
    text = _labels_doc("U999999", 1100)
    assert len(text) < 20_000
    tracemalloc.start()
    message = _refused(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50_000_000
    assert "$.model.state.classes_.ndarray: declares 4,399,995,600 bytes of arrays" in message
    assert "max_array_bytes = 4,294,967,296" in message
    assert "limits=milo_codec.Limits(max_array_bytes=...)" in message


def test_array_limits_count_the_whole_document() -> None:
    text = json.dumps(_doc())
    # coef_ (3) + intercept_ (1) + classes_ (2) + n_iter_ (1) elements
    elements = sum(
        int(np.prod(a["ndarray"]["shape"]))
        for a in _doc()["model"]["state"].values()
        if isinstance(a, dict) and "ndarray" in a
    )
    assert type(milo_codec.loads(text, limits=Limits(max_array_elements=elements))) is (
        LogisticRegression
    )
    message = _refused(text, Limits(max_array_elements=elements - 1))
    assert f"declares {elements:,} array elements in the document so far" in message


@pytest.mark.parametrize(
    ("limits", "mutate", "expected"),
    [
        pytest.param(
            Limits(max_depth=6),
            lambda d: d["model"]["params"].update(C=1.0),
            "$.model.state.coef_.ndarray.data[0]: values nested 7 deep, over the limit max_depth = 6",
            id="depth",
        ),
        pytest.param(
            Limits(),
            lambda d: d["model"]["params"].update(C="x" * (1 << 20 | 1)),
            "$.model.params.C: a string of 1,048,577 characters, over the limit "
            "max_string_length = 1,048,576",
            id="string-value",
        ),
        pytest.param(
            Limits(max_string_length=8),
            lambda d: None,
            "$.format_version: a string of 14 characters, over the limit max_string_length = 8",
            id="key",
        ),
        pytest.param(
            Limits(max_object_keys=3),
            lambda d: None,
            "$: an object with 5 members, over the limit max_object_keys = 3",
            id="object-members",
        ),
        pytest.param(
            Limits(),
            lambda d: d["model"]["params"].update(max_iter=10**400),
            "$.model.params.max_iter: an integer of 1329 bits, over the limit max_integer_bits",
            id="integer-magnitude",
        ),
        pytest.param(
            Limits(max_integer_bits=8),
            lambda d: d["model"]["state"]["n_iter_"]["ndarray"]["data"].__setitem__(0, 300),
            "$.model.state.n_iter_.ndarray.data[0]: an integer of 9 bits",
            id="integer-in-array",
        ),
    ],
)
def test_parse_time_limits_name_the_place_and_the_limit(
    limits: Limits, mutate: object, expected: str
) -> None:
    doc = _doc()
    mutate(doc)  # type: ignore[operator]
    message = _refused(json.dumps(doc), limits)
    assert message.startswith("The document exceeds a resource limit.\n  "), message
    assert expected in message, message


def test_the_key_limit_names_the_key() -> None:
    doc = _doc()
    doc["model"]["params"]["x" * 200] = 1  # longer than any other string in the document
    message = _refused(json.dumps(doc), Limits(max_string_length=199))
    assert f"$.model.params.{'x' * 200}: a string of 200 characters" in message


def test_a_file_larger_than_the_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    milo_codec.dump(LogisticRegression().fit(X, Y), path)
    size = os.path.getsize(path)
    with pytest.raises(LimitError) as e:
        milo_codec.load(path, limits=Limits(max_file_bytes=size - 1))
    assert f"$: the file has {size:,} bytes, over the limit max_file_bytes = {size - 1:,}" in str(
        e.value
    )
    assert type(milo_codec.load(path, limits=Limits(max_file_bytes=size))) is LogisticRegression


def test_loads_applies_the_size_limit_to_text() -> None:
    text = milo_codec.dumps(LogisticRegression().fit(X, Y))
    assert "max_file_bytes" in _refused(text, Limits(max_file_bytes=len(text) - 1))


def test_a_document_that_would_parse_too_large_is_refused_unparsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _doc()
    doc["model"]["params"]["C"] = [[]] * 100_000  # 300 KB of text, 100,000 lists once parsed
    text = json.dumps(doc, separators=(",", ":"))
    estimate = parsed_bytes_estimate(text.encode())
    limits = Limits(max_parsed_bytes=estimate - 1)

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the document was parsed")

    with monkeypatch.context() as m:
        m.setattr(milo_codec.parse, "from_json", no_parse)
        message = _refused(text, limits)
    assert (
        f"$: parsing the document would take about {estimate:,} bytes of memory, over the "
        f"limit max_parsed_bytes = {estimate - 1:,}"
    ) in message
    # at the limit the document is parsed, and refused for what it is
    with pytest.raises(milo_codec.SchemaError, match=r"\$\.model\.params\.C"):
        milo_codec.loads(text, limits=Limits(max_parsed_bytes=estimate))


# Values of every JSON kind, and long and non-ASCII strings: what a hostile file is made of.
PARSED_SHAPES = {
    "empty arrays": "[]",
    "empty objects": "{}",
    "nested arrays": "[[[1]]]",
    "floats": "1.5",
    "small integers": "7",
    "large integers": "123456789012345678",
    "short strings": '"ab"',
    "long strings": '"' + "x" * 200 + '"',
    "non-ASCII strings": '"\u00e9\u4e2d"',
    "long non-ASCII strings": '"' + "\u4e2d\U0001f600" * 100 + '"',
    "ASCII strings widened by one emoji": '"' + "x" * 200 + "\U0001f600" + '"',
    "objects": '{"a": 1.5, "b": [2], "c": "d"}',
}


@pytest.mark.parametrize("shape", list(PARSED_SHAPES))
def test_the_parsed_size_estimate_is_from_above(shape: str) -> None:
    raw = ("[" + ",".join([PARSED_SHAPES[shape]] * 20_000) + "]").encode()
    tracemalloc.start()
    try:
        value = parse(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert value is not None
    assert peak <= parsed_bytes_estimate(raw), (peak, parsed_bytes_estimate(raw))


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_only_regular_files_are_read(tmp_path: Path, kind: str) -> None:
    path = tmp_path / kind
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)  # opening it for reading must not wait for a writer
    with pytest.raises(milo_codec.MiloError, match="is not a regular file"):
        milo_codec.load(path)
    assert not milo_codec.validate(path).ok


@pytest.mark.parametrize("name", ["model\ud800.json", "model\x00.json"], ids=["surrogate", "nul"])
def test_a_path_no_file_can_have_is_a_milo_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(milo_codec.MiloError, match="cannot name a file"):
        milo_codec.load(str(tmp_path / name))
    report = milo_codec.validate(str(tmp_path / name))
    assert not report.ok and "cannot name a file" in report.problems[0].message


def test_validate_reports_a_limit_as_a_problem() -> None:
    report = milo_codec.validate(_labels_doc("U999999", 1100))
    assert not report.ok
    assert report.problems[0].path == "$.model.state.classes_.ndarray"
    assert "max_array_bytes" in report.problems[0].message


def test_a_lowered_array_limit_refuses_what_dump_wrote() -> None:
    """Limits guard readers only: dump writes the model; a reader with tighter limits refuses it."""
    text = milo_codec.dumps(LabelEncoder().fit(np.array(["x" * 50] * 3 + ["y"])))
    assert "max_array_bytes" in _refused(text, Limits(max_array_bytes=100))


@pytest.mark.parametrize(
    "bad",
    [{"max_depth": 201}, {"max_file_bytes": -1}, {"max_array_bytes": 1.5}],
    ids=["depth-beyond-parser", "negative", "not-an-int"],
)
def test_limits_themselves_are_checked(bad: dict) -> None:
    with pytest.raises(ValueError, match=r"Limits\.max_"):
        Limits(**bad)


def _bicluster() -> dict:
    from sklearn.cluster import SpectralBiclustering

    fitted = SpectralBiclustering(n_clusters=(2, 2), random_state=0).fit(X[:, :3] + 3)
    doc = json.loads(milo_codec.dumps(fitted))
    doc["model"]["params"]["n_clusters"] = {"tuple": [1000, 1000]}
    return doc


def _search() -> dict:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, cv=2).fit(X, X @ [1.0, 2.0, 3.0])
    doc = json.loads(milo_codec.dumps(search))
    doc["model"]["state"]["n_splits_"] = 10**7
    return doc


def _columns() -> dict:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    fitted = ColumnTransformer([("s", StandardScaler(), slice(0, None))]).fit(X)
    doc = json.loads(milo_codec.dumps(fitted))
    doc["model"]["state"]["n_features_in_"] = 10**7
    return doc


def _boosting() -> dict:
    from sklearn.ensemble import GradientBoostingClassifier

    fitted = GradientBoostingClassifier(n_estimators=2).fit(X, Y)
    doc = json.loads(milo_codec.dumps(fitted))
    doc["model"]["state"]["n_classes_"] = 10**8
    return doc


# A number the file chooses (not an array it holds, whose size the limits charge) must never
# size what a check allocates: each of these once built a list, set or array of that size
# (1,000,000 pairs, 10,000,000 split numbers or column positions, 800 MB of class labels).
SIZED_BY_A_NUMBER = {
    "biclusters from n_clusters": (
        _bicluster,
        "$.model.state.rows_: must hold one mask per bicluster (1,000,000)",
    ),
    "split numbers from n_splits_": (_search, "split0 .. split9999999 (n_splits_ = 10000000)"),
    "column positions from n_features_in_": (
        _columns,
        "$.model.state._columns[0]: selects 10,000,000 columns, more than were fitted",
    ),
    "class labels from n_classes_": (
        _boosting,
        "$.model.state.init_.state.classes_: must be the encoded labels 0..99999999",
    ),
}


@pytest.mark.parametrize("case", list(SIZED_BY_A_NUMBER))
def test_a_number_in_the_file_does_not_size_an_allocation(case: str) -> None:
    make, expected = SIZED_BY_A_NUMBER[case]
    doc = make()
    doc.pop("digest")
    tracemalloc.start()
    try:
        with pytest.raises(milo_codec.InvariantError) as e:
            milo_codec.loads(json.dumps(doc))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert expected in str(e.value), str(e.value)
    assert peak < 20_000_000, peak


def test_running_out_of_memory_is_a_limit_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(doc: object) -> None:
        raise MemoryError

    text = json.dumps(_doc())
    monkeypatch.setattr(milo_codec.pipeline, "check_versions", exhausted)
    message = _refused(text)
    assert message.startswith("The document needs more memory than is free.\n  $: memory ran")
