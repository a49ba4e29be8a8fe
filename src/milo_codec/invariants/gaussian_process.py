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


CHECKS: dict[str, Check] = {
    "gp_kernel": gp_kernel,
    "gpr_fitted": gpr_fitted,
}
