"""Invariants of sklearn.multiclass, listed in schemas by x-milo-invariants.

The meta-estimators combine their fitted binary estimators' outputs with numpy: one-vs-rest
takes the argmax over one column per class (one column in all for a binary problem, and one
per label for multilabel targets, decoded by its label binarizer); one-vs-one votes over the
pairs (0, 1), (0, 2), ..., so it needs exactly n * (n - 1) / 2 estimators; output codes
compare the estimators' outputs with the code book's rows. Each estimator is a model node
checked by its own schema; these checks tie the counts together, the features each part was
fitted on to the model's, and the index arrays a precomputed kernel uses to select query
columns to the model's number of features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.invariants.composite import n_features_in

LABEL_BINARIZER = "sklearn.preprocessing.LabelBinarizer"


def _estimator_features(
    estimators: list, n_features: Any, at: str, widths: list[int] | None = None
) -> list[Problem]:
    """Every estimator was fitted on the model's features (or on its own index subset)."""
    problems = []
    for i, est in enumerate(estimators):
        want = widths[i] if widths is not None else n_features
        got = n_features_in(est)
        if type(want) is int and got is not None and got != want:
            problems.append(
                Problem(f"{at}[{i}]", f"was fitted on {got} features but the model needs {want}")
            )
    return problems


def _labels(node: Any) -> tuple[str | None, Any]:
    """The y_type_ and classes_ of a fitted LabelBinarizer node."""
    if not isinstance(node, NodeModel) or node.state is None:
        return None, None
    state = node.state.fields_by_json_name()
    return state.get("y_type_"), state.get("classes_")


def multiclass_ovr(params: dict, state: dict, path: str) -> list[Problem]:
    at = f"{path}.state"
    estimators, classes = state.get("estimators_"), state.get("classes_")
    binarizer = state.get("label_binarizer_")
    if not (isinstance(estimators, list) and isinstance(classes, np.ndarray)):
        return []
    problems = []
    if not isinstance(binarizer, NodeModel) or binarizer.codec().class_path != LABEL_BINARIZER:
        return [Problem(f"{at}.label_binarizer_", "must be a LabelBinarizer")]
    y_type, lb_classes = _labels(binarizer)
    if y_type is None:
        return [Problem(f"{at}.label_binarizer_", "must be fitted")]
    if not (
        isinstance(lb_classes, np.ndarray)
        and lb_classes.shape == classes.shape
        and lb_classes.dtype == classes.dtype
        and (lb_classes is classes or bool((lb_classes == classes).all()))
    ):
        problems.append(Problem(f"{at}.classes_", "must be the label binarizer's classes_"))
    n = classes.shape[0]
    want = 1 if (n == 2 and y_type != "multilabel-indicator") else n
    if len(estimators) != want:
        what = "labels" if y_type == "multilabel-indicator" else "classes"
        problems.append(
            Problem(
                f"{at}.estimators_",
                f"holds {len(estimators)} estimators but {n} {what} need {want}",
            )
        )
    problems.extend(
        _estimator_features(estimators, state.get("n_features_in_"), f"{at}.estimators_")
    )
    return problems


def multiclass_ovo(params: dict, state: dict, path: str) -> list[Problem]:
    at = f"{path}.state"
    estimators, classes = state.get("estimators_"), state.get("classes_")
    if not (isinstance(estimators, tuple) and isinstance(classes, np.ndarray)):
        return []
    n = classes.shape[0]
    want = n * (n - 1) // 2
    if len(estimators) != want:
        return [
            Problem(
                f"{at}.estimators_",
                f"holds {len(estimators)} estimators but {n} classes need n*(n-1)/2 = {want}",
            )
        ]
    n_features = state.get("n_features_in_")
    indices = state.get("pairwise_indices_")
    if indices is None:
        return _estimator_features(list(estimators), n_features, f"{at}.estimators_")
    if len(indices) != want:
        return [
            Problem(
                f"{at}.pairwise_indices_",
                f"holds {len(indices)} index arrays but there are {want} estimators",
            )
        ]
    problems = []
    for i, idx in enumerate(indices):
        if (
            isinstance(idx, np.ndarray)
            and type(n_features) is int
            and idx.size
            and (idx.min() < 0 or idx.max() >= n_features)
        ):
            problems.append(
                Problem(
                    f"{at}.pairwise_indices_[{i}]",
                    f"indices must lie in [0, {n_features}) (the query's columns)",
                )
            )
    if problems:
        return problems
    widths = [int(idx.shape[0]) for idx in indices]
    return _estimator_features(list(estimators), None, f"{at}.estimators_", widths)


def multiclass_output_code(params: dict, state: dict, path: str) -> list[Problem]:
    at = f"{path}.state"
    estimators, classes = state.get("estimators_"), state.get("classes_")
    code_book = state.get("code_book_")
    if not (
        isinstance(estimators, list)
        and isinstance(classes, np.ndarray)
        and isinstance(code_book, np.ndarray)
    ):
        return []
    want = (classes.shape[0], len(estimators))
    if code_book.shape != want:
        return [
            Problem(
                f"{at}.code_book_",
                f"has shape {code_book.shape} but {want[0]} classes and {want[1]} estimators "
                f"need {want}",
            )
        ]
    if not np.isin(code_book, (-1.0, 0.0, 1.0)).all():
        return [Problem(f"{at}.code_book_", "code bits are 1, and -1 or 0")]
    return _estimator_features(estimators, state.get("n_features_in_"), f"{at}.estimators_")


def multiclass_constant(params: dict, state: dict, path: str) -> list[Problem]:
    y = state.get("y_")
    # A binarized label (one-vs-rest) or a code bit (output codes: 1, and -1 or 0).
    if isinstance(y, np.ndarray) and not np.isin(y, (-1, 0, 1)).all():
        return [Problem(f"{path}.state.y_", "a constant binary target is -1, 0 or 1")]
    return []


CHECKS: dict[str, Check] = {
    "multiclass_ovr": multiclass_ovr,
    "multiclass_ovo": multiclass_ovo,
    "multiclass_output_code": multiclass_output_code,
    "multiclass_constant": multiclass_constant,
}
