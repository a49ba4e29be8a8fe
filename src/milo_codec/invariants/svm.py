"""Invariants of the sklearn.svm family, listed in schemas by x-milo-invariants.

SVC, NuSVC, SVR, NuSVR and OneClassSVM predict by handing their fitted arrays to libsvm's C
code (sklearn/svm/_libsvm.pyx, _libsvm_sparse.pyx → set_model / csr_set_model → svm.cpp),
which trusts them completely: it takes the number of classes from len(_n_support), reads
n*(n-1)/2 intercepts and (when probabilities are on) Platt coefficients, walks the support
vectors class by class with the counts in _n_support, and with kernel="precomputed" uses
support_ as column indices into the query. A lie in any of them is an out-of-bounds read in
C (CVE-2020-28975), so every array libsvm reads is checked here against the one fact it is
sized by, before anything is constructed:

* support vectors: len(support_) = n_SV; support_ in [0, shape_fit_[0]); support_vectors_ is
  (n_SV, n_features_in_) float64 C-contiguous, or CSR float64 with int32 indices when _sparse,
  or (0, 0) with kernel="precomputed" (libsvm then reads only support_);
* _n_support: one non-negative entry per class summing to n_SV (classifiers), or [n_SV, n_SV]
  (regression and one-class: libsvm treats them as two classes);
* dual coefficients: (n_classes - 1, n_SV) for classifiers, (1, n_SV) otherwise, dense float64
  C-contiguous, or CSR whose data holds every coefficient when _sparse;
* intercepts n*(n-1)/2 (1 otherwise); Platt coefficients empty or of that length, and present
  exactly when _effective_probability (csr_set_model copies them whenever it is set);
* kernel parameters: _gamma finite (the schema) and consistent with the gamma parameter.

LinearSVC and LinearSVR predict with numpy from coef_/intercept_ and use the shared checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.values.arrays import is_sparse


class _Report:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def __call__(self, field: str, message: str) -> None:
        self.problems.append(Problem(f"{self.path}.state.{field}", message))


def _dense_f64(a: Any, rank: int) -> bool:
    """What libsvm's typed memoryviews (const float64_t[:, ::1] / [::1]) accept."""
    return (
        type(a) is np.ndarray
        and a.dtype == np.float64
        and a.ndim == rank
        and bool(a.flags.c_contiguous)
    )


def _csr_ok(m: Any, report: _Report, field: str, int32_indices: bool) -> bool:
    """libsvm_sparse takes float64 data (and int32 indices and indptr, when it reads them)."""
    if m.format != "csr":
        report(field, f"must be a CSR matrix (libsvm reads it row by row), not {m.format}")
        return False
    if m.data.dtype != np.float64:
        report(field, f"data must be float64, not {m.data.dtype}")
        return False
    if int32_indices and (m.indices.dtype != np.int32 or m.indptr.dtype != np.int32):
        report(field, "indices and indptr must be int32 (libsvm's index type)")
        return False
    return True


def _sorted_rows(m: Any) -> bool:
    """Column indices strictly increase within each row (libsvm's sparse dot merges them)."""
    if m.nnz < 2:
        return True
    rising = np.diff(m.indices) > 0
    row_starts = m.indptr[1:-1]
    row_starts = row_starts[(row_starts > 0) & (row_starts < m.nnz)]
    rising[row_starts - 1] = True  # a new row may start lower
    return bool(rising.all())


