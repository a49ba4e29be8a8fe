"""Invariants of the sklearn.feature_extraction family, listed in schemas by x-milo-invariants.

CountVectorizer, TfidfVectorizer and DictVectorizer turn each feature into a column index
through ``vocabulary_`` and build the output as a sparse matrix whose width is
``len(vocabulary_)``; inverse_transform and get_feature_names_out invert the mapping with an
argsort of its values. Those indices reach scipy's compiled sparse code, and a repeated or
out-of-range index silently merges two features or names the wrong one, so the values must
be exactly a permutation of ``0..n-1``. Where the vocabulary was given as a parameter
(``fixed_vocabulary_``) or derives from ``feature_names_``, it must be that very mapping; a
TfidfVectorizer's inner TfidfTransformer must weigh exactly its vocabulary's columns with
its own idf settings.

HashingVectorizer, FeatureHasher and PatchExtractor hold no fitted state: their parameters'
bounds (the schema) are all there is to check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.paths import child

_TFIDF = "sklearn.feature_extraction.text.TfidfTransformer"
_IDF_PARAMS = ("norm", "use_idf", "smooth_idf", "sublinear_tf")


def _indices(values: list[Any]) -> np.ndarray | None:
    """The values as int64, if all are integers (not booleans) that fit; else None."""
    if not all(t is not bool and issubclass(t, int | np.integer) for t in set(map(type, values))):
        return None
    try:
        return np.fromiter(values, dtype=np.int64, count=len(values))
    except (OverflowError, ValueError):
        return None


def vocabulary_indices(params: dict, state: dict, path: str) -> list[Problem]:
    """vocabulary_ maps strings to the column indices 0..n-1, each used once."""
    vocabulary = state.get("vocabulary_")
    if not isinstance(vocabulary, dict):
        return []
    field = f"{path}.state.vocabulary_"
    if not vocabulary:
        return [Problem(field, "must hold at least one term")]
    if set(map(type, vocabulary)) != {str}:
        return [Problem(field, "terms must be strings")]
    n = len(vocabulary)
    indices = _indices(list(vocabulary.values()))
    if indices is not None and indices.min() >= 0 and indices.max() < n:
        used = np.zeros(n, dtype=bool)
        used[indices] = True
        if used.all():  # n indices in [0, n), none missing: each used once
            return []
    return _first_index_problem(vocabulary, field)


def _first_index_problem(vocabulary: dict[str, Any], field: str) -> list[Problem]:
    """What is wrong with a vocabulary's indices, term by term (only once something is)."""
    indices = [as_int(v) for v in vocabulary.values()]
    n = len(indices)
    if any(i is None for i in indices):
        return [Problem(field, "column indices must be integers")]
    seen = np.zeros(n, dtype=bool)
    for term, i in zip(vocabulary, indices, strict=True):
        assert i is not None
        if not 0 <= i < n:
            return [Problem(child(f"{field}.dict", term), f"column index {i} is outside [0, {n})")]
        if seen[i]:
            return [Problem(child(f"{field}.dict", term), f"column index {i} is used by two terms")]
        seen[i] = True
    return []


def _given_vocabulary(vocabulary: Any) -> dict[str, int] | None:
    """The mapping scikit-learn makes of a vocabulary parameter (a mapping or a term list)."""
    if isinstance(vocabulary, dict):
        return {k: as_int(v) for k, v in vocabulary.items()}  # type: ignore[misc]
    if isinstance(vocabulary, list):
        return {term: i for i, term in enumerate(vocabulary)}
    return None


def _same_vocabulary(given: Any, vocabulary: dict) -> bool:
    """Whether ``vocabulary`` is plainly the given one: the same terms in the same order with
    the same integer indices (a term list numbers its terms in order). False decides nothing:
    the term-by-term comparison then has the last word."""
    want: np.ndarray | None
    if isinstance(given, list):
        terms, want = given, np.arange(len(given))
    elif isinstance(given, dict):
        terms, want = list(given), _indices(list(given.values()))
    else:
        return False
    got = _indices(list(vocabulary.values()))
    return (
        want is not None
        and got is not None
        and list(vocabulary) == terms
        and bool(np.array_equal(got, want))
    )


