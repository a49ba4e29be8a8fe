"""Invariants of GaussianProcessRegressor/Classifier, listed in schemas by x-milo-invariants.

Gaussian processes predict with numpy and scipy's LAPACK wrappers only: the kernel between
the query and ``X_train_``, products with ``alpha_`` (regression) or ``y_train_ - pi_``
(classification), and triangular or general solves with the Cholesky factor ``L_``. Nothing
reaches compiled code with a file-controlled index, so the checks are the facts those
products and solves are sized by, and the numbers that make them meaningful:

* training arrays agree on the number of samples (``x-milo-shape``), targets agree on their
  number of columns, and the target normalisation has one entry per target;
* ``L_`` is a Cholesky factor: finite, with a positive diagonal (LAPACK's triangular solve
  reports a zero pivot as a singular matrix; a NaN would silently poison every prediction);
* every anisotropic length scale of the kernels (``kernel`` and the fitted ``kernel_``) has
  one entry per feature, as the kernel call requires.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.objects.base import Pending


def _payload(kernel: Any) -> dict | None:
    if isinstance(kernel, Pending) and kernel.kind.tag == "kernel":
        return kernel.payload
    return None


def _kernel_dims(payload: dict, n_features: int, where: str) -> list[Problem]:
    """Anisotropic length scales of a kernel tree against the number of features."""
    problems = []
    params = payload["params"]
    length_scale = params.get("length_scale")
    if payload["name"] in ("RBF", "Matern") and isinstance(length_scale, np.ndarray | list | tuple):
        n = len(length_scale)
        if n > 1 and n != n_features:
            problems.append(
                Problem(
                    f"{where}.params.length_scale",
                    f"has {n} length scales but the model has {n_features} features",
                )
            )
    for p, value in params.items():
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            sub = _payload(item)
            if sub is not None:
                at = f"{where}.params.{p}" + (f"[{i}]" if isinstance(value, list) else "")
                problems.extend(_kernel_dims(sub, n_features, f"{at}.kernel"))
    return problems


def gp_kernel(params: dict, state: dict, path: str) -> list[Problem]:
    """The kernels a Gaussian process holds fit its number of features."""
    n_features = state.get("n_features_in_")
    X = state.get("X_train_")
    if type(n_features) is not int and isinstance(X, np.ndarray) and X.ndim == 2:
        n_features = X.shape[1]  # the binary Laplace classifier keeps no n_features_in_
    if type(n_features) is not int:
        return []
    problems = []
    for section, name, values in (("params", "kernel", params), ("state", "kernel_", state)):
        payload = _payload(values.get(name))
        if payload is not None:
            problems.extend(_kernel_dims(payload, n_features, f"{path}.{section}.{name}.kernel"))
    return problems


def _cholesky_factor(L: Any, at: str) -> list[Problem]:
    if not (isinstance(L, np.ndarray) and L.ndim == 2 and L.shape[0] == L.shape[1]):
        return []
    if not np.isfinite(L).all():
        return [Problem(at, "a Cholesky factor must be finite")]
    if not (np.diagonal(L) > 0).all():
        return [Problem(at, "a Cholesky factor has a positive diagonal")]
    return []


def _columns(y: np.ndarray) -> int | None:
    return y.shape[1] if y.ndim == 2 else None


def gpr_fitted(params: dict, state: dict, path: str) -> list[Problem]:
    """Targets, their normalisation, the Cholesky factor and per-sample noise agree."""
    problems = _cholesky_factor(state.get("L_"), f"{path}.state.L_")
    y = state.get("y_train_")
    if not isinstance(y, np.ndarray):
        return problems
    columns = _columns(y)
    n_targets = params.get("n_targets")
    if n_targets is not None and int(n_targets) != (columns or 1):
        problems.append(
            Problem(
                f"{path}.params.n_targets",
                f"is {int(n_targets)} but y_train_ holds {columns or 1} target(s)",
            )
        )
    for name in ("_y_train_mean", "_y_train_std"):
        v = state.get(name)
        at = f"{path}.state.{name}"
        if isinstance(v, np.ndarray):
            want = columns or 1
            if v.shape[0] != want:
                problems.append(Problem(at, f"has {v.shape[0]} entries but y_train_ needs {want}"))
            elif not np.isfinite(v).all():
                problems.append(Problem(at, "must be finite"))
        elif isinstance(v, np.generic):
            if columns is not None:
                problems.append(
                    Problem(at, f"a scalar fits 1-d targets, but y_train_ has {columns} columns")
                )
            elif not np.isfinite(v):
                problems.append(Problem(at, "must be finite"))
    alpha = params.get("alpha")
    if isinstance(alpha, np.ndarray) and alpha.shape[0] not in (1, y.shape[0]):
        problems.append(
            Problem(
                f"{path}.params.alpha",
                f"has {alpha.shape[0]} entries but there are {y.shape[0]} training samples",
            )
        )
    return problems


def gpc_binary_fitted(params: dict, state: dict, path: str) -> list[Problem]:
    """Targets index the two classes; the Cholesky factor of B is one."""
    problems = _cholesky_factor(state.get("L_"), f"{path}.state.L_")
    y = state.get("y_train_")
    if isinstance(y, np.ndarray) and not np.isin(y, (0, 1)).all():
        problems.append(Problem(f"{path}.state.y_train_", "targets are 0 or 1 (classes_ indices)"))
    for name in ("pi_", "W_sr_", "f_cached"):
        v = state.get(name)
        if isinstance(v, np.ndarray) and not np.isfinite(v).all():
            problems.append(Problem(f"{path}.state.{name}", "must be finite"))
    return problems


BINARY = "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace"
_MULTI = {
    "one_vs_rest": "sklearn.multiclass.OneVsRestClassifier",
    "one_vs_one": "sklearn.multiclass.OneVsOneClassifier",
}


def _node_state(node: NodeModel) -> dict[str, Any]:
    return node.state.fields_by_json_name() if node.state is not None else {}


def _same_label_type(a: np.dtype, b: np.dtype) -> bool:
    """Equal dtypes, or strings held as str and as object: a one-vs-rest wrapper's label
    binarizer keeps object labels as a str array."""
    return a == b or {a.kind, b.kind} == {"U", "O"}


def gpc_base(params: dict, state: dict, path: str) -> list[Problem]:
    """base_estimator_ is the binary classifier, or the multi-class wrapper of binary ones."""
    base, classes = state.get("base_estimator_"), state.get("classes_")
    at = f"{path}.state.base_estimator_"
    if not (isinstance(base, NodeModel) and isinstance(classes, np.ndarray)):
        return []
    n = classes.shape[0]
    want = BINARY if n == 2 else _MULTI.get(str(params.get("multi_class")))
    got = base.codec().class_path
    if got != want:
        return [Problem(at, f"must be a {want} for {n} classes, not {got}")]
    base_state = _node_state(base)
    if base.state is None:
        return [Problem(at, "must be fitted")]
    base_classes = base_state.get("classes_")
    binarizer = base_state.get("label_binarizer_")
    if not isinstance(base_classes, np.ndarray) and isinstance(binarizer, NodeModel):
        # one-vs-rest writes its classes_ as an alias of its label binarizer's
        base_classes = _node_state(binarizer).get("classes_")
    if not (
        isinstance(base_classes, np.ndarray)
        and base_classes.shape == classes.shape
        and _same_label_type(base_classes.dtype, classes.dtype)
        and bool((base_classes == classes).all())
    ):
        return [Problem(f"{at}.state.classes_", "must be the model's classes_")]
    if n == 2:
        return _binary_features([(at, base)], state.get("n_features_in_"))
    problems = []
    parts = base_state.get("estimators_")
    estimator = base.params.fields_by_json_name().get("estimator")
    for where, part in [
        (f"{at}.params.estimator", estimator),
        *((f"{at}.state.estimators_[{i}]", e) for i, e in enumerate(parts or ())),
    ]:
        if not (isinstance(part, NodeModel) and part.codec().class_path == BINARY):
            problems.append(Problem(where, f"must be a {BINARY}"))
    if not problems:
        named = [(f"{at}.state.estimators_[{i}]", e) for i, e in enumerate(parts or ())]
        problems.extend(_binary_features(named, state.get("n_features_in_")))
    return problems


def _binary_features(parts: list[tuple[str, NodeModel]], n_features: Any) -> list[Problem]:
    """Each binary classifier's training data has the model's number of features."""
    problems = []
    for where, part in parts:
        X = _node_state(part).get("X_train_")
        if type(n_features) is int and isinstance(X, np.ndarray) and X.shape[1] != n_features:
            problems.append(
                Problem(
                    f"{where}.state.X_train_",
                    f"has {X.shape[1]} features but the model has {n_features}",
                )
            )
    return problems


CHECKS: dict[str, Check] = {
    "gp_kernel": gp_kernel,
    "gpr_fitted": gpr_fitted,
    "gpc_binary_fitted": gpc_binary_fitted,
    "gpc_base": gpc_base,
}
