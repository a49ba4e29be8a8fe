"""Invariants of sklearn.calibration, listed in schemas by x-milo-invariants.

``CalibratedClassifierCV.predict_proba`` averages its calibrated classifiers. Each one asks its
classifier for decision values (or probabilities), finds each of the classifier's classes
among all ``classes`` (a label the classifier knows but the model does not fails there), and
zips the value columns with its calibrators: a calibrator too few silently leaves a class at
probability zero, so the count is checked (one for two classes or with method "temperature",
else one per class of the classifier), and so is the calibrator each method fits. With
method "temperature" the classifier may know encoded labels (string labels are encoded before
fitting) and its columns go through one softmax, so only its number of classes is compared. The
calibrated classifiers are object kinds (objects/calibration.py) whose payloads the document
walk does not resolve, so aliases inside them are resolved here.
"""

from __future__ import annotations

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int, resolve_alias
from milo_codec.invariants.fitted import fitted_state
from milo_codec.objects.base import AliasRef, Pending
from milo_codec.objects.calibration import CALIBRATOR_SCHEMAS
from milo_codec.paths import child

_FROZEN = "sklearn.frozen.FrozenEstimator"
_DEFAULT = "sklearn.svm.LinearSVC"


def _class(node: NodeModel) -> str:
    return node.codec().class_path


def _same_labels(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tolist() == b.tolist()


def calibrated_classifiers(params: dict, state: dict, path: str) -> list[Problem]:
    members = state.get("calibrated_classifiers_")
    classes = state.get("classes_")
    if not isinstance(members, list) or not isinstance(classes, np.ndarray):
        return []
    out: list[Problem] = []
    where = f"{path}.state.calibrated_classifiers_"
    base = params.get("estimator")
    want = _class(base) if isinstance(base, NodeModel) else _DEFAULT
    frozen = want == _FROZEN

    # how many: one per fold when the folds each fit a clone, else one
    ensemble = params.get("ensemble")
    per_fold = (not frozen) if ensemble == "auto" else bool(ensemble)
    cv = params.get("cv")
    n_folds = 5 if cv is None else as_int(cv)
    expected = n_folds if per_fold else 1
    if expected is not None and len(members) != expected:
        how = f"{n_folds} folds with ensemble" if per_fold else "ensemble off"
        out.append(
            Problem(where, f"holds {len(members)} calibrated classifiers; {how} makes {expected}")
        )

    known = set(classes.tolist())
    n_in = as_int(state.get("n_features_in_"))
    for i, member in enumerate(members):
        if type(member) is not Pending or member.kind.tag != "calibrated_classifier":
            continue
        at = f"{child(where, i)}.calibrated_classifier"
        p = member.payload
        if p["method"] != params.get("method"):
            out.append(
                Problem(
                    f"{at}.method", f"is {p['method']!r} but method is {params.get('method')!r}"
                )
            )
            continue
        labels = p["classes"]
        if type(labels) is AliasRef:
            labels = resolve_alias(labels.path)
        if not isinstance(labels, np.ndarray) or not _same_labels(labels, classes):
            out.append(Problem(f"{at}.classes", "must be the model's classes_"))
        est = p["estimator"]
        if type(est) is AliasRef:
            est = resolve_alias(est.path)
        if not isinstance(est, NodeModel) or _class(est) != want:
            out.append(Problem(f"{at}.estimator", f"must be a fitted {want}"))
            continue
        if frozen and est is not base:
            out.append(
                Problem(f"{at}.estimator", "must be the FrozenEstimator itself (an alias of it)")
            )
            continue
        own = fitted_state(est)
        if own is None:
            out.append(Problem(f"{at}.estimator", "must be fitted"))
            continue
        own_in = as_int(own.get("n_features_in_"))
        if n_in is not None and own_in is not None and own_in != n_in:
            out.append(
                Problem(
                    f"{at}.estimator",
                    f"was fitted on {own_in} features but n_features_in_ is {n_in}",
                )
            )
        own_classes = own.get("classes_")
        if not isinstance(own_classes, np.ndarray) or own_classes.ndim != 1:
            out.append(Problem(f"{at}.estimator", "must be a fitted classifier with classes_"))
            continue
        unknown = [c for c in own_classes.tolist() if c not in known]
        if p["method"] == "temperature":
            # the softmax of the classifier's columns is the probability of each class (the
            # classifier may have been fitted on encoded labels: only the count matters)
            if own_classes.shape[0] != classes.shape[0]:
                out.append(
                    Problem(
                        f"{at}.estimator",
                        f"has {own_classes.shape[0]} classes but the model has {classes.shape[0]}",
                    )
                )
                continue
        elif unknown:
            out.append(
                Problem(f"{at}.estimator", f"knows label {unknown[0]!r}, which is not in classes_")
            )
            continue
        calibrators = p["calibrators"]
        n_own = own_classes.shape[0]
        n_cal = 1 if p["method"] == "temperature" or n_own == 2 else n_own
        if len(calibrators) != n_cal:
            out.append(
                Problem(
                    f"{at}.calibrators",
                    f"holds {len(calibrators)} calibrators but a classifier with {n_own} "
                    f"classes calibrated by {p['method']!r} needs {n_cal}",
                )
            )
        schema = CALIBRATOR_SCHEMAS[p["method"]]
        for j, cal in enumerate(calibrators):
            if not isinstance(cal, NodeModel):
                continue
            if cal.codec().schema_id != schema:
                out.append(
                    Problem(
                        child(f"{at}.calibrators", j),
                        f"method {p['method']!r} calibrates with {schema.rsplit('/', 2)[-2]}",
                    )
                )
            elif cal.state is None:
                out.append(Problem(child(f"{at}.calibrators", j), "must be fitted"))
    return out


CHECKS: dict[str, Check] = {
    "calibration_calibrated_classifiers": calibrated_classifiers,
}
