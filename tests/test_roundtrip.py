"""Every supported class, fitted every way it can be, reads back as the same object."""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import io
import json
import os
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from equality import assert_identical
from recipes import INFERENCE_METHODS, Fitted, recipes_for

import milo_codec
from milo_codec.convert import convert
from milo_codec.values import members


def _class(class_path: str) -> type:
    module, name = class_path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _cases() -> list[Any]:
    cases = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for class_path in milo_codec.supported_models():
            for recipe in recipes_for(_class(class_path)):
                cases.append(pytest.param(recipe, id=f"{class_path.rsplit('.', 1)[1]}-{recipe.id}"))
    return cases


CASES = _cases()
OUT_DIR = os.environ.get("MILO_OUT_DIR")
_VALIDATOR: list[Any] = []


def _check_with_python_jsonschema(text: str) -> None:
    """A second, independent validator must accept every file we write."""
    if not _VALIDATOR:
        from jsonschema import Draft202012Validator
        from test_schemas import registry

        _VALIDATOR.append(
            Draft202012Validator(
                {"$ref": "https://milo-codec.invalid/schemas/envelope/v1.json"}, registry=registry()
            )
        )
    errors = [f"{e.json_path}: {e.message}" for e in _VALIDATOR[0].iter_errors(json.loads(text))]
    assert errors == []


def _outputs(fitted: Fitted, est: Any) -> dict[str, Any]:
    """Every inference method's output (or the exception it raised) on the recipe's input."""
    out: dict[str, Any] = {}
    for method in INFERENCE_METHODS:
        # A fresh copy each time: sklearn takes shortcuts when the query *is* the training
        # array (e.g. symmetric kernels), which a loaded model cannot know about.
        X = copy.deepcopy(fitted.X)
        if not hasattr(est, method):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if method == "inverse_transform":
                    if fitted.is_label_transformer or hasattr(est, "transform"):
                        arg = est.transform(X)
                    else:
                        arg = est.predict(X)
                    out[method] = est.inverse_transform(arg)
                elif method == "get_feature_names_out":
                    out[method] = est.get_feature_names_out()
                elif method == "score":
                    if fitted.y is None:
                        continue
                    out[method] = est.score(X, fitted.y)
                else:
                    result = getattr(est, method)(X)
                    # staged_* methods return generators: compare every stage
                    out[method] = list(result) if inspect.isgenerator(result) else result
            except Exception as e:  # the same failure must happen after loading too
                out[method] = ("raised", type(e), str(e))
    for name, query in fitted.extra.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out[name] = query(est)
            except Exception as e:
                out[name] = ("raised", type(e), str(e))
    return out


@pytest.mark.parametrize("recipe", CASES)
def test_round_trip_is_identical(recipe: Any) -> None:
    fitted = recipe.fit()
    original = fitted.estimator
    before = _outputs(fitted, original)

    text = milo_codec.dumps(original)
    _check_with_python_jsonschema(text)
    if OUT_DIR:
        (Path(OUT_DIR) / f"{type(original).__name__}-{recipe.id}.json").write_text(text)
    loaded = milo_codec.loads(text)
    # The loaded model writes the very same document (checked before querying it: some
    # structures count their queries, e.g. KDTree.n_calls).
    assert milo_codec.dumps(loaded) == text

    assert type(loaded) is type(original)
    assert_identical(original.get_params(deep=False), loaded.get_params(deep=False), "get_params()")
    assert_identical(vars(original), vars(loaded), "__dict__")
    after = _outputs(fitted, loaded)
    assert list(before) == list(after)
    for method in before:
        assert_identical(before[method], after[method], f"{method}()", layout=False)

    # Compact mode as written by default (small blocks as numbers, large ones as members)
    # holds the same model: the same digest.
    default_blob = milo_codec.dumps(original, compact=True)
    report = milo_codec.validate(default_blob)
    assert report.ok and report.digest == json.loads(text)["digest"]["sha256"]
    # Converting moves each block between the modes exactly as dump places it.
    assert convert(text.encode(), compact=True) == default_blob
    assert convert(default_blob, compact=False) == text.encode()

    # Compact mode, with every numeric block (not only large ones) as a .npy member.
    with _every_block_a_member():
        blob = milo_codec.dumps(original, compact=True)
    manifest = zipfile.ZipFile(io.BytesIO(blob)).read("model.json").decode()
    _check_with_python_jsonschema(manifest)
    if OUT_DIR:
        (Path(OUT_DIR) / f"{type(original).__name__}-{recipe.id}.compact.json").write_text(manifest)
    from_blob = milo_codec.loads(blob)
    assert milo_codec.dumps(from_blob) == text  # the same model, so the same readable file
    assert type(from_blob) is type(original)
    assert_identical(vars(original), vars(from_blob), "__dict__ (compact)")
    compact_after = _outputs(fitted, from_blob)
    assert list(before) == list(compact_after)
    for method in before:
        assert_identical(
            before[method], compact_after[method], f"{method}() (compact)", layout=False
        )


@contextlib.contextmanager
def _every_block_a_member() -> Iterator[None]:
    saved = members.MIN_MEMBER_BYTES
    members.MIN_MEMBER_BYTES = 0
    try:
        yield
    finally:
        members.MIN_MEMBER_BYTES = saved


def test_every_supported_class_has_recipes() -> None:
    covered = {p.values[0].fit.__qualname__ for p in CASES}
    assert covered
    for class_path in milo_codec.supported_models():
        assert recipes_for(_class(class_path)), class_path


def test_inference_outputs_are_real() -> None:
    """Guard against comparing nothing: most cases produce at least one non-error output.

    Sampled across the whole table (some estimators, e.g. DBSCAN or TSNE, have no inference
    method at all and are compared through their fitted state only).
    """
    sample = CASES[::20]
    ok = 0
    for p in sample:
        fitted = p.values[0].fit()
        outs = _outputs(fitted, fitted.estimator)
        ok += any(not _raised(v) for v in outs.values())
    assert ok >= 0.75 * len(sample), f"{ok} of {len(sample)}"


def _raised(v: Any) -> bool:
    return type(v) is tuple and len(v) == 3 and isinstance(v[0], str) and v[0] == "raised"


np.seterr(all="ignore")


def _constructible() -> list[str]:
    out = []
    for class_path in milo_codec.supported_models():
        try:
            _class(class_path)()
        except TypeError:  # a required argument (an estimator, a param grid, steps)
            continue
        out.append(class_path)
    return out


@pytest.mark.parametrize("class_path", _constructible(), ids=lambda p: p.rsplit(".", 1)[1])
def test_an_unfitted_estimator_round_trips(class_path: str) -> None:
    """Unfitted estimators stand inside meta-estimators' params (e.g. GridSearchCV(Lasso()))."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated classes
        est = _class(class_path)()
    loaded = milo_codec.loads(milo_codec.dumps(est))
    assert type(loaded) is type(est)
    assert_identical(vars(est), vars(loaded), "__dict__")


def test_a_changed_constructor_constant_is_refused() -> None:
    """Constants the constructor sets are not written; a model where one changed is refused."""
    from sklearn.linear_model import Lasso

    est = Lasso()
    est.l1_ratio = 0.5
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(est)
    assert str(e.value).startswith(
        "$.model.state.l1_ratio: sklearn.linear_model.Lasso sets l1_ratio = 1.0 in its "
        "constructor, but this model has 0.5"
    )
