"""libsvm's fitted arrays: crafted files are refused before libsvm ever sees them.

SVC, NuSVC, SVR, NuSVR and OneClassSVM predict by handing their arrays to libsvm's C code,
which sizes everything from len(_n_support) and walks the support vectors class by class
with the counts in _n_support, without bounds checks: a file with a lying count reads out of
bounds (CVE-2020-28975). scikit-learn's own guard only covers the dense layout. Each crafted
file below is loaded in a separate process with a timeout: the process must survive and print
the expected milo_codec error, JSON path and all. A last test mutates real files many ways and
checks that whatever does load predicts without crashing the process.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from crafted import Outcome, doc_cache, load_in_children, nd
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR, NuSVC, OneClassSVM

import milo_codec

RNG = np.random.RandomState(0)
X = RNG.randn(30, 4)
X_SPARSE = sp.csr_matrix(X * (np.abs(X) > 0.5))
Y3 = np.arange(30) % 3
Y2 = np.arange(30) % 2
S = "$.model.state"


def _fit(est: Any, X_fit: Any, y: Any = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # probability=True is deprecated in 1.9
        return est.fit(X_fit) if y is None else est.fit(X_fit, y)


FITS: dict[str, Callable[[], Any]] = {
    "dense-multiclass": lambda: _fit(SVC(probability=True, random_state=0), X, Y3),
    "dense-binary": lambda: _fit(SVC(random_state=0), X, Y2),
    "sparse-multiclass": lambda: _fit(SVC(probability=True, random_state=0), X_SPARSE, Y3),
    "sparse-binary": lambda: _fit(NuSVC(random_state=0), X_SPARSE, Y2),
    "precomputed": lambda: _fit(SVC(kernel="precomputed"), rbf_kernel(X), Y3),
    "svr-dense": lambda: _fit(SVR(), X, X[:, 0]),
    "svr-sparse": lambda: _fit(SVR(), X_SPARSE, X[:, 0]),
    "one-class": lambda: _fit(OneClassSVM(), X),
    "linear-svc": lambda: _fit(LinearSVC(random_state=0), X, Y3),
    "linear-svr": lambda: _fit(LinearSVR(random_state=0), X, X[:, 0]),
}
_doc = doc_cache(FITS)


def arr(state: dict, name: str) -> np.ndarray:
    node = state[name]
    if "alias" in node:
        node = state[node["alias"].rsplit(".", 1)[1]]
    a = node["ndarray"]
    return np.array(a["data"], dtype=a["dtype"]).reshape(a["shape"])


def csr(m: Any) -> dict:
    m = sp.csr_matrix(m)
    return {
        "sparse": {
            "format": "csr",
            "container": "matrix",
            "shape": list(m.shape),
            "data": nd(m.data.astype(np.float64)),
            "indices": nd(m.indices.astype(np.int32)),
            "indptr": nd(m.indptr.astype(np.int32)),
        }
    }


def n_sv(state: dict) -> int:
    return int(state["support_"]["ndarray"]["shape"][0])


# ---------------------------------------------------------------------------
# Crafted violations: (base fit, mutation of the state, error class, expected problem lines).
# Each mutation returns the problem lines it must cause, computed from the real file.


def support_index_out_of_range(s: dict) -> list[str]:
    n = s["shape_fit_"]["tuple"][0]
    support = arr(s, "support_")
    support[-1] = n
    s["support_"] = nd(support)
    return [
        f"{S}.support_: indices must lie in [0, {n}) (shape_fit_[0], the training samples); "
        f"found {support.min()}..{n}"
    ]


def support_index_negative(s: dict) -> list[str]:
    n = s["shape_fit_"]["tuple"][0]
    support = arr(s, "support_")
    support[0] = -5
    s["support_"] = nd(support)
    return [
        f"{S}.support_: indices must lie in [0, {n}) (shape_fit_[0], the training samples); "
        f"found -5..{support.max()}"
    ]


def n_support_sums_wrong(s: dict) -> list[str]:
    counts = arr(s, "_n_support")
    counts[0] += 1
    s["_n_support"] = nd(counts)
    return [
        f"{S}._n_support: counts sum to {n_sv(s) + 1} but there are {n_sv(s)} support vectors "
        "(support_)"
    ]


def n_support_negative(s: dict) -> list[str]:
    counts = arr(s, "_n_support")
    counts[0], counts[1] = -1, counts[1] + counts[0] + 1  # the sum stays right
    s["_n_support"] = nd(counts)
    return [f"{S}._n_support: counts must not be negative"]


def n_support_one_entry_short(s: dict) -> list[str]:
    counts = arr(s, "_n_support")
    s["_n_support"] = nd(np.r_[counts[0] + counts[1], counts[2:]].astype(np.int32))
    n = len(counts)
    return [
        f"{S}._n_support: shape[0] is {n - 1} but n_classes is {n} (from {S}.class_weight_.shape[0])",
        f"{S}._n_support: has {n - 1} entries but there are {n} classes",
    ]


def single_support_vector_cve(s: dict) -> list[str]:
    """CVE-2020-28975: one support vector, but _n_support claims many more per class."""
    sparse = s["_sparse"]
    sv = arr(s, "support_vectors_") if not sparse else None
    s["support_"] = nd(np.array([0], np.int32))
    if sparse:
        s["support_vectors_"] = csr(_sparse_value(s["support_vectors_"])[:1])
        s["dual_coef_"] = s["_dual_coef_"] = csr(np.array([[1.0]]))
    else:
        s["support_vectors_"] = nd(sv[:1])
        s["dual_coef_"] = nd(np.array([[-1.0]]))
        s["_dual_coef_"] = nd(np.array([[1.0]]))
    s["_n_support"] = nd(np.array([1, 1000000], np.int32))
    return [f"{S}._n_support: counts sum to 1000001 but there are 1 support vectors (support_)"]


def regression_n_support_lies(s: dict) -> list[str]:
    s["_n_support"] = nd(np.array([n_sv(s) + 7, n_sv(s) + 7], np.int32))
    return [
        f"{S}._n_support: must be [{n_sv(s)}, {n_sv(s)}] (the support vector count, twice) "
        "for this model"
    ]


def regression_n_support_three_entries(s: dict) -> list[str]:
    s["_n_support"] = nd(np.array([n_sv(s), 0, 0], np.int32))
    return [
        f"{S}._n_support: shape[0] is 3 but must be 2",
        f"{S}._n_support: must have 2 entries for this model, not 3",
    ]


def dual_coef_missing_a_row(s: dict) -> list[str]:
    coef = arr(s, "dual_coef_")[:1]
    s["dual_coef_"] = s["_dual_coef_"] = nd(coef)
    shape = (1, n_sv(s))
    return [
        f"{S}.dual_coef_: shape is {shape} but 3 classes with {n_sv(s)} support vectors need "
        f"{(2, n_sv(s))}",
        f"{S}._dual_coef_: shape is {shape} but 3 classes with {n_sv(s)} support vectors need "
        f"{(2, n_sv(s))}",
    ]


def dual_coef_extra_row_regression(s: dict) -> list[str]:
    coef = np.vstack([arr(s, "_dual_coef_")] * 2)
    s["_dual_coef_"] = nd(coef)
    return [
        f"{S}._dual_coef_: shape is {coef.shape} but this model with {n_sv(s)} support vectors "
        f"need {(1, n_sv(s))}"
    ]


def dual_coef_missing_a_column(s: dict) -> list[str]:
    coef = arr(s, "dual_coef_")[:, :-1]
    s["dual_coef_"] = s["_dual_coef_"] = nd(coef)
    n = n_sv(s)
    return [f"{S}.dual_coef_: shape[1] is {n - 1} but n_SV is {n} (from {S}.support_.shape[0])"]


def sparse_dual_coef_too_short(s: dict) -> list[str]:
    m = _sparse_value(s["_dual_coef_"]).toarray()
    s["_dual_coef_"] = csr(m[:, :-1])
    n = n_sv(s)
    return [f"{S}._dual_coef_: shape[1] is {n - 1} but n_SV is {n} (from {S}.support_.shape[0])"]


def sparse_dual_coef_implicit_zeros(s: dict) -> list[str]:
    m = _sparse_value(s["_dual_coef_"]).toarray()
    m[0, 0] = 0.0
    s["_dual_coef_"] = csr(m)  # csr() drops the explicit zero: libsvm would read data short
    return [f"{S}._dual_coef_: must store every coefficient (no implicit zeros)"]


def intercept_wrong_length(s: dict) -> list[str]:
    s["_intercept_"] = nd(arr(s, "_intercept_")[:2])
    return [
        f"{S}._intercept_: shape[0] is 2 but n_pairs is 3 (from {S}.intercept_.shape[0])",
        f"{S}._intercept_: must hold 3 float64 values (one per pair of classes)",
    ]


def prob_a_wrong_length(s: dict) -> list[str]:
    s["_probA"] = nd(arr(s, "_probA")[:1])
    return [
        f"{S}._probB: shape[0] is 3 but n_prob is 1 (from {S}._probA.shape[0])",
        f"{S}._probA: must hold 3 float64 values (_effective_probability is set)",
    ]


def probability_on_without_platt(s: dict) -> list[str]:
    # csr_set_model copies n_pairs Platt coefficients whenever this flag is set.
    s["_effective_probability"] = True
    return [
        f"{S}._probA: must hold 1 float64 values (_effective_probability is set)",
        f"{S}._probB: must hold 1 float64 values (_effective_probability is set)",
        f"{S}._effective_probability: is True but the probability parameter is 'deprecated'",
    ]


def support_vectors_wrong_columns(s: dict) -> list[str]:
    sv = arr(s, "support_vectors_")[:, :-1]
    s["support_vectors_"] = nd(sv)
    return [
        f"{S}.support_vectors_: shape is {sv.shape} but support_ and n_features_in_ need "
        f"{(n_sv(s), 4)}"
    ]


def sparse_support_vectors_wrong_columns(s: dict) -> list[str]:
    m = _sparse_value(s["support_vectors_"])
    s["support_vectors_"] = csr(sp.csr_matrix(m.toarray()[:, :3]))
    return [
        f"{S}.support_vectors_: shape is {(n_sv(s), 3)} but support_ and n_features_in_ need "
        f"{(n_sv(s), 4)}"
    ]


def sparse_support_vectors_unsorted(s: dict) -> list[str]:
    sv = s["support_vectors_"]["sparse"]
    indptr = sv["indptr"]["ndarray"]["data"]
    row = next(i for i in range(len(indptr) - 1) if indptr[i + 1] - indptr[i] >= 2)
    idx = sv["indices"]["ndarray"]["data"]
    a, b = indptr[row], indptr[row] + 1
    idx[a], idx[b] = idx[b], idx[a]
    return [f"{S}.support_vectors_: column indices must increase within each row"]


def sparse_flag_with_dense_vectors(s: dict) -> list[str]:
    s["_sparse"] = True
    return [f"{S}._sparse: is True but support_vectors_ is a dense array"]


def dense_flag_with_sparse_vectors(s: dict) -> list[str]:
    s["_sparse"] = False
    return [f"{S}._sparse: is False but support_vectors_ is a sparse matrix"]


def fortran_ordered_dual_coef(s: dict) -> list[str]:
    s["dual_coef_"]["ndarray"]["order"] = "F"  # libsvm's memoryviews need C order
    return [  # _dual_coef_ is an alias of the same array
        f"{S}.dual_coef_: must be a C-contiguous 2-d float64 array",
        f"{S}._dual_coef_: must be a C-contiguous 2-d float64 array",
    ]


def float32_support_vectors(s: dict) -> list[str]:
    s["support_vectors_"]["ndarray"]["dtype"] = "float32"
    return [f"{S}.support_vectors_.ndarray: array is float32 (2-D); expected one of: float64 (2-D)"]


def precomputed_keeps_vectors(s: dict) -> list[str]:
    s["support_vectors_"] = nd(np.zeros((n_sv(s), 30)))
    return [
        f'{S}.support_vectors_: shape is {(n_sv(s), 30)} but kernel="precomputed" keeps no '
        "support vectors (0, 0)"
    ]


def gamma_disagrees(s: dict) -> list[str]:
    s["_gamma"] = 0.0
    return [f'{S}._gamma: must be > 0 when gamma is "scale"']


def gamma_nan(s: dict) -> list[str]:
    s["_gamma"] = {"float64": "NaN"}
    return [f"{S}._gamma.float64: must be >= 0.0"]  # NaN is not


def fit_status_unknown(s: dict) -> list[str]:
    s["fit_status_"] = 7
    return [f"{S}.fit_status_: expected 0 or 1"]


def fitted_state_partial(s: dict) -> list[str]:
    del s["support_"]
    return [f"{S}.support_: is missing: a fitted model that has n_features_in_ has it too"]


def duplicate_classes(s: dict) -> list[str]:
    s["classes_"] = nd(np.array([0, 1, 1]))
    return [f"{S}.classes_: class labels must be unique"]


def callable_kernel(doc: dict) -> list[str]:
    doc["model"]["params"]["kernel"] = {"function": "numpy.tanh"}
    return [
        "$.model.params.kernel: expected one of 'linear', 'poly', 'precomputed', 'rbf', 'sigmoid'"
    ]


def degree_overflows_int(doc: dict) -> list[str]:
    doc["model"]["params"]["degree"] = 2**31
    return ["$.model.params.degree: Input should be less than or equal to 2147483647"]


def coef0_infinite(doc: dict) -> list[str]:
    doc["model"]["params"]["coef0"] = {"float": "Infinity"}
    return ['$.model.params.coef0: expected an integer, a float or {"float64": ...}']


def linear_coef_missing_a_row(s: dict) -> list[str]:
    s["coef_"] = nd(arr(s, "coef_")[:2])
    return [
        f"{S}.intercept_: shape[0] is 3 but n_coef_rows is 2 (from {S}.coef_.shape[0])",
        f"{S}.coef_: has 2 rows but 3 classes need 3",
    ]


def linear_coef_wrong_width(s: dict) -> list[str]:
    s["coef_"] = nd(arr(s, "coef_")[:3])
    return [f"{S}.coef_: shape[0] is 3 but n_features_in_ is 4 (from {S}.n_features_in_)"]


def linear_intercept_two_values(s: dict) -> list[str]:
    s["intercept_"] = nd(np.r_[arr(s, "intercept_"), 0.0])
    return [f"{S}.intercept_: shape[0] is 2 but must be 1"]


def _sparse_value(node: dict) -> sp.csr_matrix:
    s = node["sparse"]

    def a(k: str) -> np.ndarray:
        return np.array(s[k]["ndarray"]["data"], dtype=s[k]["ndarray"]["dtype"])

    return sp.csr_matrix((a("data"), a("indices"), a("indptr")), shape=tuple(s["shape"]))


INVARIANT = "InvariantError"
SCHEMA = "SchemaError"
STATE_CASES = [
    ("dense-multiclass", support_index_out_of_range, INVARIANT),
    ("precomputed", support_index_out_of_range, INVARIANT),
    ("precomputed", support_index_negative, INVARIANT),
    ("dense-multiclass", n_support_sums_wrong, INVARIANT),
    ("sparse-multiclass", n_support_sums_wrong, INVARIANT),
    ("precomputed", n_support_sums_wrong, INVARIANT),
    ("dense-multiclass", n_support_negative, INVARIANT),
    ("sparse-multiclass", n_support_negative, INVARIANT),
    ("dense-multiclass", n_support_one_entry_short, INVARIANT),
    ("dense-binary", single_support_vector_cve, INVARIANT),
    ("sparse-binary", single_support_vector_cve, INVARIANT),
    ("svr-dense", regression_n_support_lies, INVARIANT),
    ("one-class", regression_n_support_three_entries, INVARIANT),
    ("dense-multiclass", dual_coef_missing_a_row, INVARIANT),
    ("svr-dense", dual_coef_extra_row_regression, INVARIANT),
    ("dense-multiclass", dual_coef_missing_a_column, INVARIANT),
    ("sparse-multiclass", sparse_dual_coef_too_short, INVARIANT),
    ("svr-sparse", sparse_dual_coef_implicit_zeros, INVARIANT),
    ("dense-multiclass", intercept_wrong_length, INVARIANT),
    ("dense-multiclass", prob_a_wrong_length, INVARIANT),
    ("sparse-binary", probability_on_without_platt, INVARIANT),
    ("dense-multiclass", support_vectors_wrong_columns, INVARIANT),
    ("sparse-multiclass", sparse_support_vectors_wrong_columns, INVARIANT),
    ("sparse-multiclass", sparse_support_vectors_unsorted, INVARIANT),
    ("dense-multiclass", sparse_flag_with_dense_vectors, INVARIANT),
    ("sparse-multiclass", dense_flag_with_sparse_vectors, INVARIANT),
    ("dense-multiclass", fortran_ordered_dual_coef, INVARIANT),
    ("svr-dense", float32_support_vectors, SCHEMA),
    ("precomputed", precomputed_keeps_vectors, INVARIANT),
    ("dense-binary", gamma_disagrees, INVARIANT),
    ("dense-binary", gamma_nan, SCHEMA),
    ("one-class", fit_status_unknown, SCHEMA),
    ("dense-binary", fitted_state_partial, SCHEMA),
    ("dense-multiclass", duplicate_classes, INVARIANT),
    ("linear-svc", linear_coef_missing_a_row, INVARIANT),
    ("linear-svr", linear_coef_wrong_width, INVARIANT),
    ("linear-svr", linear_intercept_two_values, INVARIANT),
]
PARAM_CASES = [
    ("dense-binary", callable_kernel, SCHEMA),
    ("svr-dense", degree_overflows_int, SCHEMA),
    ("one-class", coef0_infinite, SCHEMA),
]


def _case_id(base: str, mutate: Callable) -> str:
    return f"{base}-{mutate.__name__.replace('_', '-')}"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Outcome, list[str]]]:
    """Every crafted document loaded in child processes, once: case id → (outcome, lines)."""
    docs: dict[str, Any] = {}
    expected: dict[str, list[str]] = {}
    for base, mutate, _ in STATE_CASES + PARAM_CASES:
        doc = _doc(base)
        case = _case_id(base, mutate)
        expected[case] = mutate(doc["model"]["state"] if (base, mutate, _) in STATE_CASES else doc)
        docs[case] = doc
    out = load_in_children(docs, tmp_path_factory.mktemp("crafted-svm"))
    return {case: (out[case], expected[case]) for case in docs}


@pytest.mark.parametrize(
    ("base", "mutate", "error"),
    STATE_CASES,
    ids=[_case_id(b, m) for b, m, _ in STATE_CASES],
)
def test_a_crafted_state_is_refused_in_a_surviving_process(
    base: str, mutate: Callable[[dict], list[str]], error: str, outcomes: dict
) -> None:
    _assert_refused(*outcomes[_case_id(base, mutate)], error)


@pytest.mark.parametrize(
    ("base", "mutate", "error"),
    PARAM_CASES,
    ids=[_case_id(b, m) for b, m, _ in PARAM_CASES],
)
def test_a_crafted_parameter_is_refused_in_a_surviving_process(
    base: str, mutate: Callable[[dict], list[str]], error: str, outcomes: dict
) -> None:
    _assert_refused(*outcomes[_case_id(base, mutate)], error)


def _assert_refused(out: Outcome, expected: list[str], error: str) -> None:
    assert out.lines[0] == error, out
    for line in expected:
        assert f"  {line}" in out.lines, out


# ---------------------------------------------------------------------------
# Dump refuses what a file cannot hold faithfully.


def test_a_callable_kernel_is_refused_at_dump() -> None:
    model = _fit(SVC(kernel=rbf_kernel), X, Y2)
    with pytest.raises(milo_codec.UnsupportedModelError, match="_BaseLibSVM__Xfit"):
        milo_codec.dumps(model)


@pytest.mark.parametrize("cls", [SVC, NuSVC, SVR, OneClassSVM, LinearSVC])
def test_an_unfitted_estimator_round_trips(cls: type) -> None:
    model = cls()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert vars(loaded) == vars(model)


# ---------------------------------------------------------------------------
# Whatever loads must not crash libsvm: mutate real files many ways, in one process per base
# model; every file that loads is asked for every inference method.

# Run on every file that loads: a Python error is fine; only a dead process is not.
_PREDICT_ALL = """
import scipy.sparse as sp
Xq = np.array(%r)
for q in (Xq, sp.csr_matrix(Xq)):
    for method in ("predict", "decision_function", "predict_proba", "score_samples"):
        try:
            getattr(model, method)(q)
        except Exception:
            pass
