"""Fit recipes of the sklearn.feature_extraction family: class name → its recipes.

See tests/recipes.py for what a recipe is. Text vectorizers are queried with raw documents;
their analyzers (word / char / char_wb, stop words, accents, n-grams, token patterns) are
rebuilt from parameters at every call, so besides transform the recipes compare what the
analyzer, tokenizer, preprocessor and decoder make of a document. Pruning by document
frequency turns vocabulary_ values into numpy integers, a layout of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from recipes import Fitted, Recipe, _quiet_fit

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}

DOCS = [
    "The quick brown fox jumps over the lazy dog.",
    "Never jump over the lazy dog quickly; the dog sleeps.",
    "A café serves crème brûlée and naïve coffee to the fox.",
    "Brown dogs and brown foxes are friends, said the ranger.",
    "Is this the first document? It is the first one!",
    "The ranger's dog barked at the quick fox twice, then slept.",
    "Coffee, coffee and more coffee: the ranger's morning.",
    "Naïve foxes jump; lazy dogs sleep; the café closes.",
]
QUERY = [
    "The lazy fox drinks coffee at the café.",
    "An unseen document with no known word: zyzzyva!",
    "",
    "Brown brown BROWN dogs jump over foxes.",
]
_DOC = "Crème brûlée, the naïve fox's café-au-lait? Jumps!"


def _text_queries() -> dict[str, Callable[[Any], Any]]:
    return {
        "build_analyzer()(doc)": lambda est: est.build_analyzer()(_DOC),
        "build_tokenizer()(doc)": lambda est: est.build_tokenizer()(_DOC),
        "build_preprocessor()(doc)": lambda est: est.build_preprocessor()(_DOC),
        "decode(doc)": lambda est: est.decode(_DOC),
        "get_stop_words()": lambda est: est.get_stop_words(),
    }


def _recipe(
    rid: str,
    make: Callable[[], Any],
    X: Any,
    Xq: Any = None,
    y: Any = None,
    extra: dict | None = None,
) -> Recipe:
    def fit() -> Fitted:
        est = make()
        if y is None:
            _quiet_fit(est, X)
        else:
            _quiet_fit(est, X, y)
        return Fitted(rid, est, X if Xq is None else Xq, extra=dict(extra or {}))

    return Recipe(rid, fit)


def _text(rid: str, make: Callable[[], Any]) -> Recipe:
    extra = _text_queries()
    # TfidfVectorizer reads its weights through a property of the nested TfidfTransformer
    extra["idf_"] = lambda est: est.idf_
    return _recipe(rid, make, DOCS, QUERY, extra=extra)


def _count(cls: type) -> list[Recipe]:
    out = [
        _text("default", lambda: cls()),
        _text(
            "english-bigrams-pruned",
            lambda: cls(stop_words="english", ngram_range=(1, 2), min_df=2, max_df=0.9),
        ),
        _text(
            "char-wb-accents-float32",
            lambda: cls(
                analyzer="char_wb",
                ngram_range=(2, 3),
                strip_accents="unicode",
                lowercase=False,
                binary=True,
                dtype=np.float32,
                max_features=40,
            ),
        ),
        _text(
            "char-ascii",
            lambda: cls(analyzer="char", ngram_range=(1, 2), strip_accents="ascii", max_df=5),
        ),
        _text(
            "stop-list-token-pattern",
            lambda: cls(stop_words=["the", "and", "a"], token_pattern=r"(?u)\b\w+\b", min_df=0.2),
        ),
        _text(
            "fixed-vocabulary",
            lambda: cls(
                vocabulary={"fox": 1, "dog": 0, "coffee": 2, "lazy dog": 3}, ngram_range=(1, 2)
            ),
        ),
    ]
    if cls.__name__ == "TfidfVectorizer":
        out += [
            _text(
                "sublinear-l1-no-smooth",
                lambda: cls(sublinear_tf=True, norm="l1", smooth_idf=False),
            ),
            _text(
                "no-idf-no-norm", lambda: cls(use_idf=False, norm=None, vocabulary=["fox", "dog"])
            ),
        ]
    return out


def _hashing(cls: type) -> list[Recipe]:
    return [
        _text("default", lambda: cls()),
        _text(
            "small-unsigned-binary",
            lambda: cls(n_features=64, alternate_sign=False, binary=True, norm=None),
        ),
        _text(
            "char-l1-float32",
            lambda: cls(
                analyzer="char_wb",
                ngram_range=(2, 4),
                n_features=2**10,
                norm="l1",
                dtype=np.float32,
            ),
        ),
    ]


def _counts() -> sp.csr_matrix:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer().fit_transform(DOCS)


def _tfidf_transformer(cls: type) -> list[Recipe]:
    counts = _counts()
    return [
        _recipe("sparse", lambda: cls(), counts),
        _recipe("dense-sublinear-l1", lambda: cls(sublinear_tf=True, norm="l1"), counts.toarray()),
        _recipe("float32-no-smooth", lambda: cls(smooth_idf=False), counts.astype(np.float32)),
        _recipe("no-idf", lambda: cls(use_idf=False, norm=None), counts),
    ]


_RECORDS = [
    {"city": "Dubai", "temperature": 33.0, "tags": ["hot", "dry"]},
    {"city": "London", "temperature": 12.0, "rain": True},
    {"city": "San Francisco", "temperature": 18.0, "tags": ["foggy"]},
    {"city": "Dubai", "humidity": 0.4},
]
_RECORDS_Q = [
    {"city": "London", "temperature": 9.5, "tags": ["wet", "hot"]},
    {"city": "Paris", "unknown": 1.0},
]


def _dict_vectorizer(cls: type) -> list[Recipe]:
    return [
        _recipe("sparse", lambda: cls(), _RECORDS, _RECORDS_Q),
        _recipe("dense-float32", lambda: cls(sparse=False, dtype=np.float32), _RECORDS, _RECORDS_Q),
        _recipe(
            "unsorted-separator",
            lambda: cls(sort=False, separator="::", dtype=np.int64),
            [{"a": 1, "b": "x"}, {"b": "y", "c": 3}],
            [{"a": 2, "b": "y"}],
        ),
    ]


def _feature_hasher(cls: type) -> list[Recipe]:
    return [
        _recipe("dict", lambda: cls(n_features=32), [*_RECORDS[1:2], {"x": 2.0, "y": -1.0}]),
        _recipe(
            "string-unsigned",
            lambda: cls(n_features=16, input_type="string", alternate_sign=False),
            [["cat", "dog", "cat"], ["fish"], []],
        ),
        _recipe(
            "pair-float32",
            lambda: cls(n_features=2**12, input_type="pair", dtype=np.float32),
            [[("a", 1.5), ("b", -2.0)], [("a", 3.0)]],
        ),
    ]


def _patches(cls: type) -> list[Recipe]:
    rng = np.random.RandomState(0)
    gray = rng.rand(3, 8, 9)
    color = rng.rand(2, 6, 7, 3)
    return [
        _recipe("gray-all", lambda: cls(patch_size=(3, 4)), gray),
        _recipe(
            "gray-sampled", lambda: cls(patch_size=(2, 2), max_patches=5, random_state=0), gray
        ),
        _recipe(
            "color-fraction", lambda: cls(patch_size=(3, 3), max_patches=0.3, random_state=1), color
        ),
    ]


RECIPES["CountVectorizer"] = _count
RECIPES["TfidfVectorizer"] = _count
RECIPES["HashingVectorizer"] = _hashing
RECIPES["TfidfTransformer"] = _tfidf_transformer
RECIPES["DictVectorizer"] = _dict_vectorizer
RECIPES["FeatureHasher"] = _feature_hasher
RECIPES["PatchExtractor"] = _patches
