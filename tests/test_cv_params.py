"""Every estimator with a ``cv`` parameter round-trips with a splitter object and with an
explicit list of (train, test) splits there, not only with a number of folds."""

from __future__ import annotations

import copy
import importlib
import warnings
from typing import Any

import numpy as np
import pytest
from equality import assert_identical
from recipes import recipes_for
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold

import milo_codec

CLASSES = [
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.covariance.GraphicalLassoCV",
    "sklearn.ensemble.StackingClassifier",
    "sklearn.ensemble.StackingRegressor",
    "sklearn.feature_selection.RFECV",
    "sklearn.feature_selection.SequentialFeatureSelector",
    "sklearn.linear_model.ElasticNetCV",
    "sklearn.linear_model.LarsCV",
    "sklearn.linear_model.LassoCV",
    "sklearn.linear_model.LassoLarsCV",
    "sklearn.linear_model.LogisticRegressionCV",
    "sklearn.linear_model.MultiTaskElasticNetCV",
    "sklearn.linear_model.MultiTaskLassoCV",
    "sklearn.linear_model.OrthogonalMatchingPursuitCV",
    "sklearn.linear_model.RidgeCV",
    "sklearn.linear_model.RidgeClassifierCV",
    "sklearn.multioutput.ClassifierChain",
    "sklearn.multioutput.RegressorChain",
]


def _cls(path: str) -> type:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _splits(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    idx = np.arange(n)
    return [(idx[idx % 3 != k], idx[idx % 3 == k]) for k in range(3)]


CVS = {
    "kfold-shuffled": lambda n, y: KFold(3, shuffle=True, random_state=0),
    "stratified": lambda n, y: StratifiedKFold(3),
    "shuffle-split-random-state": lambda n, y: ShuffleSplit(
        3, test_size=0.25, random_state=np.random.RandomState(1)
    ),
    "explicit-splits": lambda n, y: _splits(n),
}


def test_every_schema_with_cv_is_covered_here() -> None:
    """A class with a ``cv`` parameter added later must join this test."""
    from milo_codec.codecs.registry import codec_for

    with_cv = {
        path
        for path, schema_id in milo_codec.supported_models().items()
        if "cv" in codec_for(schema_id).param_names  # type: ignore[union-attr]
    }
    # searches and threshold tuning have their own splitter tests; TargetEncoder
    # takes only a number of folds
    own_tests = {
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.HalvingGridSearchCV",
        "sklearn.model_selection.HalvingRandomSearchCV",
        "sklearn.model_selection.TunedThresholdClassifierCV",
        "sklearn.preprocessing.TargetEncoder",
    }
    assert with_cv - own_tests == set(CLASSES)


@pytest.mark.parametrize("cv", list(CVS))
@pytest.mark.parametrize("class_path", CLASSES, ids=lambda p: p.rsplit(".", 1)[1])
def test_a_splitter_or_explicit_splits_round_trip(class_path: str, cv: str) -> None:
    cls = _cls(class_path)
    fitted = recipes_for(cls)[0].fit()
    est, X, y = fitted.estimator, fitted.X, fitted.y
    y_kind = np.asarray(y).dtype.kind if y is not None else ""
    if cv == "stratified" and not (y_kind in "iUO" and np.ndim(y) == 1):
        pytest.skip("stratified splits need one column of class labels")
    if cv == "shuffle-split-random-state" and ("Stacking" in class_path or "Chain" in class_path):
        pytest.skip("out-of-fold predictions: scikit-learn accepts only partitions")
    est.set_params(cv=CVS[cv](len(X), y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y) if y is not None else est.fit(X)
    text = milo_codec.dumps(est)
    loaded = milo_codec.loads(text)
    assert milo_codec.dumps(loaded) == text
    assert_identical(est.get_params(deep=False), loaded.get_params(deep=False), "get_params()")
    assert_identical(vars(est), vars(loaded), "__dict__")
    for method in ("predict", "transform", "score_samples"):
        if hasattr(est, method):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert_identical(
                    getattr(est, method)(copy.deepcopy(X)),
                    getattr(loaded, method)(copy.deepcopy(X)),
                    f"{method}()",
                    layout=False,
                )
    # the splitter itself yields the same folds
    if not isinstance(est.cv, list):
        groups: Any = None
        before = [(a.tolist(), b.tolist()) for a, b in est.cv.split(X, y, groups)]
        after = [(a.tolist(), b.tolist()) for a, b in loaded.cv.split(X, y, groups)]
        assert before == after
