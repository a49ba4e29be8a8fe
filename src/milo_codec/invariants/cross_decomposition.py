"""Invariants of the sklearn.cross_decomposition family, listed in schemas by x-milo-invariants.

PLSRegression, PLSCanonical and CCA predict with ``X @ coef_.T + intercept_`` and, when
fitted on a 1-d target (``_predict_1d``), flatten the result with ``ravel()``. Shape symbols
tie every array to ``n_features_in_``, ``n_targets`` and ``_n_features_out``; what they
cannot say is that the flag and the number of targets agree.
"""

from __future__ import annotations

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check


def pls_predict_1d_single_target(params: dict, state: dict, path: str) -> list[Problem]:
    """``_predict_1d`` needs exactly one target: ravel() of several target columns would
    silently return one long vector mixing the targets of different samples."""
    coef = state.get("coef_")
    if state.get("_predict_1d") is True and isinstance(coef, np.ndarray) and coef.shape[0] != 1:
        return [
            Problem(
                f"{path}.state._predict_1d",
                f"is true (the model was fitted on a 1-d target) but coef_ has "
                f"{coef.shape[0]} target rows, not 1",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    "pls_predict_1d_single_target": pls_predict_1d_single_target,
}
