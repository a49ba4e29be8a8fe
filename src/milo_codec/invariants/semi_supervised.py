"""Invariants of the sklearn.semi_supervised family, listed in schemas by x-milo-invariants.

Label propagation predicts from its training rows: with kernel="rbf" it multiplies the kernel
between the query and ``X_`` by ``label_distributions_`` (their rows must match, which the
schema's shape symbols tie); with kernel="knn" it asks ``nn_fit`` for neighbor indices and
sums those rows of ``label_distributions_``, so the neighbor model must be fitted on exactly
the training rows. Self-training delegates every prediction to ``estimator_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.invariants.fitted import fitted_state

_NEIGHBORS = "sklearn.neighbors.NearestNeighbors"


def _state(node: NodeModel) -> dict[str, Any]:
    return node.state.fields_by_json_name() if node.state is not None else {}


def _rows(a: Any) -> int | None:
    shape = getattr(a, "shape", None)
    return int(shape[0]) if isinstance(shape, tuple) and len(shape) == 2 else None


def label_propagation(params: dict, state: dict, path: str) -> list[Problem]:
    st = f"{path}.state"
    if "n_features_in_" not in state:
        # LabelPropagation's constructor sets alpha, so its unfitted state is not null; its
        # schema's dependentRequired ties every other attribute to n_features_in_
        return []
    nn = state.get("nn_fit")
    if params.get("kernel") != "knn":
        if "nn_fit" in state:
            return [Problem(f"{st}.nn_fit", "is kept only with kernel='knn'")]
        return []
    if not isinstance(nn, NodeModel):
        return [Problem(st, "kernel='knn' needs nn_fit, a NearestNeighbors fitted on X_")]
    if nn.codec().class_path != _NEIGHBORS:
        return [Problem(f"{st}.nn_fit", f"must be a fitted {_NEIGHBORS}")]
    nn_state = _state(nn)
    if not nn_state:
        return [Problem(f"{st}.nn_fit", "must be fitted")]
    out = []
    n_samples, n_fit = _rows(state.get("X_")), as_int(nn_state.get("n_samples_fit_"))
    if n_samples is not None and n_fit is not None and n_fit != n_samples:
        out.append(
            Problem(
                f"{st}.nn_fit.state.n_samples_fit_",
                f"is {n_fit} but X_ and label_distributions_ have {n_samples} rows "
                "(neighbor indices select their rows)",
            )
        )
    n_in, nn_in = as_int(state.get("n_features_in_")), as_int(nn_state.get("n_features_in_"))
    if n_in is not None and nn_in is not None and nn_in != n_in:
        out.append(
            Problem(f"{st}.nn_fit.state.n_features_in_", f"is {nn_in} but n_features_in_ is {n_in}")
        )
    k = as_int(params.get("n_neighbors"))
    if k is not None and n_fit is not None and k > n_fit:
        out.append(
            Problem(
                f"{path}.params.n_neighbors",
                f"is {k} but the model was fitted on {n_fit} samples",
            )
        )
    return out


def self_training(params: dict, state: dict, path: str) -> list[Problem]:
    st = f"{path}.state"
    est, base = state.get("estimator_"), params.get("estimator")
    if not isinstance(est, NodeModel):
        return []
    if base is None:
        # fit refuses estimator=None; predict reads the parameter's tags
        return [Problem(f"{path}.params.estimator", "a fitted SelfTrainingClassifier has one")]
    want = base.codec().class_path if isinstance(base, NodeModel) else None
    got = est.codec().class_path
    if want is not None and got != want:
        return [Problem(f"{st}.estimator_", f"must be a fitted {want}, not {got}")]
    own = fitted_state(est)
    if own is None:
        return [Problem(f"{st}.estimator_", "must be fitted")]
    out = []
    n_in, est_in = as_int(state.get("n_features_in_")), as_int(own.get("n_features_in_"))
    if n_in is not None and est_in is not None and est_in != n_in:
        out.append(
            Problem(
                f"{st}.estimator_.state.n_features_in_", f"is {est_in} but n_features_in_ is {n_in}"
            )
        )
    classes, est_classes = state.get("classes_"), own.get("classes_")
    if (
        isinstance(classes, np.ndarray)
        and isinstance(est_classes, np.ndarray)
        and not (
            classes.shape == est_classes.shape
            and classes.dtype == est_classes.dtype
            and classes.tolist() == est_classes.tolist()
        )
    ):
        out.append(Problem(f"{st}.classes_", "must be the classes_ of estimator_"))
    return out


CHECKS: dict[str, Check] = {
    "semi_supervised_label_propagation": label_propagation,
    "semi_supervised_self_training": self_training,
}
