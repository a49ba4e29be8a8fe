"""Decomposition and manifold models: crafted files are refused before anything is built.

Most of these models transform with numpy alone, so a crafted file is loaded in this process
and must raise one milo_codec error naming each disagreeing field. Files whose models reach
compiled code at query time with sizes taken from the file (LatentDirichletAllocation's
Cython E-step; Isomap and LocallyLinearEmbedding, whose neighbor search indexes their own
per-sample arrays) are loaded in one subprocess with a timeout, which must survive and print
the expected errors. Callables outside the closed lists are refused when writing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import doc_cache, nd
from sklearn.decomposition import (
    NMF,
    PCA,
    DictionaryLearning,
    FastICA,
    IncrementalPCA,
    KernelPCA,
    LatentDirichletAllocation,
    SparseCoder,
)
from sklearn.manifold import TSNE, Isomap, LocallyLinearEmbedding, SpectralEmbedding

import milo_codec
from milo_codec.errors import InvariantError, SchemaError, UnsupportedModelError

RNG = np.random.RandomState(0)
X = RNG.randn(30, 4)
COUNTS = RNG.poisson(1.5, size=(30, 6)).astype(np.float64)
S = "$.model.state"
P = "$.model.params"


def _fit(est: Any, data: Any = X) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(data)


FITS: dict[str, Callable[[], Any]] = {
    "pca": lambda: _fit(PCA(n_components=2)),
    "ipca": lambda: _fit(IncrementalPCA(n_components=2)),
    "kpca": lambda: _fit(KernelPCA(n_components=2, kernel="rbf")),
    "kpca-inverse": lambda: _fit(KernelPCA(n_components=2, fit_inverse_transform=True)),
    "ica": lambda: _fit(FastICA(n_components=2, random_state=0)),
    "ica-no-whiten": lambda: _fit(FastICA(whiten=False, random_state=0)),
    "nmf": lambda: _fit(NMF(n_components=2, random_state=0, max_iter=50), np.abs(X)),
    "coder": lambda: _fit(SparseCoder(dictionary=np.eye(4)[:3])),
    "lda": lambda: _fit(
        LatentDirichletAllocation(n_components=3, random_state=0, max_iter=3), COUNTS
    ),
    "isomap": lambda: _fit(Isomap(n_neighbors=5)),
    "lle": lambda: _fit(LocallyLinearEmbedding(n_neighbors=6, random_state=0)),
}
_doc = doc_cache(FITS)


def arr(node: dict) -> np.ndarray:
    a = node["ndarray"]
    return np.array(a["data"], dtype=a["dtype"]).reshape(a["shape"])


# ---------------------------------------------------------------------------
# Crafted files for numpy-only models, loaded in this process. Each mutation edits the model
# node and returns the problem lines it must cause.


def pca_more_components_than_features(m: dict) -> list[str]:
    s = m["state"]
    s["n_components_"] = 5
    for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_"):
        s[name] = nd(np.ones(5))
    s["components_"] = nd(np.ones((5, 4)))
    return [f"{S}.n_components_: is 5 but a PCA keeps at most 4 components (n_features_in_)"]


def pca_components_wrong_width(m: dict) -> list[str]:
    m["state"]["components_"] = nd(np.ones((2, 3)))
    return [f"{S}.components_: shape[1] is 3 but n_features_in_ is 4 (from {S}.n_features_in_)"]


def ipca_mean_wrong_length(m: dict) -> list[str]:
    m["state"]["mean_"] = nd(np.zeros(3))
    return [f"{S}.mean_: shape[0] is 3 but n_features_in_ is 4 (from {S}.n_features_in_)"]


def kpca_centerer_wrong_size(m: dict) -> list[str]:
    c = m["state"]["_centerer"]["state"]
    c["K_fit_rows_"] = nd(np.zeros(29))
    c["n_features_in_"] = 29
    return [
        f"{S}._centerer.state.K_fit_rows_: has shape [29] but the model was fitted on 30 "
        "samples (X_fit_)"
    ]


def kpca_centerer_other_class(m: dict) -> list[str]:
    m["state"]["_centerer"] = json.loads(milo_codec.dumps(_fit(PCA(n_components=2))))["model"]
    return [f"{S}._centerer: must be a sklearn.preprocessing.KernelCenterer"]


def kpca_eigenvectors_wrong_rows(m: dict) -> list[str]:
    m["state"]["eigenvectors_"] = nd(np.ones((29, 2)))
    return [f"{S}.X_fit_: shape[0] is 30 but n_fit_samples is 29 (from {S}.eigenvectors_.shape[0])"]


def kpca_inverse_arrays_missing(m: dict) -> list[str]:
    del m["state"]["dual_coef_"]
    return [
        f"{S}.dual_coef_: must be present exactly when fit_inverse_transform is true (it is True)"
    ]


def kpca_inverse_flag_off(m: dict) -> list[str]:
    m["params"]["fit_inverse_transform"] = False
    return [
        f"{S}.{name}: must be present exactly when fit_inverse_transform is true (it is False)"
        for name in ("dual_coef_", "X_transformed_fit_")
    ]


def ica_whitening_missing(m: dict) -> list[str]:
    del m["state"]["whitening_"]
    return [
        f"{S}.whitening_: must be present exactly when whiten is not false (it is 'unit-variance')"
    ]


def ica_whiten_true(m: dict) -> list[str]:
    m["params"]["whiten"] = True
    return [f'{P}.whiten: must be false, "unit-variance" or "arbitrary-variance"']


def ica_unwhitened_with_mean(m: dict) -> list[str]:
    m["state"]["mean_"] = nd(np.zeros(4))
    return [f"{S}.mean_: must be present exactly when whiten is not false (it is False)"]


def nmf_counts_disagree(m: dict) -> list[str]:
    m["state"]["n_components_"] = 3
    return [f"{S}.n_components_: is 3 but _n_components is 2"]


def nmf_beta_loss_disagrees(m: dict) -> list[str]:
    m["state"]["_beta_loss"] = 1
    return [f"{S}._beta_loss: is 1 but beta_loss 'frobenius' means 2"]


def coder_dictionary_wrong_shape(m: dict) -> list[str]:
    m["params"]["dictionary"] = nd(np.eye(4))
    return [f"{P}.dictionary: has shape [4, 4] but n_components_ and n_features_in_ are [3, 4]"]


def coder_dictionary_of_integers(m: dict) -> list[str]:
    m["params"]["dictionary"] = nd(np.array([[1, 2, 3, 4]]))
    return [f"{P}.dictionary: must be a 2-d array of floats (n_components, n_features)"]


INVARIANT, SCHEMA = "InvariantError", "SchemaError"
IN_PROCESS = [
    ("pca", pca_more_components_than_features, INVARIANT),
    ("pca", pca_components_wrong_width, INVARIANT),
    ("ipca", ipca_mean_wrong_length, INVARIANT),
    ("kpca", kpca_centerer_wrong_size, INVARIANT),
    ("kpca", kpca_centerer_other_class, INVARIANT),
    ("kpca", kpca_eigenvectors_wrong_rows, INVARIANT),
    ("kpca-inverse", kpca_inverse_arrays_missing, INVARIANT),
    ("kpca-inverse", kpca_inverse_flag_off, INVARIANT),
    ("ica", ica_whitening_missing, INVARIANT),
    ("ica", ica_whiten_true, INVARIANT),
    ("ica-no-whiten", ica_unwhitened_with_mean, INVARIANT),
    ("nmf", nmf_counts_disagree, INVARIANT),
    ("nmf", nmf_beta_loss_disagrees, INVARIANT),
    ("coder", coder_dictionary_wrong_shape, INVARIANT),
    ("coder", coder_dictionary_of_integers, INVARIANT),
]
ERRORS = {INVARIANT: InvariantError, SCHEMA: SchemaError}


@pytest.mark.parametrize(
    ("base", "mutate", "error"),
    IN_PROCESS,
    ids=[f"{b}-{m.__name__.replace('_', '-')}" for b, m, _ in IN_PROCESS],
)
def test_a_crafted_numpy_model_is_refused(
    base: str, mutate: Callable[[dict], list[str]], error: str
) -> None:
    doc = _doc(base)
    expected = mutate(doc["model"])
    with pytest.raises(ERRORS[error]) as e:
        milo_codec.loads(json.dumps(doc))
    lines = [line.strip() for line in str(e.value).splitlines()]
    for line in expected:
        assert line in lines, str(e.value)


def test_every_unmodified_base_loads() -> None:
    """The crafted cases start from files that load: each refusal is the mutation's doing."""
    for base in FITS:
        assert type(milo_codec.loads(json.dumps(_doc(base)))) is type(FITS[base]())


