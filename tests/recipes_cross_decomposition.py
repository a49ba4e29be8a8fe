"""Fit recipes of the sklearn.cross_decomposition family: class name → its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

A 1-d target and a 2-d one lead to different fitted state (``_predict_1d``, one target row in
``coef_``), so both are covered, as are scale=False (unit ``_x_std``/``_y_std``) and
PLSCanonical's two algorithms. transform and inverse_transform also take the target side
(``transform(X, y)``, ``inverse_transform(X_r, y_r)``), which the automatic comparisons do
not call: those are extra queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import _X, Fitted, Recipe, _quiet_fit, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X40 = _X(40, 5)
_Y2 = np.c_[_y_reg(_X40), _y_reg(_X40, seed=7)]
_Y1 = _y_reg(_X40, seed=4)
_XQ = _X(10, 5, seed=8)
_YQ2 = np.c_[_y_reg(_XQ), _y_reg(_XQ, seed=7)]
_YQ1 = _y_reg(_XQ, seed=4)


def _queries(yq: Any, invertible: bool) -> dict[str, Callable[[Any], Any]]:
    out: dict[str, Callable[[Any], Any]] = {
        "transform(X, y)": lambda est: est.transform(_XQ, yq),
    }
    if invertible:

        def both_ways(est: Any) -> Any:
            x_r, y_r = est.transform(_XQ, yq)
            return est.inverse_transform(x_r, y_r)

        out["inverse_transform(X_r, y_r)"] = both_ways
        out["predict(copy=False)"] = lambda est: est.predict(_XQ.copy(), copy=False)
    return out


def _recipe(
    rid: str,
    make: Callable[[], Any],
    y: Any = _Y2,
    X: Any = _X40,
    Xq: Any = _XQ,
    invertible: bool = True,
) -> Recipe:
    yq = _YQ1 if y.ndim == 1 else _YQ1[:, None] if y.shape[1] == 1 else _YQ2

    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X, y)
        return Fitted(rid, est, Xq, yq if invertible else None, extra=_queries(yq, invertible))

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _pls_regression(cls: type) -> list[Recipe]:
    return [
        _recipe("multi-target", cls),
        _recipe("single-target-1d", cls, y=_Y1),
        _recipe("single-target-2d", lambda: cls(n_components=1), y=_Y1[:, None]),
        _recipe("unscaled", lambda: cls(n_components=3, scale=False)),
        _recipe("dataframe", cls, X=_dataframe(_X40), Xq=_dataframe(_XQ)),
        _recipe(
            "pandas-output",
            lambda: cls().set_output(transform="pandas"),
            X=_dataframe(_X40),
            Xq=_dataframe(_XQ),
        ),
    ]


def _pls_canonical(cls: type) -> list[Recipe]:
    return [
        _recipe("nipals", cls),
        _recipe("svd", lambda: cls(algorithm="svd")),
        _recipe("unscaled", lambda: cls(scale=False)),
        _recipe("single-target-1d", lambda: cls(n_components=1), y=_Y1),
    ]


def _cca(cls: type) -> list[Recipe]:
    return [
        _recipe("multi-target", cls),
        _recipe("unscaled", lambda: cls(scale=False)),
        _recipe("single-target-1d", lambda: cls(n_components=1), y=_Y1),
    ]


def _pls_svd(cls: type) -> list[Recipe]:
    return [
        _recipe("multi-target", cls, invertible=False),
        _recipe("unscaled", lambda: cls(scale=False), invertible=False),
        _recipe("single-target-1d", lambda: cls(n_components=1), y=_Y1, invertible=False),
        _recipe(
            "pandas-output",
            lambda: cls().set_output(transform="pandas"),
            X=_dataframe(_X40),
            Xq=_dataframe(_XQ),
            invertible=False,
        ),
    ]


RECIPES.update(
    {
        "PLSRegression": _pls_regression,
        "PLSCanonical": _pls_canonical,
        "CCA": _cca,
        "PLSSVD": _pls_svd,
    }
)
