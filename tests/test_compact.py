"""Compact files (schemas/README.md §1.2): a zip of the JSON document and raw .npy blocks.

Fidelity of every class in compact mode is checked by test_roundtrip.py; this file specifies
the container: what is written, what a reader refuses (each hostile archive with its error
class and JSON path), conversion between modes, and the memory a load takes.
"""

from __future__ import annotations

import io
import json
import random
import re
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.tree._tree import NODE_DTYPE

import milo_codec
from milo_codec import (
    IntegrityError,
    LimitError,
    Limits,
    MiloError,
    ParseError,
    SchemaError,
    api,
    container,
)
from milo_codec.cli import main as cli
from milo_codec.convert import convert
from milo_codec.parse import parsed_bytes_estimate
from milo_codec.values.members import MIN_MEMBER_BYTES, npy_header

RNG = np.random.RandomState(0)
X = RNG.randn(40, 100)
Y = X @ RNG.randn(100)


@pytest.fixture(scope="module")
def ridge() -> Ridge:
    return Ridge().fit(X, Y)


@pytest.fixture(scope="module")
def blob(ridge: Ridge) -> bytes:
    return milo_codec.dumps(ridge, compact=True)


def members_of(blob: bytes) -> list[tuple[str, bytes]]:
    z = zipfile.ZipFile(io.BytesIO(blob))
    return [(name, z.read(name)) for name in z.namelist()]


