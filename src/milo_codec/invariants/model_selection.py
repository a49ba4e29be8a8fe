"""Invariants of the sklearn.model_selection family, listed in schemas by x-milo-invariants.

A search predicts through ``best_estimator_`` and reads its results by candidate index; a
threshold classifier maps its estimator's scores to ``classes_[0]``/``classes_[1]``. These
checks tie those together: every ``cv_results_`` column has one entry per candidate, the
split columns match ``n_splits_``, ranks and ``best_index_`` are in range, ``refit`` names a
metric the search scored and ``best_estimator_`` exists exactly when it refitted, the halving
schedule has one entry per iteration, and a threshold classifier's estimator is a fitted
binary classifier whose classes hold ``pos_label``. All of it is plain Python and numpy (no
compiled code reads these fields), so the checks are about clear errors, not memory safety.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.objects.base import Pending
from milo_codec.paths import child

_SPLIT = re.compile(r"^split(\d+)_(test|train)_(.+)$")


def _length(column: Any) -> int | None:
    """Entries of a cv_results_ column (a masked column is still an inert payload here)."""
    if isinstance(column, Pending):
        data = column.payload.get("data") if isinstance(column.payload, dict) else None
        column = data
    if isinstance(column, np.ndarray):
        return int(column.shape[0]) if column.ndim >= 1 else None
    if isinstance(column, list):
        return len(column)
    return None


def _state(node: Any) -> dict[str, Any] | None:
    if isinstance(node, NodeModel) and node.state is not None:
        return node.state.fields_by_json_name()
    return None


def search_results(params: dict, state: dict, path: str) -> list[Problem]:
    """cv_results_ columns have one entry per candidate; split columns match n_splits_."""
    results = state.get("cv_results_")
    if not isinstance(results, dict):
        return []
    rpath = f"{path}.state.cv_results_"
    out: list[Problem] = []
    lengths = {key: _length(v) for key, v in results.items()}
    n = lengths.get("params")
    if n is None:
        return [Problem(rpath, "must hold the candidates' params")]
    for key, m in lengths.items():
        if m != n:
            out.append(Problem(child(rpath, key), f"has {m} entries but there are {n} candidates"))
    for key, column in results.items():
        ranked = key.startswith("rank_") and isinstance(column, np.ndarray) and column.size
        if ranked and (column.min() < 1 or column.max() > n):
            out.append(Problem(child(rpath, key), f"ranks must be between 1 and {n}"))
    n_splits = as_int(state.get("n_splits_"))
    splits: dict[tuple[str, str], set[int]] = {}
    for key in results:
        split = _SPLIT.match(key)
        if split:
            splits.setdefault((split.group(2), split.group(3)), set()).add(int(split.group(1)))
    for (_, metric), found in splits.items():
        if n_splits is not None and (len(found) != n_splits or found != set(range(n_splits))):
            out.append(
                Problem(
                    rpath,
                    f"the split columns of {metric!r} must be split0 .. split{n_splits - 1} "
                    f"(n_splits_ = {n_splits})",
                )
            )
            break
    best = as_int(state.get("best_index_"))
    if best is not None and not 0 <= best < n:
        out.append(Problem(f"{path}.state.best_index_", f"must be in [0, {n}) ({n} candidates)"))
    return out


def search_refit(params: dict, state: dict, path: str) -> list[Problem]:
    """refit names a scored metric; best_estimator_ exists exactly when the search refitted."""
    if "cv_results_" not in state:
        return []
    out: list[Problem] = []
    scorer = state.get("scorer_")
    multimetric = state.get("multimetric_")
    refit = params.get("refit")
    if multimetric is not isinstance(scorer, dict):
        out.append(
            Problem(
                f"{path}.state.multimetric_",
                "must be true exactly when scorer_ is a dict of scorers",
            )
        )
    if isinstance(refit, str):
        # with one metric scikit-learn refits on it whatever the string says
        if isinstance(scorer, dict) and refit not in scorer:
            out.append(Problem(f"{path}.params.refit", f"{refit!r} is not a metric of scorer_"))
    elif refit is True and isinstance(scorer, dict):
        out.append(Problem(f"{path}.params.refit", "several metrics need refit to name one"))
    # fit refits on any true value (an empty metric name is false, as in `if self.refit`)
    refitted = bool(refit) if isinstance(refit, bool | str) else refit is not None
    has_best = "best_estimator_" in state
    if refitted != has_best:
        out.append(
            Problem(
                f"{path}.state",
                "best_estimator_ must be present exactly when refit is true or names a metric",
            )
        )
    if has_best:
        best = state["best_estimator_"]
        if isinstance(best, NodeModel) and _state(best) is None and not _is_composite(best):
            out.append(Problem(f"{path}.state.best_estimator_", "must be a fitted model"))
        for name in ("best_index_", "best_params_", "best_score_", "refit_time_"):
            if name not in state:
                out.append(Problem(f"{path}.state", f"a refitted search holds {name}"))
    return out


def _is_composite(node: NodeModel) -> bool:
    """Pipeline and FeatureUnion keep their fitted parts in params (their state is null)."""
    return node.codec().class_path in ("sklearn.pipeline.Pipeline", "sklearn.pipeline.FeatureUnion")


def halving_schedule(params: dict, state: dict, path: str) -> list[Problem]:
    """One resource amount and one candidate count per iteration; iter indexes iterations."""
    n_iter = as_int(state.get("n_iterations_"))
    if n_iter is None:
        return []
    out = []
    for name in ("n_resources_", "n_candidates_"):
        v = state.get(name)
        if isinstance(v, list) and len(v) != n_iter:
            out.append(
                Problem(
                    f"{path}.state.{name}", f"has {len(v)} entries but n_iterations_ = {n_iter}"
                )
            )
    results = state.get("cv_results_")
    it = results.get("iter") if isinstance(results, dict) else None
    if isinstance(it, np.ndarray) and it.size and (it.min() < 0 or it.max() >= n_iter):
        out.append(
            Problem(f"{path}.state.cv_results_.iter", f"iterations must be in [0, {n_iter})")
        )
    return out


def threshold_classifier(params: dict, state: dict, path: str) -> list[Problem]:
    """estimator_ is a fitted binary classifier: predictions index its classes_ by 0 or 1."""
    est = state.get("estimator_")
    inner = _state(est)
    epath = f"{path}.state.estimator_"
    if isinstance(est, NodeModel) and inner is None and not _is_composite(est):
        return [Problem(epath, "must be a fitted classifier")]
    if inner is None:
        return []
    out = []
    classes = inner.get("classes_")
    if isinstance(classes, np.ndarray):
        if classes.ndim != 1 or classes.shape[0] != 2:
            out.append(Problem(epath, "a threshold classifier needs a binary classifier"))
        else:
            pos_label = params.get("pos_label")
            if pos_label is not None and pos_label not in classes.tolist():
                out.append(
                    Problem(f"{path}.params.pos_label", f"{pos_label!r} is not one of classes_")
                )
    mine, theirs = as_int(state.get("n_features_in_")), as_int(inner.get("n_features_in_"))
    if mine is not None and theirs is not None and mine != theirs:
        out.append(
            Problem(
                f"{path}.state.n_features_in_",
                f"is {mine} but estimator_ was fitted on {theirs} features",
            )
        )
    return out


def tuned_threshold_results(params: dict, state: dict, path: str) -> list[Problem]:
    """The stored curve has one score per threshold."""
    results = state.get("cv_results_")
    if not isinstance(results, dict):
        return []
    t, s = results.get("thresholds"), results.get("scores")
    if isinstance(t, np.ndarray) and isinstance(s, np.ndarray) and t.shape != s.shape:
        return [
            Problem(
                f"{path}.state.cv_results_",
                f"has {t.shape[0]} thresholds but {s.shape[0]} scores",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    "search_results": search_results,
    "search_refit": search_refit,
    "halving_schedule": halving_schedule,
    "threshold_classifier": threshold_classifier,
    "tuned_threshold_results": tuned_threshold_results,
}
