"""Fit recipes of the decomposition family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.

The layouts that change fitted state are covered: PCA's solvers (its ``_fit_svd_solver``
picks the code path of later calls), whitening, n_components as a count, a variance ratio or
"mle"; sparse input where a class accepts it; float32 (components keep the input dtype);
KernelPCA with every string kernel, each eigen solver and the inverse transform
(``dual_coef_``, ``X_transformed_fit_``); NMF's solvers and beta losses; LDA's batch and
online learning; FastICA's whitening modes and contrast functions; the dictionary learners'
transform algorithms. Queries a user makes beyond INFERENCE_METHODS (covariance, precision,
log-likelihood, perplexity) are compared through ``Fitted.extra``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import _X, Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

_X60 = _X(60, 5)
_XQ = _X(12, 5, seed=7)
_POS = _X(60, 6, positive=True)
_POS_Q = _X(12, 6, seed=7, positive=True)
_SPARSE = sp.csr_matrix(_X60 * (np.abs(_X60) > 0.5))
_SPARSE_POS = sp.csr_matrix(_POS * (_POS > 0.4))
_COUNTS = np.random.RandomState(3).poisson(1.5, size=(50, 8)).astype(np.float64)
_COUNTS_Q = np.random.RandomState(4).poisson(1.5, size=(10, 8)).astype(np.float64)

Extra = dict[str, Callable[[Any], Any]]


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    Xq: Any = None,
    extra: Callable[[Any], Extra] | None = None,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        _quiet_fit(est, X)
        q = X if Xq is None else Xq
        return Fitted(rid, est, q, extra=extra(q) if extra else {})

    return Recipe(rid, fit)


def _dataframe(X: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])


def _pandas_output(make: Callable[[], Any], X: np.ndarray) -> Recipe:
    return _recipe("pandas-output", lambda: make().set_output(transform="pandas"), _dataframe(X))


def _gaussian_extra(X: Any) -> Extra:
    """The probabilistic PCA / factor analysis model's own queries."""
    return {
        "get_covariance": lambda e: e.get_covariance(),
        "get_precision": lambda e: e.get_precision(),
        "score": lambda e: e.score(X),
    }


def _pca(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**kw)

    g = _gaussian_extra
    return [
        _recipe("full", est(n_components=3, svd_solver="full"), _X60, _XQ, g),
        _recipe("arpack", est(n_components=2, svd_solver="arpack", random_state=0), _X60, _XQ, g),
        _recipe(
            "randomized-whiten",
            est(n_components=3, svd_solver="randomized", whiten=True, random_state=0),
            _X60,
            _XQ,
            g,
        ),
        _recipe("covariance-eigh", est(svd_solver="covariance_eigh"), _X60, _XQ, g),
        _recipe("variance-ratio", est(n_components=0.8), _X60, _XQ, g),
        _recipe("mle", est(n_components="mle"), _X60, _XQ, g),
        _recipe(
            "sparse-arpack",
            est(n_components=2, svd_solver="arpack", random_state=0),
            _SPARSE,
            _XQ,
            g,
        ),
        _recipe("float32", est(n_components=3), _X60.astype(np.float32), _XQ, g),
        _recipe("dataframe", est(n_components=2), _dataframe(_X60), None, g),
        _pandas_output(est(n_components=2), _X60),
    ]


def _incremental_pca(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**kw)

    def g(X: Any) -> Extra:
        return {
            "get_covariance": lambda e: e.get_covariance(),
            "get_precision": lambda e: e.get_precision(),
        }

    # With fewer components than features, components_ is the leading rows of LAPACK's
    # Fortran-ordered V, and transform()'s last bits depend on that row stride.
    return [
        _recipe("batches", est(n_components=3, batch_size=20), _X60, _XQ, g),
        _recipe("whiten", est(n_components=2, whiten=True), _X60, _XQ, g),
        _recipe("sparse", est(n_components=2, batch_size=20), _SPARSE, _XQ, g),
        _recipe("all-components", est(batch_size=20), _X60, _XQ, g),
        _recipe("float32", est(), _X60.astype(np.float32), _XQ, g),
    ]


