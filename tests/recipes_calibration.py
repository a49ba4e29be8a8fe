"""Fit recipes of sklearn.calibration: class name → function returning its recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

CalibratedClassifierCV keeps one calibrated classifier per fold (ensemble) or one fitted on
cross-validated predictions (ensemble=False, or a FrozenEstimator calibrated as it is), with
sigmoid, isotonic or temperature calibrators: binary and multiclass, integer and string
labels, a classifier with decision_function only (LinearSVC, also the default estimator) and
one with predict_proba only (GaussianNB). The private calibrators are also covered on their
own, like any model node with a schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from recipes import _X, Fitted, Recipe, _quiet_fit, _rng, _y_class

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 4)
_Y3 = _y_class(60, 3)
_Y2 = _y_class(60, 2)
_LABELS = np.array(["ham", "spam", "eggs"])[_Y3]


def _recipe(rid: str, make: Callable[[], Any], X: Any, y: Any) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X, y)
        return Fitted(rid, est, X, y)

    return Recipe(rid, fit)


def _calibrated(cls: type) -> list[Recipe]:
    import pandas as pd
    from sklearn.ensemble import VotingClassifier
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    def frozen_svc() -> Any:
        inner = LinearSVC(random_state=0)
        _quiet_fit(inner, _X60[:30], _LABELS[:30])
        return cls(FrozenEstimator(inner))

    frame = pd.DataFrame(_X60, columns=[f"feature_{i}" for i in range(4)])
    return [
        _recipe("sigmoid-multiclass", lambda: cls(LogisticRegression(), cv=3), _X60, _Y3),
        _recipe(
            "isotonic-binary-no-ensemble",
            lambda: cls(LogisticRegression(), method="isotonic", cv=3, ensemble=False),
            _X60,
            _Y2,
        ),
        _recipe(
            "temperature-str-labels",
            lambda: cls(LogisticRegression(), method="temperature", cv=3),
            _X60,
            _LABELS,
        ),
        _recipe(
            "temperature-binary-predict-proba",
            lambda: cls(GaussianNB(), method="temperature", cv=2),
            _X60,
            _Y2,
        ),
        # estimator=None calibrates a LinearSVC: decision_function only
        _recipe("default-linear-svc-binary", lambda: cls(cv=2), _X60, _Y2),
        _recipe(
            "isotonic-multiclass-predict-proba",
            lambda: cls(GaussianNB(), method="isotonic", cv=2),
            _X60,
            _LABELS,
        ),
        _recipe("frozen-prefit-str-labels", frozen_svc, _X60[30:], _LABELS[30:]),
        _recipe(
            "voting-classifier",
            lambda: cls(
                VotingClassifier(
                    [("lr", LogisticRegression()), ("nb", GaussianNB())], voting="soft"
                ),
                cv=2,
            ),
            _X60,
            _Y2,
        ),
        _recipe(
            "pipeline",
            lambda: cls(make_pipeline(StandardScaler(), LinearSVC(random_state=0)), cv=2),
            _X60,
            _Y3,
        ),
        _recipe(
            "dataframe-no-ensemble",
            lambda: cls(LogisticRegression(), cv=3, ensemble=False),
            frame,
            _Y3,
        ),
    ]


def _sigmoid(cls: type) -> list[Recipe]:
    scores = _rng(4).randn(40)
    y = (scores + 0.5 * _rng(5).randn(40) > 0).astype(int)
    return [
        _recipe("decision-values", cls, scores, y),
        _recipe("probabilities", cls, 1 / (1 + np.exp(-scores)), y.astype(np.float64)),
    ]


def _temperature(cls: type) -> list[Recipe]:
    logits = _rng(6).randn(40, 3)
    return [
        _recipe("multiclass-logits", cls, logits, (logits + _rng(7).randn(40, 3)).argmax(axis=1)),
        _recipe("binary-decision", cls, logits[:, :1], (logits[:, 0] > 0).astype(int)),
    ]


RECIPES["CalibratedClassifierCV"] = _calibrated
RECIPES["_SigmoidCalibration"] = _sigmoid
RECIPES["_TemperatureScaling"] = _temperature