def libsvm(params: dict[str, Any], state: dict[str, Any], path: str) -> list[Problem]:
    """SVC, NuSVC, SVR, NuSVR, OneClassSVM: every array libsvm reads at predict time agrees
    with n_classes and n_SV (regression and one-class models in libsvm's two-class layout)."""
    # The schema lists the fitted attributes as optional, so that an unfitted estimator (whose
    # state holds only its constructor's constants) can be written, and its dependentRequired
    # ties them all to n_features_in_: a state that has it has every one.
    if "n_features_in_" not in state:
        return []
    report = _Report(path)
    classifier = "classes_" in state
    kernel = params.get("kernel")
    precomputed = kernel == "precomputed"
    sparse = state["_sparse"]
    n_features = state["n_features_in_"]
    support = state["support_"]
    sv = state["support_vectors_"]
    n_support = state["_n_support"]
    if not (
        type(n_features) is int
        and isinstance(support, np.ndarray)
        and isinstance(n_support, np.ndarray)
    ):
        return []  # the schema reports missing or mistyped fields
    n_sv = support.shape[0]

    # -- which layout: dense, sparse (CSR support vectors) or precomputed -------------------
    if sparse and precomputed:
        report("_sparse", 'kernel="precomputed" cannot be fitted on sparse input')
    if bool(sparse) != is_sparse(sv):
        kind = "a sparse matrix" if is_sparse(sv) else "a dense array"
        report("_sparse", f"is {bool(sparse)} but support_vectors_ is {kind}")
        return report.problems  # every later check depends on the layout

    # -- shape_fit_ and support_ -------------------------------------------------------------
    shape_fit = state["shape_fit_"]
    n_samples = shape_fit[0] if isinstance(shape_fit, tuple) and len(shape_fit) == 2 else None
    if n_samples is not None:
        if shape_fit[1] != n_features:
            report("shape_fit_", f"has {shape_fit[1]} columns but n_features_in_ is {n_features}")
        if precomputed and shape_fit[0] != shape_fit[1]:
            report("shape_fit_", 'must be square with kernel="precomputed"')
        if n_sv and (int(support.min()) < 0 or int(support.max()) >= n_samples):
            report(
                "support_",
                f"indices must lie in [0, {n_samples}) (shape_fit_[0], the training samples); "
                f"found {int(support.min())}..{int(support.max())}",
            )

    # -- support vectors ------------------------------------------------------------------
    if is_sparse(sv):
        if _csr_ok(sv, report, "support_vectors_", int32_indices=True):
            if sv.shape != (n_sv, n_features):
                report(
                    "support_vectors_",
                    f"shape is {sv.shape} but support_ and n_features_in_ need {(n_sv, n_features)}",
                )
            elif not _sorted_rows(sv):
                report("support_vectors_", "column indices must increase within each row")
    elif not _dense_f64(sv, 2):
        report("support_vectors_", "must be a C-contiguous 2-d float64 array")
    else:
        expected = (0, 0) if precomputed else (n_sv, n_features)
        if sv.shape != expected:
            why = (
                'kernel="precomputed" keeps no support vectors'
                if precomputed
                else "support_ and n_features_in_ need"
            )
            report("support_vectors_", f"shape is {sv.shape} but {why} {expected}")

    # -- _n_support: libsvm takes the number of classes from its length -----------------------
    counts = n_support.astype(np.int64)
    if classifier:
        classes = state["classes_"]
        n_classes = classes.shape[0] if isinstance(classes, np.ndarray) else counts.shape[0]
        if n_classes < 2:
            report("classes_", "a classifier needs at least 2 classes")
            return report.problems
        if counts.shape[0] != n_classes:
            report("_n_support", f"has {counts.shape[0]} entries but there are {n_classes} classes")
        elif (counts < 0).any():
            report("_n_support", "counts must not be negative")
        elif int(counts.sum()) != n_sv:
            report(
                "_n_support",
                f"counts sum to {int(counts.sum())} but there are {n_sv} support vectors (support_)",
            )
        rows = n_classes - 1
    else:
        # libsvm stores a regression or one-class model as two classes and never reads the
        # counts. The dense fit writes [n_SV, n_SV]; the sparse fit leaves the np.empty(2)
        # it allocated unwritten (libsvm_sparse_train's copy_nSV returns early when the model
        # has no labels), so only the length is fixed there.
        n_classes = 2
        if counts.shape[0] != 2:
            report("_n_support", f"must have 2 entries for this model, not {counts.shape[0]}")
        elif not sparse and counts.tolist() != [n_sv, n_sv]:
            report(
                "_n_support",
                f"must be [{n_sv}, {n_sv}] (the support vector count, twice) for this model",
            )
        rows = 1
    n_pairs = n_classes * (n_classes - 1) // 2

    # -- dual coefficients ------------------------------------------------------------------
    for field in ("dual_coef_", "_dual_coef_"):
        coef = state[field]
        if is_sparse(coef) != bool(sparse):
            layout = "sparse" if sparse else "dense"
            report(field, f"must be {layout} like support_vectors_ (_sparse is {bool(sparse)})")
            continue
        if is_sparse(coef):
            if not _csr_ok(coef, report, field, int32_indices=False):
                continue
            # libsvm reads coef.data as a dense (rows, n_SV) block; with no support vector
            # scikit-learn stores a (1, 0) matrix whatever the number of classes.
            expected = (rows, n_sv) if n_sv else (1, 0)
            if coef.shape != expected:
                report(field, f"shape is {coef.shape} but {expected} is needed")
            elif coef.nnz != rows * n_sv or not np.array_equal(
                coef.indices, np.tile(np.arange(n_sv, dtype=np.int32), rows)
            ):
                report(field, "must store every coefficient (no implicit zeros)")
        elif not _dense_f64(coef, 2):
            report(field, "must be a C-contiguous 2-d float64 array")
        elif coef.shape != (rows, n_sv):
            what = f"{n_classes} classes" if classifier else "this model"
            report(
                field,
                f"shape is {coef.shape} but {what} with {n_sv} support vectors need {(rows, n_sv)}",
            )

    # -- intercepts and Platt coefficients ---------------------------------------------------
    for field in ("intercept_", "_intercept_"):
        b = state[field]
        if not _dense_f64(b, 1) or b.shape[0] != n_pairs:
            report(field, f"must hold {n_pairs} float64 values (one per pair of classes)")
    probability = state["_effective_probability"]
    n_prob = n_pairs if probability else 0
    for field in ("_probA", "_probB"):
        p = state[field]
        if not _dense_f64(p, 1) or p.shape[0] != n_prob:
            why = "_effective_probability is set" if probability else "probabilities are off"
            report(field, f"must hold {n_prob} float64 values ({why})")
    if classifier:
        asked = params.get("probability")
        if bool(probability) != (asked is True or asked is np.True_):
            report(
                "_effective_probability",
                f"is {bool(probability)} but the probability parameter is {asked!r}",
            )
    else:
        if probability or state.get("probability"):
            report("_effective_probability", "this model has no probability estimates")

    # -- kernel parameters -------------------------------------------------------------------
    gamma, asked_gamma = state["_gamma"], params.get("gamma")
    if gamma is not None and np.isfinite(gamma):
        if precomputed:
            if gamma != 0:
                report("_gamma", 'must be 0.0 with kernel="precomputed"')
        elif isinstance(asked_gamma, str):
            if not gamma > 0:
                report("_gamma", f'must be > 0 when gamma is "{asked_gamma}"')
        elif asked_gamma is not None and gamma != asked_gamma:
            report("_gamma", f"is {gamma!r} but the gamma parameter is {asked_gamma!r}")
    elif gamma is not None:
        report("_gamma", "must be finite")
    return report.problems


CHECKS: dict[str, Check] = {"svm_libsvm": libsvm}