# ---------------------------------------------------------------------------
# Models reaching compiled code: every crafted file in one subprocess that must survive.


def lda_dtypes_disagree(m: dict) -> list[str]:
    s = m["state"]
    s["exp_dirichlet_component_"] = nd(arr(s["exp_dirichlet_component_"]).astype(np.float32))
    return [f"{S}.exp_dirichlet_component_: has dtype float32 but components_ has float64"]


def lda_topic_arrays_disagree(m: dict) -> list[str]:
    s = m["state"]
    s["exp_dirichlet_component_"] = nd(arr(s["exp_dirichlet_component_"])[:2])
    return [
        f"{S}.exp_dirichlet_component_: shape[0] is 2 but n_components is 3 (from {P}.n_components)"
    ]


def isomap_distances_of_fewer_samples(m: dict) -> list[str]:
    s = m["state"]
    s["dist_matrix_"] = nd(arr(s["dist_matrix_"])[:20, :20])
    return [
        f"{S}.embedding_: shape[0] is 30 but n_fit_samples is 20 (from {S}.dist_matrix_.shape[0])",
        f"{S}.nbrs_.state.n_samples_fit_: is 30 but dist_matrix_ has 20 rows (one per training "
        "sample)",
        f"{S}.kernel_pca_.state.n_features_in_: is 30 but its kernel rows have one entry per "
        "training sample (20, from dist_matrix_)",
    ]


