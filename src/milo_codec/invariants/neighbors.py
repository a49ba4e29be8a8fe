"""Invariants of the sklearn.neighbors family, listed in schemas by x-milo-invariants.

Search trees are not restored but rebuilt from their payload (``objects/neighbors.py``), so
no node array needs checking; what must hold is that the tree is built from the model's own
training data, with the model's ``leaf_size`` and metric, and that every array a prediction
indexes (``_y`` into ``classes_``, the metric's ``vec``/``mat`` by feature) is in range.
All checks are vectorised: no Python loop over samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int, resolve_alias
from milo_codec.objects.base import AliasRef, Pending
from milo_codec.objects.neighbors import KD_TREE_METRICS, METRIC_CLASSES, metric_size

# Names scikit-learn accepts for the metrics a tree can hold (sklearn's METRIC_MAPPING64).
_SYNONYMS = {
    "l2": "euclidean",
    "cityblock": "manhattan",
    "l1": "manhattan",
    "infinity": "chebyshev",
}
_SYNONYMS["p"] = "minkowski"


def _number(v: Any) -> float | None:
    if type(v) in (int, float) or isinstance(v, np.integer | np.floating):
        return float(v)
    return None


def _metric_payload(v: Any) -> dict | None:
    if type(v) is Pending and v.kind.tag == "distance_metric":
        return v.payload
    return None


def tree_metric_name(metric: Any, metric_params: dict) -> str | None:
    """The DistanceMetric a tree builds for ``metric``/``metric_params`` (sklearn's get_metric)."""
    if not isinstance(metric, str):
        return None
    name = _SYNONYMS.get(metric, metric)
    if name == "minkowski" and metric_params.get("w") is None:
        p = _number(metric_params.get("p", 2))
        name = {1.0: "manhattan", 2.0: "euclidean", math.inf: "chebyshev"}.get(p, name)  # type: ignore[arg-type]
    return name if name in METRIC_CLASSES else None


def _same_metric(a: dict, b: dict) -> bool:
    return (
        a["metric"] == b["metric"]
        and np.float64(a["p"]).tobytes() == np.float64(b["p"]).tobytes()
        and all(
            a[k].shape == b[k].shape and a[k].tobytes() == b[k].tobytes() for k in ("vec", "mat")
        )
    )


def _check_tree(
    tree: Pending,
    fit_X: Any,
    n_features: int | None,
    leaf_size: Any,
    expected_metric: dict | str | None,
    where: str,
    fit_X_path: str | None,
) -> list[Problem]:
    """A tree's payload against its model: data, leaf_size, metric and the metric's sizes."""
    p = tree.payload
    data = p["data"]
    problems = []
    if type(data) is AliasRef:
        # _fit_X may itself be an alias of the array's first place (LabelPropagation.X_)
        same = data.path == fit_X_path or (fit_X is not None and resolve_alias(data.path) is fit_X)
        if fit_X_path is None or not same:
            return [Problem(f"{where}.data", f"must be the model's training data, not {data.path}")]
        data = fit_X
    elif fit_X is not None and (
        not isinstance(fit_X, np.ndarray)
        or data.shape != fit_X.shape
        or not np.array_equal(data, fit_X.astype(np.float64))
    ):
        return [Problem(f"{where}.data", "must equal the model's _fit_X (as float64)")]
    if not isinstance(data, np.ndarray) or data.ndim != 2:
        return [Problem(f"{where}.data", "a search tree is built from a dense 2-D array")]
    if fit_X is not None and not np.isfinite(data).all():
        problems.append(Problem(f"{where}.data", "must be finite"))
    if n_features is not None and data.shape[1] != n_features:
        problems.append(
            Problem(
                f"{where}.data", f"has {data.shape[1]} columns but n_features_in_ is {n_features}"
            )
        )
    if as_int(leaf_size) is not None and p["leaf_size"] != as_int(leaf_size):
        problems.append(
            Problem(
                f"{where}.leaf_size",
                f"is {p['leaf_size']} but the model's leaf_size is {leaf_size}",
            )
        )
    metric = _metric_payload(p["dist_metric"])
    if metric is None:
        return problems
    mwhere = f"{where}.dist_metric.distance_metric"
    if isinstance(expected_metric, dict):
        if not _same_metric(metric, expected_metric):
            problems.append(Problem(mwhere, "must be the model's effective_metric_"))
    elif isinstance(expected_metric, str) and metric["metric"] != expected_metric:
        problems.append(
            Problem(
                f"{mwhere}.metric",
                f"is {metric['metric']} but the model's metric is {expected_metric}",
            )
        )
    size = metric_size(metric)
    if size is not None and size != data.shape[1]:
        problems.append(
            Problem(
                mwhere,
                f"{metric['metric']} is for {size} features but the data has {data.shape[1]}",
            )
        )
    if tree.kind.tag == "kd_tree" and metric["metric"] not in KD_TREE_METRICS:
        problems.append(
            Problem(f"{mwhere}.metric", f"{metric['metric']} is not valid for a kd_tree")
        )
    return problems


def neighbors_fit_structure(params: dict, state: dict, path: str) -> list[Problem]:
    """The search structure is the one ``_fit_method`` names, built from ``_fit_X``."""
    method, tree, fit_X = state.get("_fit_method"), state.get("_tree"), state.get("_fit_X")
    where = f"{path}.state._tree"
    if method == "brute":
        return [] if tree is None else [Problem(where, "must be null when _fit_method is brute")]
    if type(tree) is not Pending or tree.kind.tag != method:
        return [Problem(where, f"must be a {method} when _fit_method is {method}")]
    effective = state.get("effective_metric_")
    metric_params = state.get("effective_metric_params_") or {}
    expected = _metric_payload(effective) or tree_metric_name(effective, metric_params)
    if expected is None:
        return [
            Problem(
                f"{path}.state.effective_metric_", f"{effective!r} cannot be used by a {method}"
            )
        ]
    problems = _check_tree(
        tree,
        fit_X,
        as_int(state.get("n_features_in_")),
        params.get("leaf_size"),
        expected,
        f"{where}.{method}",
        f"{path}.state._fit_X",
    )
    metric = _metric_payload(tree.payload["dist_metric"])
    p = _number(metric_params.get("p"))
    if (
        metric is not None
        and metric["metric"] == "minkowski"
        and p is not None
        and p != metric["p"]
    ):
        problems.append(
            Problem(
                f"{where}.{method}.dist_metric.distance_metric.p",
                f"is {metric['p']} but effective_metric_params_ has p = {p}",
            )
        )
    return problems


def neighbors_n_neighbors(params: dict, state: dict, path: str) -> list[Problem]:
    """k-neighbor queries need ``n_neighbors <= n_samples_fit_``."""
    k, n = as_int(params.get("n_neighbors")), as_int(state.get("n_samples_fit_"))
    if k is not None and n is not None and k > n:
        return [
            Problem(
                f"{path}.params.n_neighbors",
                f"is {k} but the model was fitted on {n} samples (n_samples_fit_)",
            )
        ]
    return []


def _n_unique(a: np.ndarray) -> int:
    if a.dtype.kind != "O":
        return int(np.unique(a).shape[0])
    try:
        return len(set(a.tolist()))
    except TypeError:
        return -1


def neighbors_labels(params: dict, state: dict, path: str) -> list[Problem]:
    """``classes_`` (one array per output when ``outputs_2d_``) are unique and ``_y`` indexes them."""
    classes, y, two_d = state.get("classes_"), state.get("_y"), state.get("outputs_2d_")
    if not isinstance(y, np.ndarray):
        return []
    if two_d:
        if not isinstance(classes, list):
            return [Problem(f"{path}.state.classes_", "must be a list of arrays when outputs_2d_")]
        if y.ndim != 2 or y.shape[1] != len(classes):
            return [
                Problem(f"{path}.state._y", f"must have one column per output ({len(classes)})")
            ]
        per_output = [(f"{path}.state.classes_[{i}]", c, y[:, i]) for i, c in enumerate(classes)]
    else:
        if not isinstance(classes, np.ndarray):
            return [Problem(f"{path}.state.classes_", "must be one array unless outputs_2d_")]
        if y.ndim != 1:
            return [Problem(f"{path}.state._y", "must be one-dimensional unless outputs_2d_")]
        per_output = [(f"{path}.state.classes_", classes, y)]
    problems = []
    for i, (where, c, column) in enumerate(per_output):
        if _n_unique(c) != c.shape[0]:
            problems.append(Problem(where, "class labels must be unique"))
        if column.size and (column.min() < 0 or column.max() >= c.shape[0]):
            col = f"[:, {i}]" if two_d else ""
            problems.append(
                Problem(
                    f"{path}.state._y",
                    f"labels{col} must index classes_ (0 <= _y < {c.shape[0]}); found "
                    f"{int(column.min())}..{int(column.max())}",
                )
            )
    return problems


def neighbors_outlier_label(params: dict, state: dict, path: str) -> list[Problem]:
    """``outlier_label_`` holds one label per output, and is null exactly when the
    outlier_label parameter is (predict then refuses queries without neighbours)."""
    labels, classes = state.get("outlier_label_"), state.get("classes_")
    if "outlier_label_" in state and (labels is None) != (params.get("outlier_label") is None):
        return [
            Problem(
                f"{path}.state.outlier_label_",
                "must be null exactly when the outlier_label parameter is",
            )
        ]
    if labels is None or classes is None:
        return []
    n_outputs = len(classes) if state.get("outputs_2d_") else 1
    if len(labels) != n_outputs:
        return [
            Problem(
                f"{path}.state.outlier_label_",
                f"has {len(labels)} labels but the model has {n_outputs} outputs",
            )
        ]
    return []


def neighbors_graph_width(params: dict, state: dict, path: str) -> list[Problem]:
    """A neighbors graph has one column per training sample."""
    out, n = as_int(state.get("_n_features_out")), as_int(state.get("n_samples_fit_"))
    if out is not None and n is not None and out != n:
        return [Problem(f"{path}.state._n_features_out", f"is {out} but n_samples_fit_ is {n}")]
    return []


def neighbors_lof(params: dict, state: dict, path: str) -> list[Problem]:
    """LOF's ``n_neighbors_`` is ``n_neighbors`` clipped to ``n_samples_fit_ - 1`` (at least 1);
    fit refuses n_neighbors = None, which kneighbors() would otherwise read."""
    k, n = as_int(state.get("n_neighbors_")), as_int(state.get("n_samples_fit_"))
    if "n_neighbors_" in state and params.get("n_neighbors") is None:
        return [Problem(f"{path}.params.n_neighbors", "a fitted LocalOutlierFactor has a count")]
    asked = as_int(params.get("n_neighbors"))
    if k is not None and n is not None and asked is not None and k != max(1, min(asked, n - 1)):
        return [
            Problem(
                f"{path}.state.n_neighbors_",
                f"is {k} but n_neighbors = {asked} over {n} samples makes it "
                f"{max(1, min(asked, n - 1))}",
            )
        ]
    return []


def neighbors_kde_tree(params: dict, state: dict, path: str) -> list[Problem]:
    """KernelDensity's tree is built from its data with its algorithm, metric and leaf_size."""
    tree = state.get("tree_")
    if type(tree) is not Pending:
        return []
    where = f"{path}.state.tree_.{tree.kind.tag}"
    algorithm = params.get("algorithm")
    if algorithm in ("kd_tree", "ball_tree") and tree.kind.tag != algorithm:
        return [Problem(f"{path}.state.tree_", f"must be a {algorithm} (the algorithm parameter)")]
    metric_params = params.get("metric_params") or {}
    expected = tree_metric_name(params.get("metric"), metric_params)
    return _check_tree(
        tree,
        None,
        as_int(state.get("n_features_in_")),
        params.get("leaf_size"),
        expected,
        where,
        None,
    )


def neighbors_nca_components(params: dict, state: dict, path: str) -> list[Problem]:
    """``components_`` has ``n_components`` rows (else as many as an array ``init``, else all
    features), at most n_features_in_."""
    comp, n_features = state.get("components_"), as_int(state.get("n_features_in_"))
    if not isinstance(comp, np.ndarray) or n_features is None:
        return []
    wanted = as_int(params.get("n_components"))
    init = params.get("init")
    if wanted is None:
        wanted = init.shape[0] if isinstance(init, np.ndarray) and init.ndim == 2 else n_features
    if comp.shape[0] != wanted or wanted > n_features:
        return [
            Problem(
                f"{path}.state.components_",
                f"has {comp.shape[0]} rows but n_components is {wanted} "
                f"(at most n_features_in_ = {n_features})",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    "neighbors_fit_structure": neighbors_fit_structure,
    "neighbors_n_neighbors": neighbors_n_neighbors,
    "neighbors_labels": neighbors_labels,
    "neighbors_outlier_label": neighbors_outlier_label,
    "neighbors_graph_width": neighbors_graph_width,
    "neighbors_lof": neighbors_lof,
    "neighbors_kde_tree": neighbors_kde_tree,
    "neighbors_nca_components": neighbors_nca_components,
}
