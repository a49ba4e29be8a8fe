"""Named invariants that symbolic shapes cannot express; schemas list them in x-milo-invariants."""

from __future__ import annotations

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants import (
    calibration,
    cluster,
    composite,
    cross_decomposition,
    decomposition,
    ensemble,
    feature_extraction,
    feature_selection,
    gaussian_process,
    hist_gradient_boosting,
    impute,
    kernel_approximation,
    manifold,
    mixture,
    model_selection,
    multiclass,
    multioutput,
    neighbors,
    neural_network,
    per_item,
    preprocessing,
    random_projection,
    semi_supervised,
    svm,
    tree,
)
from milo_codec.invariants.base import Check, as_int


def _n_unique(a: np.ndarray) -> int:
    try:
        return len(set(a.tolist()))
    except TypeError:
        return -1


def classes_unique(params: dict, state: dict, path: str) -> list[Problem]:
    """Predictions index ``classes_``; repeated labels would make two outputs one class."""
    classes = state.get("classes_")
    if (
        isinstance(classes, np.ndarray)
        and classes.ndim == 1
        and _n_unique(classes) != classes.shape[0]
    ):
        return [Problem(f"{path}.state.classes_", "class labels must be unique")]
    return []


def lda_components(params: dict, state: dict, path: str) -> list[Problem]:
    """transform keeps _max_components columns and get_feature_names_out names _n_features_out
    of them (10**9 had loaded and exhausted memory there): fit sets both to n_components, or
    to min(n_classes - 1, n_features) without one."""
    kept, named = as_int(state.get("_max_components")), as_int(state.get("_n_features_out"))
    classes, n_in = state.get("classes_"), as_int(state.get("n_features_in_"))
    if kept is None or not isinstance(classes, np.ndarray) or n_in is None:
        return []
    asked, bound = params.get("n_components"), min(classes.shape[0] - 1, n_in)
    want = bound if asked is None else as_int(asked)
    out = []
    if want is not None and want > bound:
        # fit refuses more components than classes - 1 or features; a file naming both as
        # 10**9 would otherwise agree with itself and name that many output features
        return [Problem(f"{path}.params.n_components", f"is {want} but at most {bound} exist")]
    if want is not None and kept != want:
        out.append(Problem(f"{path}.state._max_components", f"is {kept} but fit makes it {want}"))
    if named is not None and named != kept:
        out.append(
            Problem(f"{path}.state._n_features_out", f"is {named} but _max_components is {kept}")
        )
    return out


def linear_classifier_rows(params: dict, state: dict, path: str) -> list[Problem]:
    """A binary linear classifier has one row of coefficients; a multiclass one a row per class."""
    classes, coef = state.get("classes_"), state.get("coef_")
    if not (isinstance(classes, np.ndarray) and isinstance(coef, np.ndarray)) or coef.ndim != 2:
        return []
    n = classes.shape[0]
    expected = 1 if n == 2 else n
    if coef.shape[0] != expected:
        return [
            Problem(
                f"{path}.state.coef_",
                f"has {coef.shape[0]} rows but {n} classes need {expected}",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    **per_item.CHECKS,
    **preprocessing.CHECKS,
    "classes_unique": classes_unique,
    "linear_classifier_rows": linear_classifier_rows,
    "lda_components": lda_components,
    **tree.CHECKS,
    **ensemble.CHECKS,
    **hist_gradient_boosting.CHECKS,
    **svm.CHECKS,
    **neighbors.CHECKS,
    **neural_network.CHECKS,
    **composite.CHECKS,
    **cluster.CHECKS,
    **feature_selection.CHECKS,
    **model_selection.CHECKS,
    **cross_decomposition.CHECKS,
    **kernel_approximation.CHECKS,
    **gaussian_process.CHECKS,
    **mixture.CHECKS,
    **multiclass.CHECKS,
    **impute.CHECKS,
    **feature_extraction.CHECKS,
    **decomposition.CHECKS,
    **manifold.CHECKS,
    **multioutput.CHECKS,
    **semi_supervised.CHECKS,
    **calibration.CHECKS,
    **random_projection.CHECKS,
}

# Checks that read params only; run.py also runs them on nodes whose state is null.
PARAMS_CHECKS = composite.PARAMS_CHECKS