"""


def _mutations(state: dict) -> list[dict]:
    """Integer arrays and dimensions (dense and sparse) nudged, one field at a time."""
    out = []
    for name, node in state.items():
        if isinstance(node, dict) and "sparse" in node:
            for axis in (0, 1):
                for delta in (-1, 1):
                    s = copy.deepcopy(state)
                    s[name]["sparse"]["shape"][axis] += delta
                    out.append(s)
        if not (isinstance(node, dict) and "ndarray" in node):
            continue
        a = arr(state, name)
        variants = []
        if a.dtype.kind == "i" and a.size:
            for delta in (-1, 1, 1000):
                b = a.copy()
                b.flat[0] += delta
                variants.append(b)
                b = a.copy()
                b.flat[-1] += delta
                variants.append(b)
        if a.ndim >= 1 and a.shape[0]:
            variants.append(a[:-1])
            variants.append(np.concatenate([a, a[:1]]))
        if a.ndim == 2 and a.shape[1]:
            variants.append(a[:, :-1])
        for v in variants:
            s = copy.deepcopy(state)
            s[name] = nd(v)
            out.append(s)
    return out


@pytest.mark.parametrize("base", list(FITS))
def test_whatever_loads_predicts_without_crashing(base: str, tmp_path: Path) -> None:
    doc = _doc(base)
    docs: list[dict] = []
    for state in _mutations(doc["model"]["state"]):
        d = copy.deepcopy(doc)
        d["model"]["state"] = state
        docs.append(d)
    query = rbf_kernel(X[:5], X) if base == "precomputed" else X[:5]
    out = load_in_children(
        {str(i): d for i, d in enumerate(docs)}, tmp_path, then=_PREDICT_ALL % query.tolist()
    )
    statuses = [o.status for o in out.values()]
    assert set(statuses) <= {"error", "loaded"}, [str(o) for o in out.values()][:3]
    assert "error" in statuses
