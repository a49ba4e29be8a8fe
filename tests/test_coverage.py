"""Every estimator scikit-learn ships is supported, or excluded here with the reason.

The gate enumerates ``sklearn.utils.all_estimators()`` with the experimental estimators
enabled, so a scikit-learn release that adds a class fails this test until the class is
supported (or consciously excluded).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from sklearn.experimental import enable_halving_search_cv, enable_iterative_imputer  # noqa: F401
from sklearn.utils.discovery import all_estimators

import milo_codec

# Class path → why it cannot be supported. The target is an empty table.
EXCLUDED: dict[str, str] = {}


def _public_path(cls: type) -> str:
    """The path users import the class from (``sklearn.cluster.KMeans``, not ``..._kmeans``)."""
    module = cls.__module__.split(".")
    for i in range(2, len(module) + 1):
        candidate = ".".join(module[:i])
        if getattr(importlib.import_module(candidate), cls.__name__, None) is cls:
            return f"{candidate}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__name__}"


ALL = {_public_path(cls): cls for _, cls in all_estimators()}


def _supported_classes() -> dict[str, type]:
    out = {}
    for path in milo_codec.supported_models():
        module, name = path.rsplit(".", 1)
        out[path] = getattr(importlib.import_module(module), name)
    return out


SUPPORTED = _supported_classes()


@pytest.mark.parametrize("class_path", sorted(ALL))
def test_estimator_is_supported_or_excluded(class_path: str) -> None:
    if class_path in EXCLUDED:
        pytest.skip(f"excluded: {EXCLUDED[class_path]}")
    assert SUPPORTED.get(class_path) is ALL[class_path], (
        f"{class_path} is neither supported nor listed in EXCLUDED with a reason"
    )


def test_exclusions_are_current_and_explained() -> None:
    for class_path, reason in EXCLUDED.items():
        assert class_path in ALL, f"{class_path} is excluded but scikit-learn has no such class"
        assert class_path not in SUPPORTED, f"{class_path} is both supported and excluded"
        assert len(reason.split()) >= 5, f"{class_path}: give a real reason"


def test_supported_public_classes_are_scikit_learn_estimators() -> None:
    """The registry holds nothing beyond all_estimators() except private nodes inside models."""
    extra = {p for p in SUPPORTED if p not in ALL and not p.rsplit(".", 1)[1].startswith("_")}
    assert extra == set()


def test_experimental_classes_load_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """The reader imports sklearn.experimental's enablers itself (x-milo-import-first)."""
    from crafted import load_in_children
    from sklearn.impute import IterativeImputer
    from sklearn.model_selection import HalvingGridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X = np.random.RandomState(0).randn(60, 3)
    y = np.arange(60) % 2
    docs: dict[str, str | dict] = {
        "halving": milo_codec.dumps(
            HalvingGridSearchCV(
                DecisionTreeClassifier(), {"max_depth": [1, 2]}, random_state=0
            ).fit(X, y)
        ),
        "iterative": milo_codec.dumps(IterativeImputer().fit(X)),
    }
    out = load_in_children(docs, tmp_path, then="model.predict if hasattr(model, 'predict') else 0")
    assert {name: o.status for name, o in out.items()} == {
        "halving": "loaded",
        "iterative": "loaded",
    }, out