def isomap_neighbors_differ(m: dict) -> list[str]:
    m["state"]["nbrs_"]["params"]["n_neighbors"] = 29
    return [f"{S}.nbrs_.params.n_neighbors: is 29 but the model's n_neighbors is 5"]


def isomap_kernel_not_precomputed(m: dict) -> list[str]:
    m["state"]["kernel_pca_"]["params"]["kernel"] = "rbf"
    return [f'{S}.kernel_pca_.params.kernel: must be "precomputed"']


def isomap_neighbors_of_other_features(m: dict) -> list[str]:
    nn = m["state"]["nbrs_"]["state"]
    nn["n_features_in_"] = 3
    return [f"{S}.nbrs_.state.n_features_in_: is 3 but the model's n_features_in_ is 4"]


def lle_embedding_of_fewer_samples(m: dict) -> list[str]:
    s = m["state"]
    s["embedding_"] = nd(arr(s["embedding_"])[:10])
    return [
        f"{S}.nbrs_.state.n_samples_fit_: is 30 but embedding_ has 10 rows (one per training sample)"
    ]


def lle_embedding_too_wide(m: dict) -> list[str]:
    s = m["state"]
    s["embedding_"] = nd(np.c_[arr(s["embedding_"]), np.zeros(30)])
    s["_n_features_out"] = 3
    return [f"{S}._n_features_out: is 3 but n_components is 2"]


def lle_neighbors_other_class(m: dict) -> list[str]:
    m["state"]["nbrs_"] = json.loads(milo_codec.dumps(_fit(PCA(n_components=2))))["model"]
    return [f"{S}.nbrs_: must be a sklearn.neighbors.NearestNeighbors"]


