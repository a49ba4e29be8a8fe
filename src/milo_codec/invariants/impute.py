"""Invariants of the sklearn.impute family, listed in schemas by x-milo-invariants.

Imputers fill and index columns with numpy only, but every index they hold comes from the
file: MissingIndicator selects ``features_`` columns of its mask (and inverse_transform of
an imputer writes through them), KNNImputer reads donors from ``_fit_X`` under
``_mask_fit_X`` and ``_valid_mask``, and IterativeImputer replays ``imputation_sequence_``,
writing column ``feat_idx`` from the columns ``neighbor_feat_idx``. Each index is checked
against ``n_features_in_``, and each nested model against the role it plays, so a lying
file is refused with its JSON path instead of failing (or silently imputing the wrong
column) at transform time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int

_INDICATOR = "sklearn.impute.MissingIndicator"
_SIMPLE = "sklearn.impute.SimpleImputer"


def _node_state(node: Any) -> dict[str, Any]:
    if isinstance(node, NodeModel) and node.state is not None:
        try:
            return node.state.fields_by_json_name()
        except AttributeError:  # an unfitted state holding only its output config
            return {}
    return {}


def _class(node: Any) -> str | None:
    return node.codec().class_path if isinstance(node, NodeModel) else None


def _fitted_node(node: Any, cls: str, n_features: int | None, field: str) -> list[Problem]:
    """A nested model of class ``cls``, fitted on ``n_features`` columns."""
    if _class(node) != cls:
        return [Problem(field, f"must be a {cls} model node, not {_class(node) or 'nothing'}")]
    n = as_int(_node_state(node).get("n_features_in_"))
    if n is None:
        return [Problem(field, "must be fitted")]
    if n_features is not None and n != n_features:
        return [Problem(field, f"was fitted on {n} features, but the imputer on {n_features}")]
    return []


def _index_array(a: Any, n: int, field: str, what: str) -> list[Problem]:
    if not isinstance(a, np.ndarray) or a.ndim != 1 or a.dtype.kind not in "iu":
        return [Problem(field, f"must be a 1-D integer array of {what}")]
    if a.size and (int(a.min()) < 0 or int(a.max()) >= n):
        return [Problem(field, f"{what} must lie in [0, {n}) (n_features_in_)")]
    if np.unique(a).size != a.size:
        return [Problem(field, f"{what} must be unique")]
    return []


def impute_indicator(params: dict, state: dict, path: str) -> list[Problem]:
    """indicator_ exists exactly when add_indicator, and masks the imputer's own columns."""
    field = f"{path}.state.indicator_"
    indicator = state.get("indicator_")
    if "indicator_" not in state:
        return []
    if not params.get("add_indicator"):
        if indicator is not None:
            return [Problem(field, "must be null when add_indicator is false")]
        return []
    return _fitted_node(indicator, _INDICATOR, as_int(state.get("n_features_in_")), field)


def missing_indicator(params: dict, state: dict, path: str) -> list[Problem]:
    """features_ selects distinct, sorted columns of the mask; "all" selects every column."""
    n = as_int(state.get("n_features_in_"))
    features = state.get("features_")
    if n is None or features is None:
        return []
    st = f"{path}.state"
    problems = []
    if as_int(state.get("_n_features")) != n:
        problems.append(Problem(f"{st}._n_features", f"must equal n_features_in_ ({n})"))
    found = _index_array(features, n, f"{st}.features_", "column indices")
    if found:
        return problems + found
    if features.size > 1 and not bool(np.all(np.diff(features) > 0)):
        problems.append(Problem(f"{st}.features_", "column indices must increase"))
    if params.get("features") == "all" and features.size != n:
        problems.append(Problem(f"{st}.features_", f'features="all" selects all {n} columns'))
    return problems


def _mask(X: np.ndarray, missing_values: Any) -> np.ndarray:
    if isinstance(missing_values, float | np.floating) and np.isnan(missing_values):
        return np.isnan(X)
    return missing_values == X