def word_tokens(params: dict, state: dict, path: str) -> list[Problem]:
    """A fitted word analyzer without a tokenizer compiled token_pattern (fit refuses null)."""
    if (
        "vocabulary_" in state
        and params.get("analyzer") == "word"
        and params.get("tokenizer") is None
        and params.get("token_pattern") is None
    ):
        return [Problem(f"{path}.params.token_pattern", "a fitted word analyzer needs one")]
    return []


def text_vocabulary(params: dict, state: dict, path: str) -> list[Problem]:
    """fixed_vocabulary_ says whether the vocabulary was given; a given one is vocabulary_."""
    if "vocabulary_" not in state:
        return []
    st = f"{path}.state"
    given = params.get("vocabulary")
    fixed = state.get("fixed_vocabulary_")
    if fixed is not (given is not None):
        return [Problem(f"{st}.fixed_vocabulary_", "must be true exactly when vocabulary is given")]
    if given is None:
        return []
    vocabulary = state["vocabulary_"]
    if isinstance(vocabulary, dict) and _same_vocabulary(given, vocabulary):
        return []  # the usual case, decided without a Python step per term
    expected = _given_vocabulary(given)
    actual = {k: as_int(v) for k, v in vocabulary.items()}
    if expected is None or list(expected.items()) != list(actual.items()):
        return [Problem(f"{st}.vocabulary_", "must be the vocabulary parameter, term for term")]
    return []


def tfidf_vectorizer(params: dict, state: dict, path: str) -> list[Problem]:
    """_tfidf is a TfidfTransformer with the vectorizer's idf settings, fitted on its columns."""
    if "_tfidf" not in state:
        return []
    field = f"{path}.state._tfidf"
    tfidf = state["_tfidf"]
    if not isinstance(tfidf, NodeModel) or tfidf.codec().class_path != _TFIDF:
        return [Problem(field, f"must be a {_TFIDF} model node")]
    inner = tfidf.params.fields_by_json_name()
    problems = [
        Problem(f"{field}.params.{name}", f"must equal the vectorizer's {name}")
        for name in _IDF_PARAMS
        if inner.get(name) != params.get(name)
    ]
    fitted = tfidf.state.fields_by_json_name() if tfidf.state is not None else {}
    n = len(state.get("vocabulary_") or ())
    if as_int(fitted.get("n_features_in_")) != n:
        problems.append(
            Problem(f"{field}.state.n_features_in_", f"must equal the vocabulary's size ({n})")
        )
    if bool(params.get("use_idf")) != ("idf_" in fitted):
        problems.append(Problem(f"{field}.state.idf_", "must be present exactly when use_idf"))
    return problems


def tfidf_transformer(params: dict, state: dict, path: str) -> list[Problem]:
    """idf_ exists exactly when use_idf, and weights are at least 1 (log terms plus one)."""
    if "n_features_in_" not in state:
        return []
    idf = state.get("idf_")
    field = f"{path}.state.idf_"
    if bool(params.get("use_idf")) != (idf is not None):
        return [Problem(field, "must be present exactly when use_idf")]
    if isinstance(idf, np.ndarray) and not bool(np.all(np.isfinite(idf))):
        return [Problem(field, "idf weights must be finite")]
    return []


def dict_vectorizer(params: dict, state: dict, path: str) -> list[Problem]:
    """vocabulary_ numbers feature_names_ in order: name i is column i."""
    names, vocabulary = state.get("feature_names_"), state.get("vocabulary_")
    if not isinstance(names, list) or not isinstance(vocabulary, dict):
        return []
    indices = _indices(list(vocabulary.values()))
    if (
        list(vocabulary) != names
        or indices is None
        or not np.array_equal(indices, np.arange(len(names)))
    ):
        return [
            Problem(
                f"{path}.state.vocabulary_",
                "must map feature_names_[i] to i, in the order of feature_names_",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    "word_tokens": word_tokens,
    "vocabulary_indices": vocabulary_indices,
    "text_vocabulary": text_vocabulary,
    "tfidf_vectorizer": tfidf_vectorizer,
    "tfidf_transformer": tfidf_transformer,
    "dict_vectorizer": dict_vectorizer,
}
