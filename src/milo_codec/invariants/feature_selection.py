"""Invariants of the sklearn.feature_selection family, listed in schemas by x-milo-invariants.

A selector's output is X indexed by a boolean support mask. The univariate selectors and
VarianceThreshold compute that mask from per-feature arrays whose lengths the schemas' shape
symbols tie to ``n_features_in_``; what is checked here is what a shape cannot say: which
score functions give p-values, which parameter a GenericUnivariateSelect mode reads.
"""

from __future__ import annotations

import numbers
from typing import Any

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.values.objects import function_name

# Score functions that return scores only (no p-values): the selector keeps pvalues_ = None.
_WITHOUT_PVALUES = frozenset(
    f"sklearn.feature_selection.{name}"
    for name in ("r_regression", "mutual_info_classif", "mutual_info_regression")
)


def univariate_pvalues(params: dict, state: dict, path: str) -> list[Problem]:
    """pvalues_ is None exactly when the score function gives no p-values (what fit stores)."""
    name = function_name(params.get("score_func"))
    if name is None or "pvalues_" not in state:
        return []
    has = state["pvalues_"] is not None
    if name in _WITHOUT_PVALUES and has:
        return [Problem(f"{path}.state.pvalues_", f"must be null: {name} gives no p-values")]
    if name not in _WITHOUT_PVALUES and not has:
        return [Problem(f"{path}.state.pvalues_", f"is missing: {name} gives p-values")]
    return []


def _in_range(v: Any, top: int) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= float(v) <= top


def univariate_generic_param(params: dict, state: dict, path: str) -> list[Problem]:
    """``param`` is handed to the selector of ``mode`` (k, percentile or alpha) unvalidated when
    transforming, so it must be a value that selector's own parameter accepts."""
    mode, param = params.get("mode"), params.get("param")
    where = f"{path}.params.param"
    if mode == "k_best":
        if param == "all" or (isinstance(param, numbers.Integral) and not isinstance(param, bool)):
            return []
        return [Problem(where, f"mode 'k_best' needs an integer or 'all', not {param!r}")]
    bound = 100 if mode == "percentile" else 1
    if not _in_range(param, bound):
        return [Problem(where, f"mode {mode!r} needs a number in [0, {bound}], not {param!r}")]
    return []


CHECKS: dict[str, Check] = {
    "univariate_pvalues": univariate_pvalues,
    "univariate_generic_param": univariate_generic_param,
}
