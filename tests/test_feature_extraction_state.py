"""Vocabularies and vectorizer parameters: crafted files are refused before anything is built.

A text or dict vectorizer turns each feature into the column index ``vocabulary_`` gives it
and hands those indices to scipy's compiled sparse code; a repeated, missing or
out-of-range index would merge features, misname them or reach that code with a bad
index. All crafted files are loaded in one child process (tests/crafted_batch.py); the
child must survive and report the expected milo_codec error with its JSON path.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import doc_cache, editable_doc
from crafted_batch import load_in_child
from recipes_feature_extraction import DOCS, QUERY
from sklearn.feature_extraction import DictVectorizer, FeatureHasher
from sklearn.feature_extraction.image import PatchExtractor
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
    TfidfVectorizer,
)

import milo_codec

S = "$.model.state"
P = "$.model.params"
SCHEMA, INVARIANT = "SchemaError", "InvariantError"


def _fit(est: Any, X: Any = DOCS) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


FITS: dict[str, Callable[[], Any]] = {
    "count": lambda: _fit(CountVectorizer()),
    "count-pruned": lambda: _fit(CountVectorizer(min_df=2)),
    "count-fixed": lambda: _fit(CountVectorizer(vocabulary=["fox", "dog", "coffee"])),
    "tfidf": lambda: _fit(TfidfVectorizer()),
    "hashing": lambda: _fit(HashingVectorizer(n_features=32)),
}
_doc = doc_cache(FITS)


def _vocab(doc: dict) -> dict:
    return doc["model"]["state"]["vocabulary_"]["dict"]


def _first_terms(doc: dict) -> tuple[str, str]:
    terms = list(_vocab(doc))
    return terms[0], terms[1]


# Mutations of a whole document: each returns the problem line it must cause.


def duplicate_index(doc: dict) -> str:
    a, b = _first_terms(doc)
    _vocab(doc)[b] = _vocab(doc)[a]
    return f"{S}.vocabulary_.dict.{b}: column index {_vocab(doc)[a]} is used by two terms"


def index_out_of_range(doc: dict) -> str:
    a, _ = _first_terms(doc)
    n = len(_vocab(doc))
    _vocab(doc)[a] = n
    return f"{S}.vocabulary_.dict.{a}: column index {n} is outside [0, {n})"


def huge_numpy_index(doc: dict) -> str:
    a, _ = _first_terms(doc)
    n = len(_vocab(doc))
    _vocab(doc)[a] = {"int64": 2**62}
    return f"{S}.vocabulary_.dict.{a}: column index {2**62} is outside [0, {n})"


def negative_index(doc: dict) -> str:
    a, _ = _first_terms(doc)
    _vocab(doc)[a] = -1
    return f"{S}.vocabulary_.dict.{a}"


def empty_vocabulary(doc: dict) -> str:
    doc["model"]["state"]["vocabulary_"]["dict"] = {}
    return f"{S}.vocabulary_: must hold at least one term"


def fixed_flag_without_vocabulary(doc: dict) -> str:
    doc["model"]["state"]["fixed_vocabulary_"] = True
    return f"{S}.fixed_vocabulary_: must be true exactly when vocabulary is given"


def fixed_vocabulary_reordered(doc: dict) -> str:
    vocab = _vocab(doc)
    a, b = _first_terms(doc)
    vocab[a], vocab[b] = vocab[b], vocab[a]
    return f"{S}.vocabulary_: must be the vocabulary parameter, term for term"


def idf_one_short(doc: dict) -> str:
    inner = doc["model"]["state"]["_tfidf"]["state"]
    idf = inner["idf_"]["ndarray"]
    idf["data"] = idf["data"][:-1]
    idf["shape"] = [len(idf["data"])]
    return f"{S}._tfidf.state.idf_"


def inner_transformer_narrower(doc: dict) -> str:
    inner = doc["model"]["state"]["_tfidf"]["state"]
    idf = inner["idf_"]["ndarray"]
    idf["data"] = idf["data"][:-1]
    idf["shape"] = [len(idf["data"])]
    inner["n_features_in_"] -= 1
    n = len(_vocab(doc))
    return f"{S}._tfidf.state.n_features_in_: must equal the vocabulary's size ({n})"


def inner_norm_disagrees(doc: dict) -> str:
    doc["model"]["state"]["_tfidf"]["params"]["norm"] = "l1"
    return f"{S}._tfidf.params.norm: must equal the vectorizer's norm"


def idf_infinite(doc: dict) -> str:
    idf = doc["model"]["state"]["_tfidf"]["state"]["idf_"]["ndarray"]
    idf["data"][0] = "Infinity"
    return f"{S}._tfidf.state.idf_: idf weights must be finite"


def input_reads_files(doc: dict) -> str:
    doc["model"]["params"]["input"] = "filename"
    return f"{P}.input"


def callable_analyzer(doc: dict) -> str:
    doc["model"]["params"]["analyzer"] = {"function": "numpy.abs"}
    return f"{P}.analyzer"


def ngram_from_zero(doc: dict) -> str:
    doc["model"]["params"]["ngram_range"] = {"tuple": [0, 2]}
    return f"{P}.ngram_range"


def token_pattern_too_long(doc: dict) -> str:
    doc["model"]["params"]["token_pattern"] = "a" * 1001
    return f"{P}.token_pattern"


def n_features_past_int32(doc: dict) -> str:
    doc["model"]["params"]["n_features"] = 2**31
    return f"{P}.n_features"


def n_features_zero(doc: dict) -> str:
    doc["model"]["params"]["n_features"] = 0
    return f"{P}.n_features"


CASES = [
    ("count", duplicate_index, INVARIANT),
    ("count", index_out_of_range, INVARIANT),
    ("count-pruned", huge_numpy_index, INVARIANT),
    ("count", negative_index, SCHEMA),
    ("count", empty_vocabulary, INVARIANT),
    ("count", fixed_flag_without_vocabulary, INVARIANT),
    ("count-fixed", fixed_vocabulary_reordered, INVARIANT),
    ("tfidf", duplicate_index, INVARIANT),
    ("tfidf", idf_one_short, INVARIANT),
    ("tfidf", inner_transformer_narrower, INVARIANT),
    ("tfidf", inner_norm_disagrees, INVARIANT),
    ("tfidf", idf_infinite, INVARIANT),
    ("count", input_reads_files, SCHEMA),
    ("tfidf", callable_analyzer, SCHEMA),
    ("count", ngram_from_zero, SCHEMA),
    ("hashing", token_pattern_too_long, SCHEMA),
    ("hashing", n_features_past_int32, SCHEMA),
    ("hashing", n_features_zero, SCHEMA),
]


def test_crafted_text_vectorizers_are_refused_in_a_surviving_process(tmp_path: Path) -> None:
    docs, expected = [], []
    for base, mutate, error in CASES:
        doc = _doc(base)
        expected.append((f"{base}-{mutate.__name__}", error, mutate(doc)))
        docs.append(doc)
    # the unmodified files load and answer, in the same process
    docs += [_doc(base) for base in FITS]
    results = load_in_child(docs, QUERY, tmp_path)
    for (case, error, line), (got, message) in zip(expected, results, strict=False):
        assert got == error, (case, message)
        assert line in message, (case, message)
    assert results[len(CASES) :] == [("LOADED", "transform answered")] * len(FITS)


_RECORDS = [{"city": "Dubai", "t": 33.0}, {"city": "London", "rain": True}]


def test_crafted_dict_vectorizers_are_refused_in_a_surviving_process(tmp_path: Path) -> None:
    base = editable_doc(_fit(DictVectorizer(), _RECORDS))
    state = base["model"]["state"]

    def variant(change: Callable[[dict], None]) -> dict:
        doc = copy.deepcopy(base)
        change(doc["model"]["state"])
        return doc

    names = state["feature_names_"]
    swapped = variant(lambda s: s["feature_names_"].reverse())
    duplicate = variant(lambda s: s["vocabulary_"]["dict"].update({names[1]: 0}))
    outside = variant(lambda s: s["vocabulary_"]["dict"].update({names[0]: len(names)}))
    extra_name = variant(lambda s: s["feature_names_"].append("extra"))
    results = load_in_child([swapped, duplicate, outside, extra_name, base], _RECORDS, tmp_path)
    must_map = "must map feature_names_[i] to i, in the order of feature_names_"
    assert results[0] == ("InvariantError", results[0][1]) and must_map in results[0][1]
    assert "is used by two terms" in results[1][1] and results[1][0] == "InvariantError"
    assert "is outside [0, " in results[2][1] and results[2][0] == "InvariantError"
    assert must_map in results[3][1]
    assert results[4] == ("LOADED", "transform answered")


# ---------------------------------------------------------------------------
# Dump refuses what a file cannot hold: custom code, and inputs that read files.


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (lambda: CountVectorizer(analyzer=lambda doc: doc.split()), "analyzer"),
        (lambda: CountVectorizer(tokenizer=str.split, token_pattern=None), "tokenizer"),
        (lambda: TfidfVectorizer(preprocessor=str.lower), "preprocessor"),
        (lambda: HashingVectorizer(strip_accents=lambda s: s), "strip_accents"),
    ],
    ids=["analyzer", "tokenizer", "preprocessor", "strip-accents"],
)
def test_custom_text_callables_are_refused_at_dump(model: Callable[[], Any], field: str) -> None:
    est = _fit(model())
    with pytest.raises(milo_codec.UnsupportedModelError, match=rf"\$\.model\.params\.{field}"):
        milo_codec.dumps(est)


@pytest.mark.parametrize("input_kind", ["filename", "file"])
def test_vectorizers_reading_files_are_refused_at_dump(input_kind: str) -> None:
    for cls in (CountVectorizer, TfidfVectorizer, HashingVectorizer):
        with pytest.raises(milo_codec.UnsupportedModelError, match=r"\$\.model\.params\.input"):
            milo_codec.dumps(cls(input=input_kind))


def test_hashing_at_the_largest_width_allocates_nothing_per_column() -> None:
    """The schema's bound on n_features is scikit-learn's (int32 column indices); the output is
    sparse, so even the widest hasher costs memory per stored value only."""
    # scikit-learn's own intervals: [1, 2**31 - 1) for one, [1, 2**31 - 1] for the other
    for est in (HashingVectorizer(n_features=2**31 - 2), FeatureHasher(n_features=2**31 - 1)):
        loaded = milo_codec.loads(milo_codec.dumps(est))
        X = loaded.transform(QUERY if isinstance(est, HashingVectorizer) else [{"a": 1.0}])
        assert X.shape[1] == est.n_features
        assert X.indptr.nbytes + X.indices.nbytes + X.data.nbytes < 4096


@pytest.mark.parametrize(
    "make",
    [CountVectorizer, TfidfVectorizer, HashingVectorizer, TfidfTransformer, DictVectorizer],
)
def test_an_unfitted_vectorizer_round_trips(make: Callable[[], Any]) -> None:
    model = make()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert vars(loaded).keys() == vars(model).keys()
    assert loaded.get_params() == model.get_params()


def test_a_query_after_loading_reruns_only_the_stop_word_warning_check() -> None:
    """_stop_words_id is an id() from the writing process: after loading it names no live
    object, so the stop-word consistency check runs once more, and outputs do not change."""
    model = _fit(CountVectorizer(stop_words=["the", "a"]))
    loaded = milo_codec.loads(milo_codec.dumps(model))
    assert loaded._stop_words_id == model._stop_words_id
    out = loaded.transform(QUERY)
    assert loaded._stop_words_id == id(loaded.stop_words)
    assert (out != model.transform(QUERY)).nnz == 0


def test_patch_extractor_round_trips_with_its_sampling_seed() -> None:
    images = np.random.RandomState(0).rand(2, 6, 6)
    model = PatchExtractor(patch_size=(2, 3), max_patches=4, random_state=3).fit(images)
    loaded = milo_codec.loads(milo_codec.dumps(model))
    np.testing.assert_array_equal(loaded.transform(images), model.transform(images))
