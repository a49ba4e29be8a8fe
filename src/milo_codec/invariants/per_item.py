"""Lists with one entry per input feature or per class: encoders' categories, CategoricalNB's
counts, TargetEncoder's encodings, QDA's per-class rotations.

Shape symbols tie arrays together, not the lengths of Python lists of arrays; predicting
indexes these lists by feature or class, so a short list raises IndexError mid-prediction and
a long one is silently ignored. (Found by fuzzing: each of these loaded and failed at
predict time before these checks.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int


def _length(state: dict, name: str, want: int | None, what: str, path: str) -> list[Problem]:
    items = state.get(name)
    if want is None or not isinstance(items, list | np.ndarray) or len(items) == want:
        return []
    return [Problem(f"{path}.state.{name}", f"has {len(items)} entries but {what} is {want}")]


def per_feature_categories(params: dict, state: dict, path: str) -> list[Problem]:
    """Encoders keep one array of categories per input feature; numeric ones in order."""
    out = _length(state, "categories_", as_int(state.get("n_features_in_")), "n_features_in_", path)
    categories = state.get("categories_")
    if out or not isinstance(categories, list):
        return out
    for i, cats in enumerate(categories):
        problem = _object_categories_problem(cats) or _numeric_categories_problem(cats)
        if problem:
            out.append(Problem(f"{path}.state.categories_[{i}]", problem))
    return out


def _object_categories_problem(cats: Any) -> str | None:
    """Object categories are looked up in a dict when transforming: scikit-learn keeps them
    unique and hashable (labels and None); a list among them raised TypeError in transform."""
    if not isinstance(cats, np.ndarray) or cats.dtype != object or cats.ndim != 1:
        return None
    items = cats.tolist()
    try:
        distinct = len(set(items))
    except TypeError:
        return _first_unhashable(items)
    if distinct != len(items):
        return "categories must be unique, as scikit-learn keeps them"
    return None


def _first_unhashable(items: list) -> str:
    """Which category set() refused (looked for only once it has)."""
    for i, v in enumerate(items):
        try:
            hash(v)
        except TypeError:
            return f"category {i} is a {type(v).__name__}: categories are labels"
    return "categories must be labels"


def _numeric_categories_problem(cats: Any) -> str | None:
    """Numeric categories are found by binary search when transforming: scikit-learn keeps
    them sorted and unique, NaN (at most one) last, and refuses other orders at fit; unsorted,
    a value lands on the wrong column or past the end (found by fuzzing: IndexError)."""
    if not isinstance(cats, np.ndarray) or cats.ndim != 1 or cats.dtype.kind not in "biuf":
        return None
    body = cats
    if cats.dtype.kind == "f":
        nan = np.isnan(cats)
        if nan[:-1].any():
            return f"NaN is category {int(np.flatnonzero(nan)[0])}: it may only be the last one"
        body = cats[:-1] if cats.size and nan[-1] else cats
    unordered = np.flatnonzero(body[1:] <= body[:-1])
    if unordered.size:
        i = int(unordered[0]) + 1
        return (
            f"numeric categories must be sorted and unique, as scikit-learn keeps them: "
            f"category {i} ({body[i].item()!r}) does not follow {body[i - 1].item()!r}"
        )
    return None


def categorical_nb_counts(params: dict, state: dict, path: str) -> list[Problem]:
    """One (n_classes, n_categories_[i]) table of counts and of log-probabilities per feature."""
    n_features = as_int(state.get("n_features_in_"))
    out: list[Problem] = []
    for name in ("category_count_", "feature_log_prob_"):
        out += _length(state, name, n_features, "n_features_in_", path)
    classes, n_categories = state.get("classes_"), state.get("n_categories_")
    if out or not isinstance(classes, np.ndarray) or not isinstance(n_categories, np.ndarray):
        return out
    if n_features is not None and n_categories.shape != (n_features,):
        return [Problem(f"{path}.state.n_categories_", f"must have {n_features} entries")]
    for name in ("category_count_", "feature_log_prob_"):
        for i, table in enumerate(state.get(name) or []):
            want = (classes.shape[0], int(n_categories[i]))
            if isinstance(table, np.ndarray) and table.shape != want:
                out.append(
                    Problem(
                        f"{path}.state.{name}[{i}]",
                        f"has shape {list(table.shape)}, expected {list(want)} "
                        "(classes by the feature's n_categories_)",
                    )
                )
    return out


def target_encoder_encodings(params: dict, state: dict, path: str) -> list[Problem]:
    """One encoding per feature, or per feature and class for a multiclass target."""
    n_features = as_int(state.get("n_features_in_"))
    out = per_feature_categories(params, state, path)
    classes = state.get("classes_")
    per = (
        classes.shape[0]
        if state.get("target_type_") == "multiclass" and isinstance(classes, np.ndarray)
        else 1
    )
    want = None if n_features is None else n_features * per
    out += _length(state, "encodings_", want, "n_features_in_ × classes", path)
    categories, encodings = state.get("categories_"), state.get("encodings_")
    if out or not isinstance(categories, list) or not isinstance(encodings, list):
        return out
    for j, enc in enumerate(encodings):
        cats = categories[j // per]
        if (
            isinstance(enc, np.ndarray)
            and isinstance(cats, np.ndarray)
            and enc.shape[:1] != cats.shape[:1]
        ):
            out.append(
                Problem(
                    f"{path}.state.encodings_[{j}]",
                    f"has {enc.shape[0] if enc.ndim else 0} entries but its feature has "
                    f"{cats.shape[0]} categories",
                )
            )
    return out


def per_class_rotations(params: dict, state: dict, path: str) -> list[Problem]:
    """QDA keeps, per class, a rotation (n_features × r) and its r scalings."""
    classes = state.get("classes_")
    n_classes = classes.shape[0] if isinstance(classes, np.ndarray) else None
    out = _length(state, "rotations_", n_classes, "the number of classes", path)
    out += _length(state, "scalings_", n_classes, "the number of classes", path)
    if out:
        return out
    n_features = as_int(state.get("n_features_in_"))
    for k, (rot, scale) in enumerate(
        zip(state.get("rotations_") or [], state.get("scalings_") or [], strict=False)
    ):
        if not (isinstance(rot, np.ndarray) and isinstance(scale, np.ndarray)):
            continue
        if rot.ndim != 2 or rot.shape[0] != n_features:
            out.append(Problem(f"{path}.state.rotations_[{k}]", "must have n_features_in_ rows"))
        elif scale.shape != (rot.shape[1],):
            out.append(
                Problem(
                    f"{path}.state.scalings_[{k}]",
                    f"must have one entry per column of rotations_[{k}] ({rot.shape[1]})",
                )
            )
    return out


CHECKS: dict[str, Check] = {
    "per_feature_categories": per_feature_categories,
    "categorical_nb_counts": categorical_nb_counts,
    "target_encoder_encodings": target_encoder_encodings,
    "per_class_rotations": per_class_rotations,
}