def _kernel_pca(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(**kw)

    from sklearn.metrics.pairwise import rbf_kernel

    out = [
        _recipe(f"kernel-{k}", est(n_components=3, kernel=k), _X60, _XQ)
        for k in ("linear", "poly", "rbf", "sigmoid", "cosine")
    ]
    out += [
        _recipe(
            "inverse-transform",
            est(n_components=3, kernel="rbf", gamma=0.2, fit_inverse_transform=True, alpha=0.1),
            _X60,
            _XQ,
        ),
        _recipe(
            "arpack-poly-params",
            est(
                n_components=2,
                kernel="poly",
                degree=2,
                coef0=0.5,
                eigen_solver="arpack",
                random_state=0,
            ),
            _X60,
            _XQ,
        ),
        _recipe(
            "randomized",
            est(n_components=2, kernel="rbf", eigen_solver="randomized", random_state=0),
            _X60,
            _XQ,
        ),
        _recipe("all-components-zero-eig", est(remove_zero_eig=True), _X60[:20], _XQ),
        _recipe(
            "precomputed",
            est(n_components=3, kernel="precomputed"),
            rbf_kernel(_X60, _X60),
            rbf_kernel(_XQ, _X60),
        ),
        _recipe("sparse", est(n_components=2, kernel="rbf"), _SPARSE, _XQ),
        _recipe("float32", est(n_components=2, kernel="rbf"), _X60.astype(np.float32), _XQ),
    ]
    return out


def _truncated_svd(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    return [
        _recipe("sparse-randomized", est(n_components=3), _SPARSE, _SPARSE),
        _recipe("arpack", est(n_components=2, algorithm="arpack"), _X60, _XQ),
        _recipe("float32", est(n_components=2), _X60.astype(np.float32), _XQ),
        _pandas_output(est(n_components=2), _X60),
    ]


def _factor_analysis(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, **kw)

    g = _gaussian_extra
    return [
        _recipe("randomized", est(n_components=2), _X60, _XQ, g),
        _recipe("lapack-varimax", est(svd_method="lapack", rotation="varimax"), _X60, _XQ, g),
        _recipe(
            "quartimax-noise-init",
            est(n_components=3, rotation="quartimax", noise_variance_init=np.full(5, 0.5)),
            _X60,
            _XQ,
            g,
        ),
        _recipe("float32", est(n_components=2), _X60.astype(np.float32), _XQ, g),
    ]


def _fast_ica(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, max_iter=400, **kw)

    return [
        _recipe("logcosh", est(n_components=3), _X60, _XQ),
        _recipe("exp-deflation", est(fun="exp", algorithm="deflation"), _X60, _XQ),
        _recipe(
            "cube-arbitrary-variance-eigh",
            est(fun="cube", whiten="arbitrary-variance", whiten_solver="eigh"),
            _X60,
            _XQ,
        ),
        _recipe("no-whiten", est(whiten=False), _X60, _XQ),
        _recipe(
            "fun-args-w-init",
            est(n_components=2, fun_args={"alpha": 1.5}, w_init=np.array([[1.0, 0.5], [0.2, 1.0]])),
            _X60,
            _XQ,
        ),
        _recipe("float32", est(n_components=3), _X60.astype(np.float32), _XQ),
    ]


def _nmf(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(random_state=0, max_iter=100, **kw)

    # MiniBatchNMF always runs multiplicative updates (it has no solver parameter)
    mu = {"solver": "mu"} if cls.__name__ == "NMF" else {}
    out = [
        _recipe("nndsvda", est(n_components=3, init="nndsvda"), _POS, _POS_Q),
        _recipe(
            "kullback-leibler-random-init",
            est(n_components=2, beta_loss="kullback-leibler", init="random", **mu),
            _POS,
            _POS_Q,
        ),
        _recipe(
            "itakura-saito",
            est(n_components=2, beta_loss="itakura-saito", init="nndsvda", **mu),
            _POS + 0.1,
            _POS_Q + 0.1,
        ),
        _recipe("sparse", est(n_components=2, alpha_W=0.01, l1_ratio=0.5), _SPARSE_POS),
        _recipe(
            "float32",
            est(n_components=2),
            _POS.astype(np.float32),
            _POS_Q.astype(np.float32),
        ),
    ]
    if cls.__name__ == "NMF":
        out.append(_recipe("beta-number", est(n_components=2, solver="mu", beta_loss=1.5), _POS))
    else:
        out.append(
            _recipe(
                "small-batches-fresh-restarts",
                est(n_components=2, batch_size=16, fresh_restarts=True, forget_factor=0.5),
                _POS,
                _POS_Q,
            )
        )
    return out


def _lda(cls: type) -> list[Recipe]:
    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(n_components=3, random_state=0, max_iter=5, **kw)

    def extra(X: Any) -> Extra:
        return {"perplexity": lambda e: e.perplexity(X), "score": lambda e: e.score(X)}

    return [
        _recipe("batch", est(), _COUNTS, _COUNTS_Q, extra),
        _recipe(
            "online-priors",
            est(
                learning_method="online",
                batch_size=16,
                doc_topic_prior=0.3,
                topic_word_prior=0.2,
                evaluate_every=2,
            ),
            _COUNTS,
            _COUNTS_Q,
            extra,
        ),
        _recipe("sparse", est(), sp.csr_matrix(_COUNTS), sp.csr_matrix(_COUNTS_Q), extra),
        _recipe("float32", est(), _COUNTS.astype(np.float32), _COUNTS_Q, extra),
    ]


def _dictionary_learning(cls: type) -> list[Recipe]:
    mini = cls.__name__.startswith("MiniBatch")

    def est(**kw: Any) -> Callable[[], Any]:
        base = {"max_iter": 5} if mini else {"max_iter": 10}
        return lambda: cls(n_components=4, random_state=0, **base, **kw)

    out = [
        _recipe("omp", est(), _X60, _XQ),
        _recipe("lasso-lars", est(transform_algorithm="lasso_lars", transform_alpha=0.2), _X60),
        _recipe(
            "lasso-cd-positive",
            est(
                transform_algorithm="lasso_cd",
                positive_code=True,
                positive_dict=True,
                fit_algorithm="cd",
            ),
            _X60,
        ),
        _recipe(
            "threshold-split-sign", est(transform_algorithm="threshold", split_sign=True), _X60
        ),
        _recipe(
            "lars-cd-fit",
            est(transform_algorithm="lars", transform_n_nonzero_coefs=2, fit_algorithm="cd"),
            _X60,
        ),
        _recipe("float32", est(), _X60.astype(np.float32), _XQ),
    ]
    if mini:
        out.append(_recipe("small-batches", est(batch_size=8, shuffle=False), _X60, _XQ))
    return out


def _sparse_pca(cls: type) -> list[Recipe]:
    mini = cls.__name__.startswith("MiniBatch")

    def est(**kw: Any) -> Callable[[], Any]:
        base = {"max_iter": 5, "batch_size": 10} if mini else {"max_iter": 50}
        return lambda: cls(n_components=3, random_state=0, **base, **kw)

    return [
        _recipe("lars", est(), _X60, _XQ),
        _recipe("cd-ridge", est(method="cd", ridge_alpha=0.1, alpha=0.5), _X60, _XQ),
        _recipe("float32", est(), _X60.astype(np.float32), _XQ),
        _pandas_output(est(), _X60),
    ]


def _sparse_coder(cls: type) -> list[Recipe]:
    rng = np.random.RandomState(5)
    D = rng.randn(4, 5)
    D /= np.linalg.norm(D, axis=1, keepdims=True)

    def est(**kw: Any) -> Callable[[], Any]:
        return lambda: cls(dictionary=D, **kw)

    return [
        _recipe("omp", est(transform_n_nonzero_coefs=2), _X60, _XQ),
        _recipe(
            "lasso-lars-positive", est(transform_algorithm="lasso_lars", positive_code=True), _X60
        ),
        _recipe("lasso-cd", est(transform_algorithm="lasso_cd", transform_alpha=0.1), _X60),
        _recipe(
            "threshold-split-sign", est(transform_algorithm="threshold", split_sign=True), _X60
        ),
        _recipe("float32-dictionary", lambda: cls(dictionary=D.astype(np.float32)), _X60),
    ]


RECIPES["PCA"] = _pca
RECIPES["IncrementalPCA"] = _incremental_pca
RECIPES["KernelPCA"] = _kernel_pca
RECIPES["TruncatedSVD"] = _truncated_svd
RECIPES["FactorAnalysis"] = _factor_analysis
RECIPES["FastICA"] = _fast_ica
RECIPES["NMF"] = _nmf
RECIPES["MiniBatchNMF"] = _nmf
RECIPES["LatentDirichletAllocation"] = _lda
RECIPES["DictionaryLearning"] = _dictionary_learning
RECIPES["MiniBatchDictionaryLearning"] = _dictionary_learning
RECIPES["SparsePCA"] = _sparse_pca
RECIPES["MiniBatchSparsePCA"] = _sparse_pca
RECIPES["SparseCoder"] = _sparse_coder