SUBPROCESS = [
    ("lda", lda_dtypes_disagree, INVARIANT),
    ("lda", lda_topic_arrays_disagree, INVARIANT),
    ("isomap", isomap_distances_of_fewer_samples, INVARIANT),
    ("isomap", isomap_neighbors_differ, INVARIANT),
    ("isomap", isomap_kernel_not_precomputed, INVARIANT),
    ("isomap", isomap_neighbors_of_other_features, INVARIANT),
    ("lle", lle_embedding_of_fewer_samples, INVARIANT),
    ("lle", lle_embedding_too_wide, INVARIANT),
    ("lle", lle_neighbors_other_class, INVARIANT),
]

_LOAD_ALL = """
import sys
import milo_codec
from milo_codec.errors import InvariantError, SchemaError
for path in sys.argv[1:]:
    print("=== " + path)
    try:
        milo_codec.loads(open(path, encoding="utf-8").read())
    except (SchemaError, InvariantError) as e:
        print(type(e).__name__)
        print(e)
    else:
        print("LOADED")
"""


def test_crafted_files_reaching_compiled_code_are_refused_in_a_surviving_process(
    tmp_path: Path,
) -> None:
    paths, expectations = [], []
    for i, (base, mutate, error) in enumerate(SUBPROCESS):
        doc = _doc(base)
        expected = mutate(doc["model"])
        path = tmp_path / f"{i}-{mutate.__name__}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
        expectations.append((error, expected))
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_ALL, *paths], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"the loading process died ({done.returncode}): {done.stderr}"
    outputs = done.stdout.split("=== ")[1:]
    assert len(outputs) == len(paths), done.stdout
    for path, out, (error, expected) in zip(paths, outputs, expectations, strict=True):
        lines = [line.strip() for line in out.splitlines()]
        assert lines[0] == path and lines[1] == error, out
        for line in expected:
            assert line in lines, out


# ---------------------------------------------------------------------------
# Functions: only built-in options of the estimator can be written.


