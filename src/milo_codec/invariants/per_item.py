"""Lists with one entry per input feature or per class: encoders' categories (and their
infrequent-category tables and dropped columns), CategoricalNB's counts, TargetEncoder's
encodings, QDA's per-class rotations.

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


def classes_per_output(params: dict, state: dict, path: str) -> list[Problem]:
    """Multi-output classifiers (forests, DummyClassifier) keep classes_, n_classes_ and
    class_prior_ per output: one array (or count) with a single output, a list of n_outputs_
    otherwise. Predicting indexes them by output and by class, so an empty or short one
    raised IndexError or AttributeError mid-prediction."""
    n_out, classes = as_int(state.get("n_outputs_")), state.get("classes_")
    if n_out is None or n_out < 1 or "classes_" not in state:
        return []
    at = f"{path}.state"
    per_output = [classes] if n_out == 1 else classes
    if not (
        isinstance(per_output, list)
        and len(per_output) == n_out
        and all(isinstance(c, np.ndarray) and c.ndim == 1 for c in per_output)
    ):
        what = "one 1-d array" if n_out == 1 else f"a list of {n_out} 1-d arrays (n_outputs_)"
        return [Problem(f"{at}.classes_", f"must be {what}")]
    sizes = [int(c.shape[0]) for c in per_output]
    out = [
        Problem(f"{at}.classes_" + (f"[{k}]" if n_out > 1 else ""), "must hold at least one class")
        for k, size in enumerate(sizes)
        if size == 0
    ]
    if "n_classes_" in state:
        counts = state["n_classes_"]
        got = [as_int(counts)] if n_out == 1 else [as_int(k) for k in _items(counts)]
        if got != sizes:
            want = sizes[0] if n_out == 1 else sizes
            out.append(Problem(f"{at}.n_classes_", f"must be {want}, the number of classes_"))
    if "class_prior_" in state:
        priors = state["class_prior_"]
        rows = [priors] if n_out == 1 else _items(priors)
        if [r.shape if isinstance(r, np.ndarray) else None for r in rows] != [(n,) for n in sizes]:
            out.append(
                Problem(f"{at}.class_prior_", "must hold one prior per class of each output")
            )
    return out


def _items(v: Any) -> list:
    return list(v) if isinstance(v, list | np.ndarray) else []


# ---------------------------------------------------------------------------
# Infrequent categories and dropped columns (OneHotEncoder, OrdinalEncoder)


def _sizes(state: dict) -> list[int] | None:
    cats = state.get("categories_")
    if not isinstance(cats, list) or not all(isinstance(c, np.ndarray) for c in cats):
        return None
    return [int(c.shape[0]) for c in cats]


def _index_list(state: dict, name: str, n: int, path: str) -> tuple[list | None, list[Problem]]:
    """A per-feature list (or object array) of length n, or a problem."""
    items = state.get(name)
    if items is None:
        return None, []
    if not isinstance(items, list | np.ndarray) or len(items) != n:
        return None, [Problem(f"{path}.state.{name}", f"must hold one entry per feature ({n})")]
    return list(items), []


def _grouped_sizes(state: dict, sizes: list[int], path: str) -> tuple[list[int], list[Problem]]:
    """Each feature's category count once its infrequent categories are grouped into one.

    Transform maps every category through ``_default_to_infrequent_mappings``, then uses the
    result as a column index, so each mapping must land inside the grouped range."""
    grouped = list(sizes)
    if state.get("_infrequent_enabled") is not True:
        return grouped, []
    out: list[Problem] = []
    infrequent, p1 = _index_list(state, "_infrequent_indices", len(sizes), path)
    mappings, p2 = _index_list(state, "_default_to_infrequent_mappings", len(sizes), path)
    out += p1 + p2
    out += [
        Problem(f"{path}.state", f"infrequent categories are enabled but {name} is missing")
        for name in ("_infrequent_indices", "_default_to_infrequent_mappings")
        if name not in state
    ]
    if infrequent is None or mappings is None:
        return grouped, out
    for i, (infreq, mapping, size) in enumerate(zip(infrequent, mappings, sizes, strict=True)):
        where = f"{path}.state._infrequent_indices[{i}]"
        if (infreq is None) != (mapping is None):
            out.append(
                Problem(
                    where, f"must be null exactly where _default_to_infrequent_mappings[{i}] is"
                )
            )
            continue
        if infreq is None:
            continue
        # without missing values in the count when they are encoded apart (OrdinalEncoder)
        if mapping.shape[0] not in (size, size - 1):
            out.append(
                Problem(
                    f"{path}.state._default_to_infrequent_mappings[{i}]",
                    f"must map each of the feature's {size} categories",
                )
            )
            continue
        n = mapping.shape[0]
        if infreq.size == 0 or not (
            infreq.min() >= 0 and infreq.max() < n and (np.diff(infreq) > 0).all()
        ):
            out.append(Problem(where, f"must be increasing category indices below {n}"))
            continue
        grouped[i] = n - int(infreq.size) + 1
        if mapping.size and (mapping.min() < 0 or mapping.max() >= grouped[i]):
            out.append(
                Problem(
                    f"{path}.state._default_to_infrequent_mappings[{i}]",
                    f"must map into the {grouped[i]} grouped categories",
                )
            )
    return grouped, out


def _drop_indices(state: dict, name: str, limits: list[int], path: str) -> list[Problem]:
    items, out = _index_list(state, name, len(limits), path)
    if items is None:
        return out
    for i, (v, limit) in enumerate(zip(items, limits, strict=True)):
        k = as_int(v)
        if v is not None and (k is None or not 0 <= k < limit):
            out.append(
                Problem(
                    f"{path}.state.{name}[{i}]", f"must be null or a category index below {limit}"
                )
            )
    return out


def infrequent_categories(params: dict, state: dict, path: str) -> list[Problem]:
    """OrdinalEncoder: the infrequent-category tables agree with categories_."""
    sizes = _sizes(state)
    return [] if sizes is None else _grouped_sizes(state, sizes, path)[1]


def one_hot_widths(params: dict, state: dict, path: str) -> list[Problem]:
    """OneHotEncoder: dropped columns and output widths are what fit derives from
    categories_ (transform sizes its output by ``_n_features_outs``)."""
    sizes = _sizes(state)
    if sizes is None:
        return []
    grouped, out = _grouped_sizes(state, sizes, path)
    if out:
        return out
    out += _drop_indices(state, "_drop_idx_after_grouping", grouped, path)
    out += _drop_indices(state, "drop_idx_", sizes, path)
    if out:
        return out
    dropped = state.get("_drop_idx_after_grouping")
    want = [g - (dropped is not None and dropped[i] is not None) for i, g in enumerate(grouped)]
    widths = state.get("_n_features_outs")
    if isinstance(widths, list) and [as_int(w) for w in widths] != want:
        out.append(Problem(f"{path}.state._n_features_outs", f"must be {want}, as fit derives"))
    return out


CHECKS: dict[str, Check] = {
    "per_feature_categories": per_feature_categories,
    "categorical_nb_counts": categorical_nb_counts,
    "target_encoder_encodings": target_encoder_encodings,
    "per_class_rotations": per_class_rotations,
    "classes_per_output": classes_per_output,
    "infrequent_categories": infrequent_categories,
    "one_hot_widths": one_hot_widths,
}
