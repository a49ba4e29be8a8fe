"""Invariants of the sklearn.manifold family, listed in schemas by x-milo-invariants.

Isomap and LocallyLinearEmbedding transform new points through the parts they hold: a
fitted NearestNeighbors (``nbrs_``, whose search tree is checked by the neighbors family)
finds each query's neighbors among the training samples, and those neighbor indices then
index the model's own per-sample arrays (Isomap's geodesic ``dist_matrix_``, LLE's
``embedding_``); Isomap then hands the resulting kernel rows to its KernelPCA
(``kernel_pca_``, fitted on the training kernel). So the parts must describe the same
training set: the same features, the same number of samples as every per-sample array, the
neighbor search the parameters describe, and (for Isomap) a precomputed-kernel KernelPCA
with as many components as the embedding.

SpectralEmbedding, TSNE, MDS and ClassicalMDS have no inference method; their shapes are
tied by ``x-milo-shape`` symbols.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel, UnfittedState
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.values.arrays import is_sparse

_NEAREST_NEIGHBORS = "sklearn.neighbors.NearestNeighbors"
_KERNEL_PCA = "sklearn.decomposition.KernelPCA"


def _fitted_part(
    state: dict, name: str, class_path: str, path: str, problems: list[Problem]
) -> tuple[dict, dict] | None:
    """(params, state) of a fitted model part of the expected class, or None (reported)."""
    node = state.get(name)
    if not isinstance(node, NodeModel):
        return None  # the schema reports a missing or mistyped part
    where = f"{path}.state.{name}"
    if node.codec().class_path != class_path:
        problems.append(Problem(where, f"must be a {class_path}"))
        return None
    if node.state is None or isinstance(node.state, UnfittedState):
        problems.append(Problem(where, "must be fitted"))
        return None
    return node.params.fields_by_json_name(), node.state.fields_by_json_name()


def _n_rows(v: Any) -> int | None:
    shape = getattr(v, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) == 2 else None


def _neighbors(
    params: dict,
    state: dict,
    path: str,
    n_samples: int | None,
    samples_source: str,
    linked: dict[str, str],
    problems: list[Problem],
) -> dict | None:
    """nbrs_ searches the model's training set, as the model's parameters describe."""
    part = _fitted_part(state, "nbrs_", _NEAREST_NEIGHBORS, path, problems)
    if part is None:
        return None
    nn_params, nn_state = part
    where = f"{path}.state.nbrs_"
    if nn_state.get("n_features_in_") != state.get("n_features_in_"):
        problems.append(
            Problem(
                f"{where}.state.n_features_in_",
                f"is {nn_state.get('n_features_in_')} but the model's n_features_in_ is "
                f"{state.get('n_features_in_')}",
            )
        )
    fitted = nn_state.get("n_samples_fit_")
    if n_samples is not None and fitted != n_samples:
        problems.append(
            Problem(
                f"{where}.state.n_samples_fit_",
                f"is {fitted} but {samples_source} has {n_samples} rows (one per training sample)",
            )
        )
    for own, theirs in linked.items():
        if nn_params.get(theirs) != params.get(own):
            problems.append(
                Problem(
                    f"{where}.params.{theirs}",
                    f"is {nn_params.get(theirs)!r} but the model's {own} is {params.get(own)!r}",
                )
            )
    return nn_state


def isomap_parts(params: dict, state: dict, path: str) -> list[Problem]:
    problems: list[Problem] = []
    n_samples = _n_rows(state.get("dist_matrix_"))
    linked = {
        "n_neighbors": "n_neighbors",
        "radius": "radius",
        "neighbors_algorithm": "algorithm",
        "metric": "metric",
        "p": "p",
        "metric_params": "metric_params",
    }
    _neighbors(params, state, path, n_samples, "dist_matrix_", linked, problems)
    part = _fitted_part(state, "kernel_pca_", _KERNEL_PCA, path, problems)
    if part is not None:
        kp_params, kp_state = part
        where = f"{path}.state.kernel_pca_"
        if kp_params.get("kernel") != "precomputed":
            problems.append(Problem(f"{where}.params.kernel", 'must be "precomputed"'))
        if n_samples is not None and kp_state.get("n_features_in_") != n_samples:
            problems.append(
                Problem(
                    f"{where}.state.n_features_in_",
                    f"is {kp_state.get('n_features_in_')} but its kernel rows have one entry "
                    f"per training sample ({n_samples}, from dist_matrix_)",
                )
            )
        vectors = kp_state.get("eigenvectors_")
        n_out = state.get("_n_features_out")
        if isinstance(vectors, np.ndarray) and vectors.ndim == 2 and vectors.shape[1] != n_out:
            problems.append(
                Problem(
                    f"{where}.state.eigenvectors_",
                    f"has {vectors.shape[1]} columns but the embedding has {n_out} "
                    "(_n_features_out)",
                )
            )
    return problems


def locally_linear_parts(params: dict, state: dict, path: str) -> list[Problem]:
    problems: list[Problem] = []
    n_samples = _n_rows(state.get("embedding_"))
    linked = {"n_neighbors": "n_neighbors", "neighbors_algorithm": "algorithm"}
    nn_state = _neighbors(params, state, path, n_samples, "embedding_", linked, problems)
    if nn_state is not None and is_sparse(nn_state.get("_fit_X")):
        # barycenter weights are solved from dense neighbor coordinates
        problems.append(Problem(f"{path}.state.nbrs_.state._fit_X", "must be a dense array"))
    if state.get("_n_features_out") != params.get("n_components"):
        problems.append(
            Problem(
                f"{path}.state._n_features_out",
                f"is {state.get('_n_features_out')} but n_components is "
                f"{params.get('n_components')}",
            )
        )
    return problems


CHECKS: dict[str, Check] = {
    "isomap_parts": isomap_parts,
    "locally_linear_parts": locally_linear_parts,
}
