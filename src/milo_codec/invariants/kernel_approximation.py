"""Invariants of the sklearn.kernel_approximation family, listed in schemas by x-milo-invariants.

The samplers build their output from fitted arrays with numpy alone, so a lie in a file
cannot reach compiled code; it can still make transform silently wrong, which these checks
refuse before anything is constructed:

* RBFSampler, SkewedChi2Sampler and PolynomialCountSketch produce ``n_components`` columns
  (the random features are scaled by ``sqrt(2 / n_components)``; the count sketch allocates
  ``n_components`` buckets) while ``get_feature_names_out`` names ``_n_features_out`` of them;
* PolynomialCountSketch adds ``bitHash_[d, j] * x[:, j]`` into bucket ``indexHash_[d, j]`` of
  sketch ``d``: a negative index would silently wrap to another bucket and one past the end
  would fail mid-transform, a sign other than ±1 would rescale a feature, and the tables have
  one column per input feature plus one for the constant ``sqrt(coef0)`` when ``coef0 != 0``;
* Nystroem keeps at most ``n_components`` basis rows, and with ``kernel="precomputed"`` its
  basis is a square block of the training kernel (queries are test×train kernel rows).
"""

from __future__ import annotations

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int


def n_features_out_is_n_components(params: dict, state: dict, path: str) -> list[Problem]:
    n_out, n_components = as_int(state.get("_n_features_out")), as_int(params.get("n_components"))
    if n_out is not None and n_components is not None and n_out != n_components:
        return [
            Problem(
                f"{path}.state._n_features_out",
                f"is {n_out} but the transform produces n_components = {n_components} columns",
            )
        ]
    return []


def count_sketch_hashes(params: dict, state: dict, path: str) -> list[Problem]:
    at = f"{path}.state"
    index, bits = state.get("indexHash_"), state.get("bitHash_")
    n_features, n_components = (
        as_int(state.get("n_features_in_")),
        as_int(params.get("n_components")),
    )
    if not (isinstance(index, np.ndarray) and isinstance(bits, np.ndarray)):
        return []
    if n_features is None or n_components is None or index.ndim != 2:
        return []
    problems = []
    coef0 = params.get("coef0")
    # transform appends a constant column when coef0 != 0 (a NaN coef0 counts as non-zero)
    expected = n_features + (0 if coef0 == 0 else 1)
    if index.shape[1] != expected:
        problems.append(
            Problem(
                f"{at}.indexHash_",
                f"has {index.shape[1]} columns but n_features_in_ = {n_features} and "
                f"coef0 = {coef0!r} need {expected}",
            )
        )
    if index.size and (index.min() < 0 or index.max() >= n_components):
        problems.append(
            Problem(
                f"{at}.indexHash_",
                f"holds bucket indices in [{index.min()}, {index.max()}] but they must lie in "
                f"[0, n_components = {n_components})",
            )
        )
    if bits.size and not np.isin(bits, (-1, 1)).all():
        problems.append(Problem(f"{at}.bitHash_", "must hold only -1 and 1 (a random sign)"))
    return problems


def nystroem_components(params: dict, state: dict, path: str) -> list[Problem]:
    at = f"{path}.state"
    n_out, n_components = as_int(state.get("_n_features_out")), as_int(params.get("n_components"))
    n_features = as_int(state.get("n_features_in_"))
    problems = []
    if n_out is not None and n_components is not None and n_out > n_components:
        problems.append(
            Problem(
                f"{at}._n_features_out",
                f"is {n_out}, more than n_components = {n_components} basis rows",
            )
        )
    if params.get("kernel") == "precomputed" and n_out is not None and n_out != n_features:
        problems.append(
            Problem(
                f"{at}.components_",
                f"with kernel='precomputed' the basis is square, but it has {n_out} rows "
                f"for n_features_in_ = {n_features} training samples",
            )
        )
    indices = state.get("component_indices_")
    if isinstance(indices, np.ndarray) and indices.size and indices.min() < 0:
        problems.append(Problem(f"{at}.component_indices_", "must not be negative"))
    return problems


CHECKS: dict[str, Check] = {
    "n_features_out_is_n_components": n_features_out_is_n_components,
    "count_sketch_hashes": count_sketch_hashes,
    "nystroem_components": nystroem_components,
}
