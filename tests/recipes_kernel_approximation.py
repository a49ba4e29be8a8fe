"""Fit recipes of the sklearn.kernel_approximation family: class name → its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

Nystroem is fitted with every kernel it names (with kernel="precomputed" it is fitted on a
train×train kernel matrix and queried with a test×train one), with kernel_params, and with
more components than samples (it then keeps one per sample). The random-feature samplers
keep float32 weights when fitted on float32 input; PolynomialCountSketch holds hash tables
whose shape grows by one column when coef0 != 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X40 = _X(40, 4)
_XQ = _X(8, 4, seed=6)
# chi2 kernels and the skewed sampler need non-negative input (skewed: > -skewedness)
_P40 = _X(40, 4, positive=True)
_PQ = _X(8, 4, seed=6, positive=True)


def _recipe(rid: str, make: Callable[[], Any], X: Any = _X40, Xq: Any = _XQ) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X)
        return Fitted(rid, est, Xq)

    return Recipe(rid, fit)


def _sparse(X: np.ndarray, fmt: str = "csr") -> Any:
    return sp.csr_matrix(X * (X > 0.4)).asformat(fmt)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])


def _rbf_sampler(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", lambda: cls(n_components=20, random_state=0)),
        _recipe(
            "float32",
            lambda: cls(n_components=20, random_state=0),
            X=_X40.astype(np.float32),
            Xq=_XQ.astype(np.float32),
        ),
        _recipe(
            "gamma-scale-sparse",
            lambda: cls(gamma="scale", n_components=15, random_state=1),
            X=_sparse(_P40),
            Xq=_sparse(_PQ),
        ),
        # a RandomState instance as random_state: fit draws from it, so its state moves on
        _recipe(
            "random-state-instance",
            lambda: cls(n_components=5, random_state=np.random.RandomState(3)),
        ),
        _recipe(
            "pandas-output",
            lambda: cls(n_components=6, random_state=0).set_output(transform="pandas"),
            X=_dataframe(_X40),
            Xq=_dataframe(_XQ),
        ),
    ]


def _nystroem(cls: type) -> list[Recipe]:
    from sklearn.metrics.pairwise import rbf_kernel

    out = []
    for kernel in (
        "additive_chi2",
        "chi2",
        "cosine",
        "laplacian",
        "linear",
        "poly",
        "polynomial",
        "rbf",
        "sigmoid",
    ):
        positive = kernel in ("additive_chi2", "chi2")
        out.append(
            _recipe(
                f"kernel-{kernel}",
                lambda kernel=kernel: cls(kernel=kernel, n_components=10, random_state=0),
                X=_P40 if positive else _X40,
                Xq=_PQ if positive else _XQ,
            )
        )
    out.append(
        _recipe(
            "kernel-params",
            lambda: cls(
                kernel="poly",
                kernel_params={"degree": 2, "coef0": 0.5},
                n_components=8,
                random_state=0,
            ),
        )
    )
    out.append(
        _recipe(
            "gamma-degree-coef0",
            lambda: cls(
                kernel="polynomial", gamma=0.3, degree=2, coef0=1.5, n_components=8, random_state=0
            ),
        )
    )
    out.append(
        _recipe(
            "precomputed",
            # the basis kernel is the fit input's rows taken as a square matrix, so every
            # training sample is a component
            lambda: cls(kernel="precomputed", n_components=40, random_state=0),
            X=rbf_kernel(_X40, _X40),
            Xq=rbf_kernel(_XQ, _X40),
        )
    )
    # more components than samples: one component per sample (n_components_ = 12)
    out.append(
        _recipe(
            "more-components-than-samples",
            lambda: cls(n_components=30, random_state=0),
            X=_X40[:12],
        )
    )
    out.append(
        _recipe(
            "sparse", lambda: cls(n_components=10, random_state=0), X=_sparse(_X40), Xq=_sparse(_XQ)
        )
    )
    out.append(
        _recipe(
            "pandas-output",
            lambda: cls(n_components=6, random_state=0).set_output(transform="pandas"),
            X=_dataframe(_X40),
            Xq=_dataframe(_XQ),
        )
    )
    # the basis rows keep the input's dtype (float32, or int64 for integer input)
    out.append(
        _recipe(
            "float32",
            lambda: cls(n_components=10, random_state=0),
            X=_X40.astype(np.float32),
            Xq=_XQ.astype(np.float32),
        )
    )
    out.append(
        _recipe(
            "sparse-float32",
            lambda: cls(n_components=10, random_state=0),
            X=_sparse(_X40).astype(np.float32),
            Xq=_sparse(_XQ).astype(np.float32),
        )
    )
    out.append(
        _recipe(
            "int-input",
            lambda: cls(kernel="laplacian", n_components=10, random_state=0),
            X=np.rint(_X40 * 3).astype(np.int64),
            Xq=np.rint(_XQ * 3).astype(np.int64),
        )
    )
    return out


def _additive_chi2(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", cls, X=_P40, Xq=_PQ),
        _recipe("one-step", lambda: cls(sample_steps=1), X=_P40, Xq=_PQ),
        _recipe(
            "pandas-output",
            lambda: cls().set_output(transform="pandas"),
            X=_dataframe(_P40),
            Xq=_dataframe(_PQ),
        ),
        _recipe(
            "three-steps-sparse", lambda: cls(sample_steps=3), X=_sparse(_P40), Xq=_sparse(_PQ)
        ),
        _recipe(
            "sample-interval", lambda: cls(sample_steps=5, sample_interval=0.3), X=_P40, Xq=_PQ
        ),
    ]


def _skewed_chi2(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", lambda: cls(n_components=20, random_state=0), X=_P40, Xq=_PQ),
        _recipe(
            "float32",
            lambda: cls(skewedness=0.5, n_components=12, random_state=0),
            X=_P40.astype(np.float32),
            Xq=_PQ.astype(np.float32),
        ),
        # the input may go down to -skewedness: negative values with a larger skewedness
        _recipe(
            "pandas-output-skewed",
            lambda: cls(skewedness=2.0, n_components=6, random_state=1).set_output(
                transform="pandas"
            ),
            X=_dataframe(_X40 * 0.5),
            Xq=_dataframe(_XQ * 0.5),
        ),
    ]


def _polynomial_count_sketch(cls: type) -> list[Recipe]:
    return [
        _recipe("dense", lambda: cls(n_components=16, random_state=0)),
        _recipe(
            "coef0-degree3",
            lambda: cls(degree=3, coef0=1.0, gamma=0.5, n_components=12, random_state=0),
        ),
        _recipe(
            "sparse-coef0",
            lambda: cls(coef0=2.0, n_components=10, random_state=1),
            X=_sparse(_X40, "csc"),
            Xq=_sparse(_XQ, "csc"),
        ),
        _recipe(
            "float32",
            lambda: cls(n_components=8, random_state=0),
            X=_X40.astype(np.float32),
            Xq=_XQ.astype(np.float32),
        ),
    ]


RECIPES.update(
    {
        "RBFSampler": _rbf_sampler,
        "Nystroem": _nystroem,
        "AdditiveChi2Sampler": _additive_chi2,
        "SkewedChi2Sampler": _skewed_chi2,
        "PolynomialCountSketch": _polynomial_count_sketch,
    }
)
