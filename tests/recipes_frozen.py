"""Fit recipes of sklearn.frozen: class name → function returning its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

A FrozenEstimator holds an already fitted estimator as its only parameter and fitting it
does nothing, so each recipe fits the inner estimator first, then "fits" the frozen one:
a classifier, a regressor, a transformer and a pipeline on a DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recipes import _X, Fitted, Recipe, _quiet_fit, _y_class, _y_reg

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X40 = _X(40, 4)


def _recipe(rid: str, cls: type, make: Callable[[], Any], X: Any, y: Any) -> Recipe:
    def fit() -> Fitted:
        inner = make()
        _quiet_fit(inner, X, y)
        est = cls(inner)
        est.fit(X, y)  # a no-op that checks the inner estimator is fitted
        return Fitted(rid, est, X, y)

    return Recipe(rid, fit)


def _frozen(cls: type) -> list[Recipe]:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.DataFrame(_X40, columns=[f"feature_{i}" for i in range(4)])
    return [
        _recipe("classifier", cls, LogisticRegression, _X40, _y_class(40, 3)),
        _recipe("regressor", cls, Ridge, _X40, _y_reg(_X40)),
        _recipe("transformer", cls, StandardScaler, _X40, None),
        _recipe(
            "pipeline-dataframe",
            cls,
            lambda: make_pipeline(StandardScaler(), LogisticRegression()),
            frame,
            _y_class(40, 2),
        ),
    ]


RECIPES["FrozenEstimator"] = _frozen
