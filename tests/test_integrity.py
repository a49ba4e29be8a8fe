"""The model digest: written by dump, checked by load, and a pin for the model a person reviewed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from blake3 import blake3
from sklearn.linear_model import LogisticRegression

import milo_codec
from milo_codec import IntegrityError
from milo_codec.digest import canonical

X = np.random.RandomState(0).randn(30, 3)
Y = np.arange(30) % 2


@pytest.fixture(scope="module")
def text() -> str:
    return milo_codec.dumps(LogisticRegression().fit(X, Y))


_NONFINITE = {"NaN": np.nan, "-NaN": -np.nan, "Infinity": np.inf, "-Infinity": -np.inf}


def _block_hash(data: object, dtype: str) -> str:
    values = np.array(data, dtype=object)
    if values.dtype == object and dtype.startswith("float"):
        values = np.vectorize(lambda x: _NONFINITE.get(x, x), otypes=[object])(values)
    return blake3(np.ascontiguousarray(values.astype(dtype)).tobytes()).hexdigest()


def _reference_form(value: object) -> object:
    """schemas/README.md §1.1, written independently of milo_codec.digest: numeric array data
    as the BLAKE3 of its little-endian C-order bytes, everything else as parsed."""
    if isinstance(value, list):
        return [_reference_form(x) for x in value]
    if not isinstance(value, dict):
        return value
    payload = value.get("ndarray")
    numeric = isinstance(payload, dict) and payload["dtype"] != "object"
    if len(value) == 1 and numeric and not payload["dtype"].startswith("U"):
        block = _block_hash(payload["data"], payload["dtype"])
        return {"ndarray": {**payload, "data": {"blake3": block}}}
    return {k: _reference_form(x) for k, x in value.items()}


def test_dump_writes_the_sha256_of_the_canonical_model_node(text: str) -> None:
    doc = json.loads(text)
    form = json.dumps(_reference_form(doc["model"]), separators=(",", ":"), ensure_ascii=False)
    assert doc["digest"] == {"sha256": hashlib.sha256(form.encode()).hexdigest()}
    assert list(doc) == ["format", "format_version", "producer", "digest", "model"]


def test_a_readable_and_a_compact_file_of_one_model_share_the_digest(text: str) -> None:
    model = milo_codec.loads(text)
    blob = milo_codec.dumps(model, compact=True)
    assert milo_codec.validate(blob).digest == json.loads(text)["digest"]["sha256"]
    assert milo_codec.loads(blob, expected_digest=json.loads(text)["digest"]["sha256"])


def test_the_canonical_form_ignores_layout_but_not_values(text: str) -> None:
    doc = json.loads(text)
    reindented = json.dumps(doc, indent=5)
    assert milo_codec.validate(reindented).digest == doc["digest"]["sha256"]
    changed = json.loads(text)
    changed["model"]["params"]["C"] = 1.0000000000000002
    assert canonical(changed["model"]) != canonical(doc["model"])
    one_int = json.loads(text)
    one_int["model"]["params"]["C"] = 1  # 1 and 1.0 are different values in a milo file
    assert canonical(one_int["model"]) != canonical(doc["model"])


def test_integers_beyond_64_bits_have_a_canonical_form_too() -> None:
    assert canonical({"a": [2**70, 0.5]}) == b'{"a":[1180591620717411303424,0.5]}'


def test_a_changed_model_is_reported_as_tampered(text: str) -> None:
    doc = json.loads(text)
    doc["model"]["params"]["C"] = 2.0
    with pytest.raises(IntegrityError) as e:
        milo_codec.loads(json.dumps(doc))
    assert str(e.value).startswith("The model was changed after it was written.\n")
    assert f"$.digest.sha256: the file says {doc['digest']['sha256']}" in str(e.value)
    report = milo_codec.validate(json.dumps(doc))
    assert [p.path for p in report.problems] == ["$.digest.sha256"]


def test_a_file_that_is_invalid_anyway_reports_what_is_wrong(text: str) -> None:
    doc = json.loads(text)
    doc["model"]["params"]["C"] = -1.0
    with pytest.raises(milo_codec.SchemaError, match=r"\$\.model\.params\.C"):
        milo_codec.loads(json.dumps(doc))


def test_a_pinned_digest_accepts_only_that_model(text: str, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(text)
    pin = milo_codec.validate(path).digest
    assert pin is not None
    assert type(milo_codec.load(path, expected_digest=pin)) is LogisticRegression
    assert type(milo_codec.load(path, expected_digest=pin.upper())) is LogisticRegression
    # Another model with its own (correct) digest is still not the pinned one.
    other = tmp_path / "other.json"
    milo_codec.dump(LogisticRegression(C=0.5).fit(X, Y), other)
    with pytest.raises(IntegrityError) as e:
        milo_codec.load(other, expected_digest=pin)
    assert str(e.value).startswith("This is not the model you pinned.\n  $.model: its SHA-256 is")
    # Removing the digest does not get around a pin.
    doc = json.loads(text)
    del doc["digest"]
    doc["model"]["params"]["C"] = 3.0
    with pytest.raises(IntegrityError):
        milo_codec.loads(json.dumps(doc), expected_digest=pin)


def test_a_file_without_a_digest_still_loads_and_reports_one(text: str) -> None:
    doc = json.loads(text)
    digest = doc.pop("digest")["sha256"]
    assert milo_codec.validate(json.dumps(doc)).digest == digest
    assert type(milo_codec.loads(json.dumps(doc))) is LogisticRegression


@pytest.mark.parametrize("bad", ["abc", "g" * 64, 42])
def test_a_malformed_pin_is_a_usage_error(text: str, bad: object) -> None:
    with pytest.raises(ValueError, match="expected_digest must be a SHA-256"):
        milo_codec.loads(text, expected_digest=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [{"sha256": "ABC"}, {"sha1": "0" * 40}, "0" * 64])
def test_a_malformed_digest_member_is_a_schema_error(text: str, bad: object) -> None:
    doc = json.loads(text)
    doc["digest"] = bad
    with pytest.raises(milo_codec.SchemaError, match=r"\$\.digest"):
        milo_codec.loads(json.dumps(doc))