def knn_imputer(params: dict, state: dict, path: str) -> list[Problem]:
    """The donor mask is the training data's missing mask; _valid_mask its observed columns."""
    fit_X, mask, valid = state.get("_fit_X"), state.get("_mask_fit_X"), state.get("_valid_mask")
    if not (
        isinstance(fit_X, np.ndarray)
        and isinstance(mask, np.ndarray)
        and isinstance(valid, np.ndarray)
    ):
        return []
    st = f"{path}.state"
    if fit_X.shape[0] == 0:
        return [Problem(f"{st}._fit_X", "must hold at least one training row")]
    if mask.shape != fit_X.shape:
        return [Problem(f"{st}._mask_fit_X", f"must have the shape of _fit_X {fit_X.shape}")]
    if not np.array_equal(mask, _mask(fit_X, params.get("missing_values"))):
        return [Problem(f"{st}._mask_fit_X", "must mark exactly the missing values of _fit_X")]
    if not np.array_equal(valid, ~mask.all(axis=0)):
        return [Problem(f"{st}._valid_mask", "must mark the columns of _fit_X with a value")]
    return []


def iterative_imputer(params: dict, state: dict, path: str) -> list[Problem]:
    """Each step imputes one column in range from other columns in range, with a fitted model
    of the imputer's estimator class; rounds are whole; bounds are ordered."""
    n = as_int(state.get("n_features_in_"))
    if n is None or "imputation_sequence_" not in state:
        return []
    st = f"{path}.state"
    problems: list[Problem] = []
    problems += _fitted_node(state.get("initial_imputer_"), _SIMPLE, n, f"{st}.initial_imputer_")
    template = _class(state.get("_estimator"))
    chosen = params.get("estimator")
    if template != (_class(chosen) if chosen is not None else "sklearn.linear_model.BayesianRidge"):
        problems.append(
            Problem(f"{st}._estimator", "must be of the class of the estimator parameter")
        )
    sequence = state["imputation_sequence_"]
    n_iter = as_int(state.get("n_iter_"))
    n_missing = as_int(state.get("n_features_with_missing_"))
    if n_missing is not None and n_missing > n:
        problems.append(Problem(f"{st}.n_features_with_missing_", f"must be <= {n}"))
    if not isinstance(sequence, list):
        return problems
    if n_iter:  # fit stops before these exist only when it runs no round
        problems += [
            Problem(f"{st}.{name}", f"is missing: n_iter_ is {n_iter}")
            for name in ("_min_value", "_max_value", "n_features_with_missing_")
            if name not in state
        ]
    if n_iter == 0 and sequence:
        problems.append(Problem(f"{st}.imputation_sequence_", "must be empty when n_iter_ is 0"))
    elif n_iter and len(sequence) % n_iter:
        problems.append(
            Problem(
                f"{st}.imputation_sequence_",
                f"holds {len(sequence)} steps, not a whole number of steps per round "
                f"for n_iter_={n_iter}",
            )
        )
    for i, step in enumerate(sequence):
        at = f"{st}.imputation_sequence_[{i}].imputer_triplet"
        payload = getattr(step, "payload", None)
        if not isinstance(payload, dict):
            continue
        feat = as_int(payload.get("feat_idx"))
        neighbors: Any = payload.get("neighbor_feat_idx")
        if feat is None or not 0 <= feat < n:
            problems.append(Problem(f"{at}.feat_idx", f"must lie in [0, {n}) (n_features_in_)"))
        found = _index_array(neighbors, n, f"{at}.neighbor_feat_idx", "column indices")
        problems += found
        if not found and feat is not None and feat in set(neighbors.tolist()):
            problems.append(
                Problem(f"{at}.neighbor_feat_idx", "must not hold the imputed column feat_idx")
            )
        estimator = payload.get("estimator")
        if _class(estimator) != template:
            problems.append(
                Problem(f"{at}.estimator", f"must be a fitted clone of _estimator ({template})")
            )
        fitted_on = as_int(_node_state(estimator).get("n_features_in_"))
        if not found and fitted_on is not None and fitted_on != neighbors.size:
            problems.append(
                Problem(
                    f"{at}.estimator",
                    f"was fitted on {fitted_on} features but reads {neighbors.size} columns",
                )
            )
    lo, hi = state.get("_min_value"), state.get("_max_value")
    if (
        isinstance(lo, np.ndarray)
        and isinstance(hi, np.ndarray)
        and lo.shape == hi.shape
        and (bool(np.any(lo > hi)) or bool(np.isnan(lo).any() or np.isnan(hi).any()))
    ):
        problems.append(Problem(f"{st}._min_value", "must be <= _max_value, feature by feature"))
    return problems


CHECKS: dict[str, Check] = {
    "impute_indicator": impute_indicator,
    "missing_indicator": missing_indicator,
    "knn_imputer": knn_imputer,
    "iterative_imputer": iterative_imputer,
}