def _custom(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("never called: the model is refused before anything runs")


REFUSED_CALLABLES = [
    (FastICA(fun=_custom), "fun"),
    (KernelPCA(kernel=_custom), "kernel"),
    (SpectralEmbedding(affinity=_custom), "affinity"),
    (TSNE(metric=_custom), "metric"),
    (Isomap(metric=_custom), "metric"),
    (DictionaryLearning(callback=_custom), "callback"),
]


@pytest.mark.parametrize(
    ("est", "param"), REFUSED_CALLABLES, ids=[type(e).__name__ for e, _ in REFUSED_CALLABLES]
)
def test_a_custom_callable_is_refused_when_writing(est: Any, param: str) -> None:
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(est)
    options = {
        "fun": "'cube', 'exp', 'logcosh'",
        "kernel": "'cosine', 'linear', 'poly', 'precomputed', 'rbf', 'sigmoid'",
        "affinity": "'nearest_neighbors', 'precomputed', 'precomputed_nearest_neighbors', 'rbf'",
        "metric": "'braycurtis', 'canberra', ",
        "callback": "None, not a function",
    }[param]
    assert str(e.value).startswith(
        f"{P}.{param}: the callable test_decomposition_state._custom cannot be written: "
    )
    assert f"'s {param} takes only {options}" in str(e.value), str(e.value)


def test_an_allow_listed_function_where_only_options_are_allowed_is_refused() -> None:
    """numpy.tanh is writable in general, but FastICA's fun takes only its named options."""
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(FastICA(fun=np.tanh))
    assert f"{P}.fun: expected one of 'cube', 'exp', 'logcosh'" in str(e.value)


# ---------------------------------------------------------------------------
# Views of LAPACK results keep their strides, so transform() is bit-identical; a pickle round
# trip compacts them and differs in the last bit (up to 5.6e-17 and 2.2e-16 on this data).


def test_incremental_pca_with_fewer_components_transforms_bit_identically() -> None:
    Xf = np.random.RandomState(0).randn(60, 5)
    est = _fit(IncrementalPCA(n_components=3, batch_size=20), Xf)
    assert not est.components_.flags.c_contiguous and not est.components_.flags.f_contiguous
    loaded = milo_codec.loads(milo_codec.dumps(est))
    assert loaded.components_.strides == est.components_.strides
    Xq = np.random.RandomState(7).randn(12, 5)
    assert np.array_equal(est.transform(Xq), loaded.transform(Xq))


# ---------------------------------------------------------------------------
# Many mutations of real files, one subprocess (NMF's transform runs Cython coordinate
# descent sized by _n_components): whatever still loads must transform without taking the
# process down (a Python exception is fine; a crash or a hang is not).

_LOAD_AND_TRANSFORM = """
import sys
import warnings
import numpy as np
import milo_codec
from milo_codec.errors import MiloError
warnings.simplefilter("ignore")
for path in sys.argv[1:]:
    try:
        est = milo_codec.loads(open(path, encoding="utf-8").read())
    except MiloError:
        print("REFUSED")
        continue
    Xq = np.random.RandomState(1).poisson(1.5, size=(5, est.n_features_in_)).astype(float)
    try:
        est.transform(Xq)
    except Exception as e:
        print("RAISED", type(e).__name__)
    else:
        print("TRANSFORMED")
"""


def _mutations(node: dict, where: str) -> list[tuple[str, Callable[[dict], None]]]:
    """Ways to make one field of a model node (or of its nested parts) disagree."""
    out: list[tuple[str, Callable[[dict], None]]] = []
    for name, value in node.get("state", {}).items():

        def at(m: dict, name: str = name) -> dict:
            return m["state"]

        if isinstance(value, dict) and "ndarray" in value and value["ndarray"]["dtype"] != "object":
            shape = value["ndarray"]["shape"]
            for axis in range(len(shape)):
                if shape[axis] > 1:

                    def shrink(m: dict, name: str = name, axis: int = axis) -> None:
                        a = arr(m["state"][name])
                        m["state"][name] = nd(np.delete(a, -1, axis=axis))

                    out.append((f"{where}.{name}-shrink{axis}", shrink))
        elif type(value) is int and not isinstance(value, bool):
            for delta in (-1, 1):

                def bump(m: dict, name: str = name, delta: int = delta) -> None:
                    m["state"][name] += delta

                out.append((f"{where}.{name}{delta:+d}", bump))
        elif isinstance(value, dict) and "class" in value:
            for label, mutate in _mutations(value, f"{where}.{name}"):

                def nested(m: dict, name: str = name, mutate: Callable = mutate) -> None:
                    mutate(m["state"][name])

                out.append((label, nested))
    return out


def test_whatever_loads_after_a_mutation_transforms_in_a_surviving_process(
    tmp_path: Path,
) -> None:
    paths = []
    for base in ("lda", "isomap", "lle", "kpca-inverse", "nmf"):
        for label, mutate in _mutations(_doc(base)["model"], base):
            doc = _doc(base)
            mutate(doc["model"])
            path = tmp_path / f"{len(paths)}-{label}.json"
            path.write_text(json.dumps(doc), encoding="utf-8")
            paths.append(str(path))
    assert len(paths) > 40
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_TRANSFORM, *paths],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the process died ({done.returncode}): {done.stderr}"
    results = done.stdout.splitlines()
    assert len(results) == len(paths), done.stdout
    loaded = [Path(p).name for p, r in zip(paths, results, strict=True) if r != "REFUSED"]
    # every size that disagrees is caught before construction; only iteration counters,
    # which no query reads, may change freely
    assert all("n_iter_" in name or "n_batch_iter_" in name for name in loaded), loaded


def test_arpack_pca_with_reversed_components_transforms_bit_identically() -> None:
    """arpack returns ascending singular values; components_ is a reversed view, Vt[::-1]."""
    Xq = np.random.RandomState(7).randn(12, 5)
    for seed in range(10):
        Xf = np.random.RandomState(seed).randn(60, 5)
        est = _fit(PCA(n_components=2, svd_solver="arpack", random_state=seed), Xf)
        assert est.components_.strides[0] < 0
        loaded = milo_codec.loads(milo_codec.dumps(est))
        assert loaded.components_.strides == est.components_.strides
        assert np.array_equal(est.transform(Xq), loaded.transform(Xq))
