"""Invariants of the sklearn.multioutput family, listed in schemas by x-milo-invariants.

A multi-output meta-estimator holds one fitted clone of its base estimator per output and
stacks their predictions column by column. A chain also feeds estimator k the input plus
the k outputs before it, and puts the columns back in output order by inverting ``order_``
(``inv_order[order_] = arange``): an ``order_`` that is not a permutation of the estimators
would silently scramble or drop outputs, and an estimator fitted on another width would fail
on its first query. Each member's own state is checked by its own schema and invariants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.invariants.fitted import fitted_state
from milo_codec.paths import child


def _state(node: Any) -> dict[str, Any]:
    return fitted_state(node) or {}


def _members(state: dict[str, Any]) -> list[Any]:
    m = state.get("estimators_")
    return list(m) if isinstance(m, list) else []


def _at(path: str, i: int) -> str:
    return child(f"{path}.state.estimators_", i)


def _clones(params: dict, state: dict, path: str) -> list[Problem]:
    """Every member is a fitted estimator of the class params.estimator names."""
    base = params.get("estimator")
    want = base.codec().class_path if isinstance(base, NodeModel) else None
    out = []
    for i, m in enumerate(_members(state)):
        if not isinstance(m, NodeModel):
            continue
        got = m.codec().class_path
        if want is not None and got != want:
            out.append(Problem(_at(path, i), f"must be a fitted {want}, not {got}"))
        elif fitted_state(m) is None:
            out.append(Problem(_at(path, i), "must be fitted"))
    return out


def _widths(state: dict, path: str, chained: bool) -> list[Problem]:
    """Member k was fitted on n_features_in_ features, plus k earlier outputs in a chain."""
    n = as_int(state.get("n_features_in_"))
    if n is None:
        return []
    out = []
    for i, m in enumerate(_members(state)):
        got = as_int(_state(m).get("n_features_in_"))
        want = n + i if chained else n
        if got is not None and got != want:
            extra = f" ({n} features and {i} earlier outputs)" if chained else ""
            out.append(
                Problem(
                    f"{_at(path, i)}.state.n_features_in_",
                    f"is {got} but estimator {i} must have been fitted on {want}{extra}",
                )
            )
    return out


def _classes(state: dict, path: str) -> list[Problem]:
    """classes_[i] are the labels of estimators_[i] (predict_proba's columns, per output)."""
    classes, members = state.get("classes_"), _members(state)
    if not isinstance(classes, list):
        return []
    if len(classes) != len(members):
        return [
            Problem(
                f"{path}.state.classes_",
                f"holds {len(classes)} label arrays for {len(members)} estimators",
            )
        ]
    out = []
    for i, (labels, m) in enumerate(zip(classes, members, strict=True)):
        own = _state(m).get("classes_")
        if not isinstance(labels, np.ndarray) or not isinstance(own, np.ndarray):
            continue
        if (
            labels.shape != own.shape
            or labels.dtype != own.dtype
            or labels.tolist() != own.tolist()
        ):
            out.append(
                Problem(
                    child(f"{path}.state.classes_", i),
                    f"must be the classes_ of {_at(path, i)}",
                )
            )
    return out


def members(params: dict, state: dict, path: str) -> list[Problem]:
    """MultiOutputRegressor / MultiOutputClassifier."""
    out = _clones(params, state, path) + _widths(state, path, chained=False)
    if "classes_" in state:
        out += _classes(state, path)
    return out


def chain(params: dict, state: dict, path: str) -> list[Problem]:
    """ClassifierChain / RegressorChain."""
    out = _clones(params, state, path)
    n_members = len(_members(state))
    order = state.get("order_")
    where = f"{path}.state.order_"
    if isinstance(order, np.ndarray):
        values = order.tolist() if order.ndim == 1 and order.dtype.kind in "iu" else None
    elif isinstance(order, list) and all(as_int(v) is not None for v in order):
        values = [int(v) for v in order]
    else:
        values = None
    if values is None:
        out.append(Problem(where, "must be a 1-d list or array of integers"))
    elif sorted(values) != list(range(n_members)):
        out.append(
            Problem(
                where,
                f"must be a permutation of 0..{n_members - 1} (one position per estimator)",
            )
        )
    out += _widths(state, path, chained=True)
    if "classes_" in state:
        out += _classes(state, path) + _numeric_labels(state, path)
    return out


def _numeric_labels(state: dict, path: str) -> list[Problem]:
    """A classifier chain's members predict numbers: each output joins the next member's
    input as a column, so fit refuses labels that are not numbers (a member with string
    labels had loaded and then failed in predict_proba)."""
    out = []
    for i, m in enumerate(_members(state)):
        own = _state(m).get("classes_")
        if isinstance(own, np.ndarray) and own.dtype.kind not in "biuf":
            out.append(
                Problem(
                    f"{_at(path, i)}.state.classes_",
                    f"holds {own.dtype} labels, but a chain's members are fitted on numbers "
                    "(each output is a column of the next member's input)",
                )
            )
    return out


CHECKS: dict[str, Check] = {
    "multioutput_members": members,
    "multioutput_chain": chain,
}
