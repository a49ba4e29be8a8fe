"""The ``milo-codec`` command line: called through ``main`` (and once as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, RANSACRegressor
from sklearn.preprocessing import StandardScaler

import milo_codec
from milo_codec.cli import main


@pytest.fixture
def scaler_file(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 3))
    path = tmp_path / "scaler.json"
    milo_codec.dump(StandardScaler().fit(X), path)
    return path


@pytest.fixture
def ransac_file(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5
    model = RANSACRegressor(estimator=LinearRegression(), random_state=0).fit(X, y)
    path = tmp_path / "ransac.json"
    milo_codec.dump(model, path)
    return path


def test_demo_round_trip_is_identical(tmp_path, capsys):
    out = tmp_path / "demo.json"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.is_file()
    assert f"Wrote {out} (" in text
    assert "Validated: valid (sklearn.linear_model.LogisticRegression)." in text
    assert '  |   "format": "milo",' in text
    assert "  predict:       identical, bit for bit (" in text
    assert "  predict_proba: identical, bit for bit (float64 (150, 3))" in text
    assert "Round trip OK" in text
    assert "DIFFERENT" not in text
    assert milo_codec.validate(out).ok


def test_validate_valid_file(scaler_file, capsys):
    assert main(["validate", str(scaler_file)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{scaler_file}: valid (sklearn.preprocessing.StandardScaler)\n"
    assert captured.err == ""


def test_validate_tampered_file(scaler_file, tmp_path, capsys):
    doc = json.loads(scaler_file.read_text(encoding="utf-8"))
    doc["model"]["params"]["with_mean"] = "yes"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")

    assert main(["validate", str(scaler_file), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{scaler_file}: valid (sklearn.preprocessing.StandardScaler)\n" in out
    assert f"{bad}: invalid\n  $.model.params.with_mean: " in out


def test_validate_directory(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{tmp_path}: invalid\n  $: ")
    assert "is not a regular file" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_validate_not_json_and_missing(tmp_path, capsys):
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\xffnot json at all")
    missing = tmp_path / "missing.json"
    assert main(["validate", str(junk), str(missing)]) == 1
    captured = capsys.readouterr()
    assert f"{junk}: invalid\n  $: byte 1: invalid UTF-8\n" in captured.out
    assert f"{missing}: invalid\n  $: cannot read " in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_validate_name_that_looks_like_json_is_a_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "{}"]) == 1
    assert "{}: invalid\n  $: cannot read '{}'" in capsys.readouterr().out


def test_inspect_shows_arrays(scaler_file, capsys):
    assert main(["inspect", str(scaler_file)]) == 0
    out = capsys.readouterr().out
    assert "class:    sklearn.preprocessing.StandardScaler\n" in out
    assert (
        "schema:   https://milo-codec.invalid/schemas/sklearn/preprocessing/StandardScaler/v1.json\n"
        in out
    )
    assert f"producer: milo_codec {milo_codec.__version__}, scikit-learn " in out
    assert "  with_mean = True\n" in out
    assert "  mean_: ndarray float64 shape (3,) min " in out
    assert "  n_samples_seen_: 20.0 (float64)\n" in out


def test_inspect_recurses_into_nested_models(ransac_file, capsys):
    assert main(["inspect", str(ransac_file)]) == 0
    out = capsys.readouterr().out
    assert "  estimator = sklearn.linear_model.LinearRegression\n" in out
    assert "  estimator_: sklearn.linear_model.LinearRegression\n    params:\n" in out
    assert "      fit_intercept = True\n" in out
    assert "      coef_: ndarray float64 shape (2,) min -2 max 1.5\n" in out
    assert "  inlier_mask_: ndarray bool shape (40,) true 40 of 40\n" in out


def test_inspect_invalid_file(scaler_file, capsys):
    doc = json.loads(scaler_file.read_text(encoding="utf-8"))
    doc["model"]["params"]["with_mean"] = "yes"
    scaler_file.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["inspect", str(scaler_file)]) == 1
    out = capsys.readouterr().out
    assert f"{scaler_file}: invalid\n  $.model.params.with_mean: " in out
    assert "class:" not in out


def test_models_lists_supported_classes(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(milo_codec.supported_models())
    row = next(
        line for line in lines if line.startswith("sklearn.linear_model.LogisticRegression ")
    )
    assert row.split() == [
        "sklearn.linear_model.LogisticRegression",
        "https://milo-codec.invalid/schemas/sklearn/linear_model/LogisticRegression/v1.json",
    ]


def test_usage_errors_return_codes(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"milo-codec {milo_codec.__version__}\n"


def test_version_as_module():
    result = subprocess.run(
        [sys.executable, "-m", "milo_codec.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f"milo-codec {milo_codec.__version__}\n"
