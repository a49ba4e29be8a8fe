"""Invariants of the sklearn.feature_selection family, listed in schemas by x-milo-invariants.

A selector's output is X indexed by a boolean support mask. The univariate selectors and
VarianceThreshold compute that mask from per-feature arrays whose lengths the schemas' shape
symbols tie to ``n_features_in_``; what is checked here is what a shape cannot say: which
score functions give p-values, which parameter a GenericUnivariateSelect mode reads, and for
the model-based selectors, that the fitted estimator is the one the parameters describe and
was fitted on exactly the selected columns (RFE predicts with ``estimator_`` on
``X[:, support_]``), that ranks and masks agree, and how RFECV's cross-validation results
are laid out.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.invariants.composite import n_features_in
from milo_codec.invariants.fitted import fitted_state
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


# ---------------------------------------------------------------------------
# Model-based selectors


# Composites that keep their fitted parts in params (their own state stays null).
_FITTED_IN_PARAMS = frozenset({"sklearn.pipeline.Pipeline", "sklearn.pipeline.FeatureUnion"})


def _fitted_clone(params: dict, state: dict, path: str) -> list[Problem]:
    """estimator_ is a fitted clone (or, with prefit, a copy) of the estimator parameter."""
    fitted, given = state.get("estimator_"), params.get("estimator")
    if not isinstance(fitted, NodeModel):
        return []
    where = f"{path}.state.estimator_"
    if fitted.state is None and fitted.codec().class_path not in _FITTED_IN_PARAMS:
        return [Problem(where, "must be fitted")]
    if isinstance(given, NodeModel):
        want, got = given.codec().class_path, fitted.codec().class_path
        if want != got:
            return [Problem(where, f"must be a fitted {want} (the estimator parameter), not {got}")]
    return []


def _names_match(state: dict, n: int | None, path: str, what: str) -> list[Problem]:
    names = state.get("feature_names_in_")
    if isinstance(names, np.ndarray) and n is not None and names.shape != (n,):
        return [
            Problem(
                f"{path}.state.feature_names_in_",
                f"has {names.shape[0] if names.ndim else 0} names but {what} is {n}",
            )
        ]
    return []


def select_from_model(params: dict, state: dict, path: str) -> list[Problem]:
    problems = _fitted_clone(params, state, path)
    prefit = params.get("prefit")
    # fit with prefit=True refuses an unfitted estimator; transform reads the parameter
    if (
        "estimator_" in state
        and (prefit is True or prefit is np.True_)
        and fitted_state(params.get("estimator")) is None
    ):
        problems.append(Problem(f"{path}.params.estimator", "must be fitted when prefit is true"))
    limit, fitted_limit = params.get("max_features"), state.get("max_features_")
    where = f"{path}.state.max_features_"
    if limit is None and fitted_limit is not None:
        problems.append(Problem(where, "must be absent when max_features is null"))
    elif as_int(limit) is not None and as_int(fitted_limit) != as_int(limit):
        problems.append(Problem(where, f"must equal max_features ({as_int(limit)})"))
    n = n_features_in(state.get("estimator_"))
    problems.extend(_names_match(state, n, path, "the estimator's n_features_in_"))
    return problems


def rfe_support(params: dict, state: dict, path: str) -> list[Problem]:
    """The mask selects n_features_ columns, the ones ranked 1, and estimator_ saw exactly those."""
    problems = _fitted_clone(params, state, path)
    st = f"{path}.state"
    support, ranking = state.get("support_"), state.get("ranking_")
    selected = int(support.sum()) if isinstance(support, np.ndarray) else None
    count = as_int(state.get("n_features_"))
    if selected is not None and count is not None and count != selected:
        problems.append(Problem(f"{st}.n_features_", f"is {count} but support_ selects {selected}"))
    if isinstance(ranking, np.ndarray) and ranking.size:
        if int(ranking.min()) < 1:
            problems.append(Problem(f"{st}.ranking_", "ranks start at 1"))
        elif (
            isinstance(support, np.ndarray)
            and ranking.shape == support.shape
            and not np.array_equal(ranking == 1, support)
        ):
            problems.append(Problem(f"{st}.ranking_", "must be 1 exactly where support_ is true"))
    n_fitted = n_features_in(state.get("estimator_"))
    if selected is not None and n_fitted is not None and n_fitted != selected:
        problems.append(
            Problem(
                f"{st}.estimator_",
                f"was fitted on {n_fitted} features but support_ selects {selected}",
            )
        )
    return problems


_CV_DEFAULT_FOLDS = 5


def rfecv_cv_results(params: dict, state: dict, path: str) -> list[Problem]:
    """cv_results_ holds, per number of features tried, the mean/std score, each fold's score,
    ranking and support, and the number of features, in that key order."""
    results = state.get("cv_results_")
    where = f"{path}.state.cv_results_"
    if not isinstance(results, dict):
        return []
    folds = sum(1 for k in results if k.startswith("split") and k.endswith("_test_score"))
    cv = params.get("cv")
    want_folds = _CV_DEFAULT_FOLDS if cv is None else as_int(cv)
    if want_folds is not None and folds != want_folds:
        return [Problem(where, f"holds {folds} folds but cv gives {want_folds}")]
    keys = [
        "mean_test_score",
        "std_test_score",
        *(f"split{i}_test_score" for i in range(folds)),
        *(f"split{i}_ranking" for i in range(folds)),
        *(f"split{i}_support" for i in range(folds)),
        "n_features",
    ]
    if list(results) != keys:
        return [Problem(where, f"keys must be {keys}")]
    steps = results["n_features"].shape[0]
    n = as_int(state.get("n_features_in_"))
    problems = []
    for key, value in results.items():
        kind: str = "float64"
        shape: tuple[int | None, ...] = (steps,)
        if key == "n_features":
            kind = "int64"
        elif key.endswith("_ranking"):
            kind, shape = "int64", (steps, n)
        elif key.endswith("_support"):
            kind, shape = "bool", (steps, n)
        if value.dtype != np.dtype(kind) or value.shape != shape:
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"must be {kind} of shape {list(shape)}, not {value.dtype} {list(value.shape)}",
                )
            )
    return problems


def sequential_support(params: dict, state: dict, path: str) -> list[Problem]:
    """fit leaves n_features_to_select_ = support_.sum(), which the parameters fix unless the
    selection stops on tol."""
    support, count = state.get("support_"), as_int(state.get("n_features_to_select_"))
    n = as_int(state.get("n_features_in_"))
    if not isinstance(support, np.ndarray) or count is None:
        return []
    where = f"{path}.state.n_features_to_select_"
    if count != int(support.sum()):
        return [Problem(where, f"is {count} but support_ selects {int(support.sum())}")]
    wanted, tol = params.get("n_features_to_select"), params.get("tol")
    if n is None:
        return []
    expected: int | None = None
    if wanted == "auto":
        # "auto" without tol runs n // 2 steps: backward, they remove that many features
        if tol is None:
            expected = n // 2 if params.get("direction") == "forward" else n - n // 2
    elif as_int(wanted) is not None:
        expected = as_int(wanted)
    elif isinstance(wanted, numbers.Real) and not isinstance(wanted, bool):
        expected = int(n * float(wanted))
    if expected is not None and expected != count:
        return [Problem(where, f"is {count} but n_features_to_select asks for {expected}")]
    return []


CHECKS: dict[str, Check] = {
    "univariate_pvalues": univariate_pvalues,
    "univariate_generic_param": univariate_generic_param,
    "select_from_model": select_from_model,
    "rfe_support": rfe_support,
    "rfecv_cv_results": rfecv_cv_results,
    "sequential_support": sequential_support,
}
