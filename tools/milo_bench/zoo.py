"""The zoo: which models are measured, how each is fitted, which outputs are compared."""

from __future__ import annotations

import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn


@dataclass
class Fitted:
    """A fitted zoo model and the rows its outputs are computed on."""

    key: str
    model: Any
    X: Any  # the held-out rows (documents for the vectorizer)
    fit_s: float
    what: str  # what was fitted on what, for the report
    cached: bool = False  # read from the zoo cache rather than fitted in this run


@dataclass(frozen=True)
class ZooModel:
    key: str  # the name --models takes
    title: str
    what: str  # str.format template: the model's params, rows and cols of the fitted data
    build: Callable[[bool], tuple[Any, Any, Any]]  # quick -> (unfitted model, X_fit, y_fit|None)
    methods: tuple[str, ...]  # inference methods compared; the first is timed
    default: bool = True  # run unless --models names others


def _rows(full: int, quick: bool) -> int:
    """Rows to generate: ``full`` to fit on (a twentieth with ``quick``) plus the held-out ones."""
    return (max(200, full // 20) if quick else full) + _held(quick)


def _k(full: int, quick: bool) -> int:
    return max(5, full // 10) if quick else full


def _held(quick: bool) -> int:
    """Rows held out of fitting: the rows every output is computed on."""
    return 100 if quick else 2_000


def _classification(n: int, n_features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n, n_features=n_features, n_informative=min(10, n_features), random_state=seed
    )


def _logreg(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.linear_model import LogisticRegression

    X, y = _classification(_rows(5_000, quick), 20, 0)
    return LogisticRegression(max_iter=1_000), X, y


def _rf(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.ensemble import RandomForestClassifier

    X, y = _classification(_rows(20_000, quick), 20, 1)
    return RandomForestClassifier(n_estimators=_k(100, quick), random_state=0), X, y


def _hgb(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _classification(_rows(50_000, quick), 20, 2)
    model = HistGradientBoostingClassifier(
        max_iter=_k(200, quick), early_stopping=False, random_state=0
    )
    return model, X, y


def _gbr(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.datasets import make_regression
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = make_regression(
        n_samples=_rows(10_000, quick), n_features=20, noise=10.0, random_state=3
    )
    return GradientBoostingRegressor(n_estimators=_k(300, quick), random_state=0), X, y


def _mlp(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.neural_network import MLPClassifier

    X, y = _classification(_rows(10_000, quick), 50, 4)
    hidden = (32, 32) if quick else (256, 256)
    return MLPClassifier(hidden_layer_sizes=hidden, max_iter=20, random_state=0), X, y


def _knn(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _classification(_rows(100_000, quick), 20, 5)
    return KNeighborsClassifier(), X, y


def _svc(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.svm import SVC

    X, y = _classification(_rows(5_000, quick), 20, 6)
    return SVC(probability=True, random_state=0), X, y


def _pipeline(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _classification(_rows(5_000, quick), 20, 7)
    steps = [
        ("scale", StandardScaler()),
        ("pca", PCA(n_components=10, random_state=0)),
        ("clf", LogisticRegression(max_iter=1_000)),
    ]
    return Pipeline(steps), X, y


def _documents(n_docs: int, n_fit: int, n_words: int, seed: int) -> list[str]:
    """Synthetic documents; the first ``n_fit`` hold exactly ``n_words`` distinct words.

    Most words are drawn from a Zipf-like distribution (as in real text); each of the first
    ``n_fit`` documents also carries a few words by position, so every word occurs in them.
    """
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words: set[str] = set()
    while len(words) < n_words:
        words.add("".join(rng.choice(letters, size=int(rng.integers(3, 11)))))
    vocab = np.array(sorted(words))
    rng.shuffle(vocab)
    weights = 1.0 / np.arange(1, n_words + 1)
    lengths = rng.integers(20, 80, size=n_docs)
    drawn = rng.choice(n_words, size=int(lengths.sum()), p=weights / weights.sum())
    starts = np.concatenate([[0], np.cumsum(lengths)])
    docs = []
    for i in range(n_docs):
        by_position = np.arange(i, n_words, n_fit) if i < n_fit else []
        picked = np.concatenate([drawn[starts[i] : starts[i + 1]], by_position]).astype(int)
        docs.append(" ".join(vocab[picked]))
    return docs


def _tfidf(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    n_fit, n_words = (1_000, 2_000) if quick else (20_000, 50_000)
    docs = _documents(n_fit + _held(quick), n_fit, n_words, 8)
    return TfidfVectorizer(), docs, None


def _wide_logreg(quick: bool) -> tuple[Any, Any, Any]:
    """One large array: a 100 x 10,000 coef_ (300 samples, 3 per class, 5 iterations)."""
    from sklearn.linear_model import LogisticRegression

    n_features = 1_000 if quick else 10_000
    rng = np.random.default_rng(10)
    X = rng.standard_normal((300 + _held(quick), n_features))
    return LogisticRegression(max_iter=5), X, np.arange(len(X)) % 100


def _wide_scaler(quick: bool) -> tuple[Any, Any, Any]:
    """A few arrays of 5,000 features each."""
    from sklearn.preprocessing import StandardScaler

    n_features = 500 if quick else 5_000
    X = np.random.default_rng(11).standard_normal((1_000 + _held(quick), n_features)) * 3 + 1.5
    return StandardScaler(), X, None


def _iforest(quick: bool) -> tuple[Any, Any, Any]:
    from sklearn.ensemble import IsolationForest

    X, _ = _classification(_rows(20_000, quick), 20, 9)
    return IsolationForest(n_estimators=_k(200, quick), random_state=0), X, None


CLASSIFIER_OUTPUTS = ("predict", "predict_proba")
SHAPE = "{rows:,} x {cols}"
ZOO: dict[str, ZooModel] = {
    m.key: m
    for m in (
        ZooModel("logreg", "LogisticRegression", SHAPE, _logreg, CLASSIFIER_OUTPUTS),
        ZooModel(
            "rf",
            "RandomForestClassifier",
            "{n_estimators} trees, " + SHAPE,
            _rf,
            CLASSIFIER_OUTPUTS,
        ),
        ZooModel(
            "hgb",
            "HistGradientBoostingClassifier",
            "{max_iter} iterations (no early stopping), " + SHAPE,
            _hgb,
            CLASSIFIER_OUTPUTS,
        ),
        ZooModel(
            "gbr",
            "GradientBoostingRegressor",
            "{n_estimators} trees, " + SHAPE,
            _gbr,
            ("predict",),
        ),
        ZooModel(
            "mlp",
            "MLPClassifier",
            "{hidden_layer_sizes} hidden, {max_iter} epochs, " + SHAPE,
            _mlp,
            CLASSIFIER_OUTPUTS,
        ),
        ZooModel(
            "knn",
            "KNeighborsClassifier",
            "{n_neighbors} neighbours, " + SHAPE,
            _knn,
            CLASSIFIER_OUTPUTS,
        ),
        ZooModel(
            "svc",
            "SVC",
            "probability=True, " + SHAPE,
            _svc,
            ("predict", "predict_proba", "decision_function"),
        ),
        ZooModel(
            "pipeline",
            "Pipeline",
            "StandardScaler, PCA({pca__n_components}), LogisticRegression; " + SHAPE,
            _pipeline,
            CLASSIFIER_OUTPUTS,
        ),
        ZooModel(
            "tfidf",
            "TfidfVectorizer",
            "{rows:,} synthetic documents, {cols:,}-word vocabulary",
            _tfidf,
            ("transform",),
        ),
        ZooModel(
            "iforest",
            "IsolationForest",
            "{n_estimators} trees, " + SHAPE,
            _iforest,
            ("predict", "decision_function"),
        ),
        ZooModel(
            "wide-logreg",
            "LogisticRegression (wide)",
            "100 classes, {max_iter} iterations, " + SHAPE,
            _wide_logreg,
            CLASSIFIER_OUTPUTS,
            default=False,
        ),
        ZooModel(
            "wide-scaler",
            "StandardScaler (wide)",
            SHAPE,
            _wide_scaler,
            ("transform",),
            default=False,
        ),
    )
}
DEFAULT_MODELS = [m.key for m in ZOO.values() if m.default]


def fit_model(entry: ZooModel, quick: bool) -> Fitted:
    """Fit one zoo model; the last rows (2,000, or 100 with ``quick``) are held out for outputs."""
    from sklearn.exceptions import ConvergenceWarning

    model, X, y = entry.build(quick)
    held = _held(quick)
    fit_args = (X[:-held],) if y is None else (X[:-held], y[:-held])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # MLP and wide-logreg stop early
        # SVC(probability=True) is deprecated in scikit-learn 1.9; it is still what users have.
        warnings.filterwarnings("ignore", "The `probability` parameter", FutureWarning)
        t0 = time.perf_counter()
        model.fit(*fit_args)
        fit_s = time.perf_counter() - t0
    X_fit = fit_args[0]
    rows, cols = (len(X_fit), len(model.vocabulary_)) if isinstance(X, list) else X_fit.shape
    what = entry.what.format(rows=rows, cols=cols, **model.get_params())
    return Fitted(entry.key, model, X[-held:], fit_s, what)


def fit_zoo(keys: Sequence[str], quick: bool, cache: Path | None) -> dict[str, Fitted]:
    """The fitted models, read from ``cache`` when it holds them for these library versions."""
    stamp = (sklearn.__version__, np.__version__, quick)
    cached: dict[str, tuple[Any, Any, float, str]] = {}
    if cache is not None and cache.is_file():
        with cache.open("rb") as f:  # written by this tool on this machine
            saved_stamp, cached = pickle.load(f)
        if saved_stamp != stamp:
            cached = {}
    zoo = {}
    for key in keys:
        if key in cached:
            zoo[key] = Fitted(key, *cached[key], cached=True)
        else:
            print(f"  fitting {key} ...", flush=True)
            zoo[key] = fit_model(ZOO[key], quick)
    if cache is not None and any(key not in cached for key in keys):
        cached.update({k: (f.model, f.X, f.fit_s, f.what) for k, f in zoo.items()})
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as f:
            pickle.dump((stamp, cached), f, protocol=pickle.HIGHEST_PROTOCOL)
    return zoo