def archive(members: list[tuple[str, bytes]], compress: set[str] = frozenset()) -> bytes:  # type: ignore[assignment]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members:
            method = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
            z.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def edited(blob: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """The archive with its document edited (and its members kept)."""
    parts = members_of(blob)
    doc = json.loads(parts[0][1])
    edit(doc)
    return archive([("model.json", json.dumps(doc).encode()), *parts[1:]])


def refusal(data: bytes) -> tuple[type, list[str]]:
    with pytest.raises(MiloError) as e:
        milo_codec.loads(data)
    return type(e.value), [p.path for p in getattr(e.value, "problems", ())]


# ---------------------------------------------------------------------------
# what is written


def test_large_numeric_arrays_become_npy_members_small_ones_stay_json(blob: bytes) -> None:
    parts = dict(members_of(blob))
    assert list(parts) == ["model.json", "arrays/0.npy"]
    doc = json.loads(parts["model.json"])
    assert doc["model"]["state"]["coef_"]["ndarray"] == {
        "dtype": "float64",
        "shape": [100],
        "member": "arrays/0.npy",
    }
    block = np.load(io.BytesIO(parts["arrays/0.npy"]), allow_pickle=False)  # plain NPY
    assert block.dtype == np.float64 and block.shape == (100,)
    assert block.nbytes >= MIN_MEMBER_BYTES


def test_small_arrays_stay_json_numbers() -> None:
    small = Ridge().fit(X[:, :3], Y)
    doc = json.loads(dict(members_of(milo_codec.dumps(small, compact=True)))["model.json"])
    assert doc["model"]["state"]["coef_"]["ndarray"]["data"] == small.coef_.tolist()


def test_members_are_stored_uncompressed_in_document_order(blob: bytes) -> None:
    infos = zipfile.ZipFile(io.BytesIO(blob)).infolist()
    assert [i.compress_type for i in infos] == [zipfile.ZIP_STORED] * len(infos)
    assert infos[0].filename == "model.json"


def test_equal_models_give_equal_files(ridge: Ridge, blob: bytes) -> None:
    assert milo_codec.dumps(milo_codec.loads(blob), compact=True) == blob


def test_loaded_arrays_are_contiguous_aligned_writeable_with_the_original_dtype(
    tmp_path: Path,
) -> None:
    model = KNeighborsClassifier().fit(X.astype(np.float32), np.arange(40) % 3)
    path = tmp_path / "knn.milo"
    milo_codec.dump(model, path, compact=True)
    loaded = milo_codec.load(path)
    for name in ("_fit_X", "_y", "classes_"):
        a, b = getattr(model, name), getattr(loaded, name)
        assert b.dtype == a.dtype and b.flags.c_contiguous and b.flags.aligned
        assert b.flags.writeable
        assert np.array_equal(a, b)
    assert np.array_equal(model.predict_proba(X[:5]), loaded.predict_proba(X[:5]))


# ---------------------------------------------------------------------------
# conversion


def test_convert_goes_both_ways_losslessly_and_keeps_the_digest(
    tmp_path: Path, ridge: Ridge, blob: bytes
) -> None:
    readable = tmp_path / "ridge.json"
    milo_codec.dump(ridge, readable)
    compact, back = tmp_path / "ridge.milo", tmp_path / "back.json"
    assert cli(["convert", str(readable), str(compact), "--to", "compact"]) == 0
    assert compact.read_bytes() == blob  # what dump(compact=True) writes
    assert cli(["convert", str(compact), str(back), "--to", "readable"]) == 0
    assert back.read_bytes() == readable.read_bytes()
    assert milo_codec.validate(compact).digest == milo_codec.validate(readable).digest


def test_convert_writes_what_dump_writes_for_integers_beyond_64_bits(tmp_path: Path) -> None:
    """A PCG64 state (128-bit integers) takes the same writer in convert as in dump."""
    X = np.random.RandomState(0).rand(200, 3)
    model = HistGradientBoostingClassifier(max_iter=3, random_state=0)
    model.fit(X, (X[:, 0] > 0.5).astype(int))
    readable, compact = milo_codec.dumps(model).encode(), milo_codec.dumps(model, compact=True)
    assert re.search(rb"\d{21,}", readable)  # the case this test is about
    for source in (readable, compact):
        assert convert(source, compact=True) == compact
        assert convert(source, compact=False) == readable


@pytest.mark.parametrize("name", ["ndarray", "recarray"])
def test_convert_moves_only_blocks_not_values_that_look_like_them(name: str) -> None:
    """A Bunch keyed by estimator names may hold one key "ndarray" or "recarray"."""
    X = np.random.RandomState(0).rand(60, 3)
    model = VotingClassifier([(name, LogisticRegression())]).fit(X, (X[:, 0] > 0.5).astype(int))
    readable, compact = milo_codec.dumps(model).encode(), milo_codec.dumps(model, compact=True)
    assert f'"bunch": {{"{name}": ' in readable.decode()
    assert convert(readable, compact=True) == compact
    assert convert(compact, compact=False) == readable


def test_inspect_shows_compact_arrays_as_numbers(
    tmp_path: Path, blob: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ridge.milo"
    path.write_bytes(blob)
    assert cli(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "mode:     compact" in out
    assert "coef_: ndarray float64 shape (100,) min " in out


def test_convert_refuses_an_invalid_file(tmp_path: Path, blob: bytes) -> None:
    bad = tmp_path / "bad.milo"
    bad.write_bytes(edited(blob, lambda d: d["model"]["params"].update(alpha="high")))
    assert cli(["convert", str(bad), str(tmp_path / "out.json"), "--to", "readable"]) == 1
    assert not (tmp_path / "out.json").exists()


# ---------------------------------------------------------------------------
# hostile archives: one error, naming where


COEF = "$.model.state.coef_.ndarray.member"


def _set_coef(**changes: object):  # type: ignore[no-untyped-def]
    return lambda d: d["model"]["state"]["coef_"]["ndarray"].update(changes)


def test_a_block_whose_npy_header_disagrees_with_the_document(blob: bytes) -> None:
    parts = members_of(blob)
    lying = npy_header(np.dtype(np.int64), (100,)) + parts[1][1][128:]
    assert refusal(archive([parts[0], ("arrays/0.npy", lying)])) == (SchemaError, [COEF])


def test_a_declared_shape_over_the_limits_is_refused_before_reading(blob: bytes) -> None:
    assert refusal(edited(blob, _set_coef(shape=[1 << 40]))) == (
        LimitError,
        ["$.model.state.coef_.ndarray"],
    )


def test_a_block_of_another_size_than_declared(blob: bytes) -> None:
    assert refusal(edited(blob, _set_coef(shape=[99]))) == (SchemaError, [COEF])


def test_a_member_nobody_names(blob: bytes) -> None:
    parts = members_of(blob)
    assert refusal(archive([*parts, ("arrays/1.npy", parts[1][1])])) == (SchemaError, ["$"])


def test_a_named_member_that_is_missing(blob: bytes) -> None:
    assert refusal(edited(blob, _set_coef(member="arrays/7.npy"))) == (SchemaError, [COEF])


def test_one_member_named_twice() -> None:
    scaler = milo_codec.dumps(StandardScaler().fit(X), compact=True)
    parts = members_of(scaler)
    doc = json.loads(parts[0][1])
    state = doc["model"]["state"]
    state["var_"]["ndarray"]["member"] = state["mean_"]["ndarray"]["member"]
    data = archive([("model.json", json.dumps(doc).encode()), *parts[1:]])
    assert refusal(data) == (SchemaError, ["$.model.state.var_.ndarray.member"])


@pytest.mark.parametrize(
    "name", ["../escape.npy", "/etc/passwd", "arrays/0.npy.py", "arrays/01.npy", "ARRAYS/0.npy"]
)
def test_a_member_name_outside_the_pattern(blob: bytes, name: str) -> None:
    parts = members_of(blob)
    assert refusal(archive([parts[0], (name, parts[1][1])]))[0] is ParseError
    assert refusal(edited(blob, _set_coef(member=name))) == (SchemaError, [COEF])


def test_compressed_members_are_refused(blob: bytes) -> None:
    assert refusal(archive(members_of(blob), compress={"arrays/0.npy"})) == (ParseError, ["$"])


@pytest.mark.parametrize(
    ("field", "value"),
    [(8, 8), (6, 1), (18, 7), (22, 7)],
    ids=["local-says-deflated", "local-says-encrypted", "local-compressed-size", "local-size"],
)
def test_a_local_header_that_disagrees_with_the_central_directory(
    blob: bytes, field: int, value: int
) -> None:
    """Readers that trust the local header would read other bytes than milo does."""
    at = zipfile.ZipFile(io.BytesIO(blob)).getinfo("arrays/0.npy").header_offset + field
    width = 2 if field < 14 else 4
    lying = blob[:at] + value.to_bytes(width, "little") + blob[at + width :]
    assert refusal(lying) == (ParseError, ["$"])


def test_the_document_must_come_first(blob: bytes) -> None:
    assert refusal(archive(members_of(blob)[::-1])) == (ParseError, ["$"])


def _no_zipfile_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", refuse)


def test_more_members_than_the_limit_are_refused_unread(
    blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_zipfile_reading(monkeypatch)
    with pytest.raises(LimitError, match="an archive of 2 members, over the limit max_object_keys"):
        milo_codec.loads(blob, limits=Limits(max_object_keys=1))


def test_a_zip64_archive_is_read_and_its_own_count_limited(
    blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        m.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zip64 end records for 2 members
        zip64 = archive(members_of(blob))
    assert b"PK\x06\x06" in zip64[-100:]
    assert type(milo_codec.loads(zip64)) is Ridge
    _no_zipfile_reading(monkeypatch)
    with pytest.raises(LimitError, match="an archive of 2 members"):
        milo_codec.loads(zip64, limits=Limits(max_object_keys=1))


def test_a_directory_larger_than_its_declared_count(
    blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standard library walks the directory by its size: an end record declaring one
    member over a directory of millions would have it build millions of objects."""
    parts = members_of(blob)
    many = archive([*parts, *((f"arrays/{i}.npy", b"") for i in range(1, 20))])
    end = many.rindex(b"PK\x05\x06")
    lying = many[: end + 8] + (1).to_bytes(2, "little") * 2 + many[end + 12 :]
    _no_zipfile_reading(monkeypatch)
    with pytest.raises(ParseError, match=r"the central directory takes 1,\d{3} bytes, more than"):
        milo_codec.loads(lying)


def test_the_directory_is_charged_to_max_parsed_bytes_before_it_is_read(
    blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory of millions of entries takes gigabytes once the standard library has read
    it (about 600 bytes each): that memory counts towards the parse's limit."""
    many = archive([*members_of(blob), *((f"arrays/{i}.npy", b"") for i in range(1, 20))])
    memory = container.Archive(many, len(many), Limits()).directory_memory
    with monkeypatch.context() as m:
        _no_zipfile_reading(m)
        with pytest.raises(
            LimitError,
            match=f"reading the archive's directory of 21 members would take about {memory:,} "
            f"bytes of memory, over the limit max_parsed_bytes = {memory - 1:,}",
        ):
            milo_codec.loads(many, limits=Limits(max_parsed_bytes=memory - 1))
    # what is left of the limit is the document's
    parts = members_of(blob)
    memory = container.Archive(blob, len(blob), Limits()).directory_memory
    estimate = parsed_bytes_estimate(parts[0][1])
    with pytest.raises(LimitError, match=f"and the archive's directory {memory:,}"):
        milo_codec.loads(blob, limits=Limits(max_parsed_bytes=memory + estimate - 1))
    assert type(milo_codec.loads(blob, limits=Limits(max_parsed_bytes=memory + estimate))) is Ridge


@pytest.mark.parametrize("n", [1, 100, 20_000])
def test_the_directory_memory_is_estimated_from_above(n: int) -> None:
    data = archive([("model.json", b"{}"), *((f"arrays/{i}.npy", b"") for i in range(n))])
    tracemalloc.start()
    try:
        opened = container.Archive(data, len(data), Limits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= opened.directory_memory, (peak, opened.directory_memory)


def test_a_zip64_record_is_checked_whatever_the_classic_one_says(
    blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standard library takes the zip64 end record's figures when one is located."""
    parts = members_of(blob)
    with monkeypatch.context() as m:
        m.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
        many = archive([*parts, *((f"arrays/{i}.npy", b"") for i in range(1, 20))])
    record = many.rindex(b"PK\x06\x06")
    counts = (1).to_bytes(8, "little") * 2  # members on this disk and in all
    lying = many[: record + 24] + counts + many[record + 40 :]
    _no_zipfile_reading(monkeypatch)
    with pytest.raises(ParseError, match=r"the central directory takes 1,\d{3} bytes, more than"):
        milo_codec.loads(lying)


def test_duplicate_member_names(blob: bytes) -> None:
    parts = members_of(blob)
    with pytest.warns(UserWarning):  # zipfile warns when writing a duplicate name
        doubled = archive([*parts, parts[1]])
    assert refusal(doubled) == (ParseError, ["$"])


def test_an_object_array_cannot_be_a_member(blob: bytes) -> None:
    error, paths = refusal(edited(blob, _set_coef(dtype="object")))
    assert error is SchemaError and paths[0].startswith("$.model.state.coef_")


def test_a_readable_file_cannot_name_members(ridge: Ridge) -> None:
    doc = json.loads(milo_codec.dumps(ridge))
    doc["model"]["state"]["coef_"]["ndarray"].pop("data")
    doc["model"]["state"]["coef_"]["ndarray"]["member"] = "arrays/0.npy"
    assert refusal(json.dumps(doc).encode()) == (SchemaError, [COEF])


def test_a_compact_file_must_carry_its_digest(blob: bytes) -> None:
    assert refusal(edited(blob, lambda d: d.pop("digest"))) == (SchemaError, ["$.digest"])


def test_a_changed_block_is_caught_by_the_digest(blob: bytes) -> None:
    parts = members_of(blob)
    block = bytearray(parts[1][1])
    block[-1] ^= 1
    assert refusal(archive([parts[0], ("arrays/0.npy", bytes(block))])) == (
        IntegrityError,
        ["$.digest.sha256"],
    )


def test_truncated_and_garbled_archives_give_milo_errors_only(blob: bytes) -> None:
    """Cuts and byte flips anywhere: a milo_codec error or (a flip in padding) the model."""
    rng = random.Random(0)
    cuts = [blob[:n] for n in (4, 30, 100, len(blob) // 2, len(blob) - 22, len(blob) - 1)]
    flips = []
    for _ in range(150):
        data = bytearray(blob)
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
        flips.append(bytes(data))
    outcomes = {"error": 0, "loaded": 0}
    for data in cuts + flips:
        try:
            milo_codec.loads(data)
            outcomes["loaded"] += 1
        except MiloError:
            outcomes["error"] += 1
    assert outcomes["error"] >= len(cuts)


# ---------------------------------------------------------------------------
# memory


def test_a_compact_load_reads_arrays_in_place(tmp_path: Path) -> None:
    """Peak traced memory of load(path) stays under twice the model's array bytes."""
    data = np.random.RandomState(1).randn(20_000, 50)
    model = KNeighborsClassifier().fit(data, np.arange(len(data)) % 2)
    path = tmp_path / "knn.milo"
    milo_codec.dump(model, path, compact=True)
    milo_codec.load(path)  # warm: imports and caches are not the load's memory
    tracemalloc.start()
    try:
        loaded = milo_codec.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    array_bytes = loaded._fit_X.nbytes + loaded._y.nbytes
    assert peak <= 2 * array_bytes, (peak, array_bytes)


def test_archives_past_the_plain_zip_size_take_the_zip64_writer(
    ridge: Ridge, blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Archives of 2 GiB or more are written by the standard library's zip64 writer; the
    threshold is lowered here so that path runs on a small model."""
    monkeypatch.setattr(container, "_SMALL_ARCHIVE", 0)
    big_path = milo_codec.dumps(ridge, compact=True)
    assert zipfile.ZipFile(io.BytesIO(big_path)).testzip() is None
    assert milo_codec.validate(big_path).digest == milo_codec.validate(blob).digest
    assert np.array_equal(milo_codec.loads(big_path).coef_, ridge.coef_)


def test_the_cli_reads_a_compact_file_in_place(
    tmp_path: Path, blob: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inspect and convert read a compact file's members in place, as load does, bounded by
    the limits on its document and its declared arrays: never the whole file at once."""
    path = tmp_path / "ridge.milo"
    path.write_bytes(blob)

    def whole(*args: object) -> bytes:
        raise AssertionError("a compact file was read whole")

    monkeypatch.setattr(api, "_read_all", whole)
    assert cli(["inspect", str(path)]) == 0
    assert cli(["convert", str(path), str(tmp_path / "ridge.json"), "--to", "readable"]) == 0


def test_nonzero_padding_in_a_records_block_is_refused() -> None:
    """A tree's nodes are 64-byte records with 7 bytes of padding: they must be zero, so no
    two compact files hold the same model (and digest) with different bytes."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(random_state=0).fit(X, Y > 0)
    parts = members_of(milo_codec.dumps(tree, compact=True))
    doc = json.loads(parts[0][1])
    nodes = doc["model"]["state"]["tree_"]["tree"]["nodes"]["recarray"]
    name = nodes["member"]
    block = dict(parts)[name]
    header = len(npy_header(np.dtype(NODE_DTYPE), (len(block) // 64,)))
    assert milo_codec.loads(archive(parts)).get_depth() == tree.get_depth()
    for offset in (57, 63, 64 * 3 + 60):  # padding bytes of the first and fourth node
        bad = bytearray(block)
        bad[header + offset] = 1
        kind, paths = refusal(archive([(n, bytes(bad) if n == name else b) for n, b in parts]))
        assert (kind, paths) == (SchemaError, ["$.model.state.tree_.tree.nodes.recarray.member"])
