"""Invariants of the sklearn.decomposition family, listed in schemas by x-milo-invariants.

Most decompositions transform with numpy alone (``(X - mean_) @ components_.T`` and the
like); their shapes are tied by ``x-milo-shape`` symbols. What the symbols cannot say is
here: counts that must agree with each other (PCA's rank, NMF's two component counts),
attributes present exactly when a parameter says so (FastICA's whitening, KernelPCA's
inverse transform), the parts a model holds (KernelPCA's KernelCenterer, sized by the
training kernel), a constructor parameter sized like the state (SparseCoder's dictionary),
and LatentDirichletAllocation's two topic-word arrays, whose dtype selects the
specialisation of the Cython E-step it runs at transform time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel, UnfittedState
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int


def _array(v: Any, rank: int) -> np.ndarray | None:
    return v if isinstance(v, np.ndarray) and v.ndim == rank else None


def pca_rank(params: dict, state: dict, path: str) -> list[Problem]:
    """A PCA keeps at most min(n_samples, n_features) components (the rank of the data)."""
    n_components = as_int(state.get("n_components_"))
    n_features = as_int(state.get("n_features_in_"))
    n_samples = as_int(state.get("n_samples_"))
    if n_components is None or n_features is None:
        return []
    bound, source = n_features, "n_features_in_"
    if n_samples is not None and n_samples < n_features:
        bound, source = n_samples, "n_samples_"
    if n_components > bound:
        return [
            Problem(
                f"{path}.state.n_components_",
                f"is {n_components} but a PCA keeps at most {bound} components ({source})",
            )
        ]
    return []


def kernel_pca_parts(params: dict, state: dict, path: str) -> list[Problem]:
    """The centerer is fitted on the training kernel; the inverse transform's arrays exist
    exactly when fit_inverse_transform is set; a precomputed kernel is square."""
    problems = []
    shape = getattr(state.get("X_fit_"), "shape", None)  # an ndarray or a sparse matrix
    n_fit = int(shape[0]) if shape is not None and len(shape) == 2 else None
    centerer = state.get("_centerer")
    if isinstance(centerer, NodeModel):
        where = f"{path}.state._centerer"
        if centerer.codec().class_path != "sklearn.preprocessing.KernelCenterer":
            problems.append(Problem(where, "must be a sklearn.preprocessing.KernelCenterer"))
        elif centerer.state is None or isinstance(centerer.state, UnfittedState):
            problems.append(Problem(where, "must be fitted (it centers every query kernel)"))
        else:
            rows = centerer.state.fields_by_json_name().get("K_fit_rows_")
            if isinstance(rows, np.ndarray) and n_fit is not None and rows.shape != (n_fit,):
                problems.append(
                    Problem(
                        f"{where}.state.K_fit_rows_",
                        f"has shape {list(rows.shape)} but the model was fitted on {n_fit} "
                        "samples (X_fit_)",
                    )
                )
    inverse = params.get("fit_inverse_transform") is True
    for name in ("dual_coef_", "X_transformed_fit_"):
        if (name in state) != inverse:
            problems.append(
                Problem(
                    f"{path}.state.{name}",
                    f"must be present exactly when fit_inverse_transform is true "
                    f"(it is {params.get('fit_inverse_transform')!r})",
                )
            )
    n_features = as_int(state.get("n_features_in_"))
    if params.get("kernel") == "precomputed" and n_fit is not None and n_features != n_fit:
        problems.append(
            Problem(
                f"{path}.state.X_fit_",
                f'a kernel="precomputed" model holds a square training kernel, not {n_fit} x '
                f"{n_features}",
            )
        )
    return problems


def fast_ica_whitening(params: dict, state: dict, path: str) -> list[Problem]:
    """transform() centers and whitens exactly when whiten is set, with mean_ and whitening_."""
    whiten = params.get("whiten")
    if whiten is True:
        return [
            Problem(
                f"{path}.params.whiten", 'must be false, "unit-variance" or "arbitrary-variance"'
            )
        ]
    problems = []
    for name in ("mean_", "whitening_"):
        if (name in state) != (whiten is not False):
            problems.append(
                Problem(
                    f"{path}.state.{name}",
                    f"must be present exactly when whiten is not false (it is {whiten!r})",
                )
            )
    return problems


_BETA_LOSSES = {"frobenius": 2, "kullback-leibler": 1, "itakura-saito": 0}


def nmf_components(params: dict, state: dict, path: str) -> list[Problem]:
    """The effective component count is recorded twice, and both size components_; the
    multiplicative updates of transform() use the beta loss the parameter names."""
    problems = []
    a, b = as_int(state.get("_n_components")), as_int(state.get("n_components_"))
    if a is not None and b is not None and a != b:
        problems.append(Problem(f"{path}.state.n_components_", f"is {b} but _n_components is {a}"))
    # transform() derives the count from the parameter again and refuses components_ of
    # another size: an integer is itself, None is the number of features ("auto" is free)
    asked = params.get("n_components")
    want = as_int(state.get("n_features_in_")) if asked is None else as_int(asked)
    if a is not None and want is not None and a != want and "n_components" in params:
        problems.append(
            Problem(
                f"{path}.state._n_components",
                f"is {a} but n_components = {asked!r} makes it {want}",
            )
        )
    beta = params.get("beta_loss")
    expected = _BETA_LOSSES.get(beta, beta) if isinstance(beta, str) else beta
    effective = state.get("_beta_loss")
    gamma = state.get("_gamma")
    if "_gamma" in state and isinstance(effective, int | float) and type(effective) is not bool:
        # MiniBatchNMF's majorisation exponent, derived from the beta loss (Fevotte 2011)
        loss = float(effective)
        good = 1.0 / (2.0 - loss) if loss < 1 else 1.0 / (loss - 1.0) if loss > 2 else 1.0
        if type(gamma) is not float or gamma != good:
            problems.append(
                Problem(
                    f"{path}.state._gamma", f"is {gamma!r} but beta loss {loss!r} makes it {good!r}"
                )
            )
    if "_beta_loss" in state and (type(effective) is bool or effective != expected):
        problems.append(
            Problem(
                f"{path}.state._beta_loss",
                f"is {effective!r} but beta_loss {beta!r} means {expected!r}",
            )
        )
    return problems


def lda_topics(params: dict, state: dict, path: str) -> list[Problem]:
    """transform() validates queries to components_'s dtype and runs the Cython helpers
    specialised for it on rows of exp_dirichlet_component_: both must have one dtype."""
    comp = _array(state.get("components_"), 2)
    exp = _array(state.get("exp_dirichlet_component_"), 2)
    if comp is not None and exp is not None and comp.dtype != exp.dtype:
        return [
            Problem(
                f"{path}.state.exp_dirichlet_component_",
                f"has dtype {exp.dtype} but components_ has {comp.dtype}",
            )
        ]
    return []


def sparse_coder_dictionary(params: dict, state: dict, path: str) -> list[Problem]:
    """A fitted SparseCoder's sizes are its dictionary's: (n_components_, n_features_in_)."""
    dictionary = params.get("dictionary")
    if not isinstance(dictionary, np.ndarray):
        return []
    where = f"{path}.params.dictionary"
    if dictionary.ndim != 2 or dictionary.dtype.kind != "f":
        return [Problem(where, "must be a 2-d array of floats (n_components, n_features)")]
    expected = (as_int(state.get("n_components_")), as_int(state.get("n_features_in_")))
    if None not in expected and dictionary.shape != expected:
        return [
            Problem(
                where,
                f"has shape {list(dictionary.shape)} but n_components_ and n_features_in_ are "
                f"{list(expected)}",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    "pca_rank": pca_rank,
    "kernel_pca_parts": kernel_pca_parts,
    "fast_ica_whitening": fast_ica_whitening,
    "nmf_components": nmf_components,
    "lda_topics": lda_topics,
    "sparse_coder_dictionary": sparse_coder_dictionary,
}
