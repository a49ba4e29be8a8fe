"""A loaded model keeps learning exactly like the original: partial_fit on the next batch."""

from __future__ import annotations

import copy
import importlib
import warnings
from typing import Any

import numpy as np
import pytest
from equality import assert_identical
from recipes import recipes_for

import milo_codec


def _incremental_classes() -> list[Any]:
    out = []
    for class_path in milo_codec.supported_models():
        module, name = class_path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        if hasattr(cls, "partial_fit"):
            out.append(pytest.param(cls, id=name))
    return out


@pytest.mark.parametrize("cls", _incremental_classes())
def test_partial_fit_after_load_matches_the_original(cls: type) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the first recipe whose model learns incrementally (meta-estimators only do when
        # their base estimator does)
        fitted = next(
            (f for f in (r.fit() for r in recipes_for(cls)) if hasattr(f.estimator, "partial_fit")),
            None,
        )
        assert fitted is not None, f"{cls.__name__} has no recipe with partial_fit"
        original = fitted.estimator
        loaded = milo_codec.loads(milo_codec.dumps(original))
        X = fitted.X
        rng = np.random.RandomState(42)
        # raw documents (text vectorizers) are a list, sampled item by item
        order = rng.permutation(len(X) if isinstance(X, list) else X.shape[0])[:20]
        batch = [X[i] for i in order] if isinstance(X, list) else X[order]
        args: list[Any] = [batch]
        if fitted.y is not None:
            args.append(np.asarray(fitted.y)[order])
        kwargs = (
            {"classes": original.classes_}
            if hasattr(original, "classes_") and fitted.y is not None
            else {}
        )
        original.partial_fit(*copy.deepcopy(args), **kwargs)
        loaded.partial_fit(*copy.deepcopy(args), **kwargs)
    assert_identical(vars(original), vars(loaded), "__dict__ after partial_fit")


def test_there_are_incremental_models_to_check() -> None:
    names = {p.id for p in _incremental_classes()}
    assert {
        "SGDClassifier",
        "Perceptron",
        "SGDRegressor",
        "MultinomialNB",
        "StandardScaler",
    } <= names
