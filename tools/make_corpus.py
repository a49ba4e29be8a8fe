"""Write the regression corpus of hostile files: tests/corpus/<name>.json, expected.json, README.md.

One small crafted file per kind of attack in SECURITY.md, each with the outcome a reader must
give: the milo_codec error class and the JSON path it names (``$`` for a whole-document or
byte-level refusal). tests/test_corpus.py loads every file in child processes and checks it.

    PYTHONPATH=src .venv/bin/python tools/make_corpus.py

The files are committed; rerun this after a deliberate format change and review the diff.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import milo_codec

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


@dataclass(frozen=True)
class Case:
    name: str
    attack: str  # the row of SECURITY.md's table
    attempt: str
    build: Callable[[], bytes]
    error: str
    path: str
    suffix: str = ".json"  # ".milo": a compact file (a zip)

    @property
    def file(self) -> str:
        return f"{self.name}{self.suffix}"


def _X() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.RandomState(0).randn(20, 2).round(3)
    return X, np.arange(20) % 2


def _doc(model: Any) -> dict:
    doc = json.loads(milo_codec.dumps(model))
    del doc["digest"]  # an attacker sends no digest: the checks behind it must hold
    return doc


def _wide_ridge() -> Any:
    from sklearn.linear_model import Ridge

    rng = np.random.RandomState(0)
    X = rng.randn(30, 100).round(3)
    return Ridge().fit(X, X @ rng.randn(100))


def _compact(
    edit: Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]],
) -> Callable[[], bytes]:
    """A compact file of a 100-feature Ridge (its coef_ is member arrays/0.npy), whose
    members (name, bytes) are edited and zipped again, stored unless named in ``deflate``."""

    def build() -> bytes:
        blob = milo_codec.dumps(_wide_ridge(), compact=True)
        z = zipfile.ZipFile(io.BytesIO(blob))
        members = edit([(n, z.read(n)) for n in z.namelist()])
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as w:
            for name, data in members:
                method = zipfile.ZIP_DEFLATED if name.endswith(".deflate") else zipfile.ZIP_STORED
                w.writestr(zipfile.ZipInfo(name.removesuffix(".deflate")), data, method)
        return out.getvalue()

    return build


def _manifest(
    edit: Callable[[dict], None],
) -> Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]]:
    def apply(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        doc = json.loads(members[0][1])
        edit(doc)
        return [("model.json", json.dumps(doc).encode()), *members[1:]]

    return apply


def _coef(**changes: Any) -> Callable[[dict], None]:
    return lambda d: d["model"]["state"]["coef_"]["ndarray"].update(changes)


def _text(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=True).encode()


def _edited(model: Callable[[], Any], edit: Callable[[dict], None]) -> Callable[[], bytes]:
    def build() -> bytes:
        doc = _doc(model())
        edit(doc)
        return _text(doc)

    return build


def _tree() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=2, random_state=0).fit(*_X())


def _ridge() -> Any:
    from sklearn.linear_model import Ridge

    X, y = _X()
    return Ridge().fit(X, y.astype(float))


def _svc() -> Any:
    from sklearn.svm import SVC

    return SVC().fit(*_X())


def _knn() -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(algorithm="kd_tree", leaf_size=5).fit(*_X())


def _hgb() -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=1, max_depth=2, min_samples_leaf=3, random_state=0
    ).fit(*_X())


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer().fit(["apple banana", "banana cherry"])


def _function_transformer() -> Any:
    from sklearn.preprocessing import FunctionTransformer

    return FunctionTransformer(np.log1p).fit(_X()[0])


def _pipeline() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(*_X())


def _select() -> Any:
    from sklearn.feature_selection import SelectFromModel
    from sklearn.linear_model import LogisticRegression

    return SelectFromModel(LogisticRegression()).fit(*_X())


def _set(*path: str | int, value: Any) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        node = doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return edit


def _class_outside_table(doc: dict) -> None:
    doc["model"]["class"] = "os.system"
    doc["model"]["schema"] = "https://milo-codec.invalid/schemas/os/system/v1.json"


def _private_path(doc: dict) -> None:
    # The same class under its defining module: names are keys of a table, not import paths.
    doc["model"]["class"] = "sklearn.linear_model._ridge.Ridge"


def _dunder_member(doc: dict) -> None:
    doc["model"]["state"]["__class__"] = "builtins.object"


def _huge_shape(doc: dict) -> None:
    doc["model"]["state"]["coef_"]["ndarray"]["shape"] = [2**40]


def _wide_strings(doc: dict) -> None:
    doc["model"]["state"]["classes_"] = {
        "ndarray": {"dtype": "U999999", "shape": [1100], "data": ["a"] * 1100}
    }


def _huge_sparse() -> bytes:
    import scipy.sparse as sp
    from sklearn.svm import SVC

    X, y = _X()
    doc = _doc(SVC().fit(sp.csr_matrix(X), y))
    # Support vectors declaring 2**40 rows: their indptr would need 2**40 + 1 entries.
    doc["model"]["state"]["support_vectors_"]["sparse"]["shape"][0] = 2**40
    return _text(doc)


def _deep_nesting() -> bytes:
    doc = _doc(_ridge())
    value: Any = 1.0
    for _ in range(150):
        value = [value]
    doc["model"]["params"]["alpha"] = value
    return _text(doc)


def _tree_child(doc: dict) -> None:
    doc["model"]["state"]["tree_"]["tree"]["nodes"]["recarray"]["columns"]["left_child"][0] = 99


def _libsvm_counts(doc: dict) -> None:
    n = doc["model"]["state"]["_n_support"]["ndarray"]["data"]
    n[0] += 1


def _kdtree_data(doc: dict) -> None:
    doc["model"]["state"]["_tree"]["kd_tree"]["data"] = {
        "ndarray": {"dtype": "float64", "shape": [3, 2], "data": [[0.0, 0.0]] * 3}
    }


def _hgb_node(doc: dict) -> None:
    predictor = doc["model"]["state"]["_predictors"][0][0]
    nodes = predictor["hgb_predictor"]["nodes"]["recarray"]["columns"]
    nodes["left"][0] = 1000


def _vocabulary(doc: dict) -> None:
    doc["model"]["state"]["vocabulary_"]["dict"]["cherry"] = 0


def _malformed(text: str) -> Callable[[], bytes]:
    return lambda: text.encode("utf-8", "surrogatepass")


def _ridge_text() -> str:
    return _text(_doc(_ridge())).decode()


def _tampered() -> bytes:
    doc = json.loads(milo_codec.dumps(_ridge()))
    doc["model"]["state"]["intercept_"] = {"float64": 1000.0}
    return json.dumps(doc).encode()


def _duplicate_key() -> bytes:
    text = _ridge_text()
    return text.replace('"alpha": 1.0', '"alpha": 1.0, "alpha": 1000.0', 1).encode()


CASES = [
    Case(
        "code-class-outside-table",
        "run code while loading",
        'the model names "os.system" as its class (and a schema $id for it)',
        _edited(_ridge, _class_outside_table),
        "SchemaError",
        "$.model.schema",
    ),
    Case(
        "code-function-outside-table",
        "run code while loading",
        "a FunctionTransformer whose func names builtins.eval",
        _edited(
            _function_transformer,
            _set("model", "params", "func", value={"function": "builtins.eval"}),
        ),
        "SchemaError",
        "$.model.params.func.function",
    ),
    Case(
        "name-private-module-path",
        "run code while loading",
        "the class named by its defining module instead of its public path",
        _edited(_ridge, _private_path),
        "SchemaError",
        "$.model.class",
    ),
    Case(
        "name-dunder-state-member",
        "run code while loading",
        "a __class__ member added to the fitted state",
        _edited(_ridge, _dunder_member),
        "SchemaError",
        "$.model.state.__class__",
    ),
    Case(
        "memory-declared-shape",
        "exhaust memory",
        "coef_ declares 2**40 elements with five values of data",
        _edited(_ridge, _huge_shape),
        "LimitError",
        "$.model.state.coef_.ndarray",
    ),
    Case(
        "memory-string-width",
        "exhaust memory",
        "classes_ as 1,100 strings of dtype U999999 (4.4 GB as numpy would store them)",
        _edited(_tree, _wide_strings),
        "LimitError",
        "$.model.state.classes_.ndarray",
    ),
    Case(
        "memory-sparse-shape",
        "exhaust memory",
        "an SVC fitted on sparse data whose support vectors declare 2**40 rows",
        _huge_sparse,
        "SchemaError",
        "$.model.state.support_vectors_.sparse.indptr",
    ),
    Case(
        "stack-deep-nesting",
        "exhaust the stack",
        "a parameter nested 150 arrays deep",
        _deep_nesting,
        "LimitError",
        # The first array past max_depth (128): the document's root, model and params
        # objects take three levels.
        "$.model.params.alpha" + "[0]" * 125,
    ),
    Case(
        "memory-huge-integer",
        "exhaust memory",
        "n_features_in_ as a 2,000-bit integer",
        _edited(_ridge, _set("model", "state", "n_features_in_", value=2**2000)),
        "LimitError",
        "$.model.state.n_features_in_",
    ),
    Case(
        "compiled-tree-child-out-of-range",
        "hang or crash compiled code at load",
        "a decision tree node whose left child is node 99 of 7",
        _edited(_tree, _tree_child),
        "InvariantError",
        "$.model.state.tree_.tree.nodes.recarray.columns.left_child[0]",
    ),
    Case(
        "compiled-libsvm-support-counts",
        "hang or crash compiled code at load",
        "an SVC whose per-class support counts add up to one more than its support vectors",
        _edited(_svc, _libsvm_counts),
        "InvariantError",
        "$.model.state._n_support",
    ),
    Case(
        "compiled-kdtree-data",
        "hang or crash compiled code at load",
        "a KD-tree built from 3 rows while the estimator's indices refer to 20",
        _edited(_knn, _kdtree_data),
        "InvariantError",
        "$.model.state._tree.kd_tree.data",
    ),
    Case(
        "compiled-hgb-predictor-node",
        "hang or crash compiled code at load",
        "a HistGradientBoosting predictor node whose left child is node 1000",
        _edited(_hgb, _hgb_node),
        "InvariantError",
        "$.model.state._predictors[0][0].hgb_predictor.nodes",
    ),
    Case(
        "mispredict-vocabulary-not-permutation",
        "mis-predict silently",
        "a CountVectorizer vocabulary mapping two terms to column 0",
        _edited(_vectorizer, _vocabulary),
        "InvariantError",
        "$.model.state.vocabulary_.dict.cherry",
    ),
    Case(
        "predict-input-filename",
        "choose a code path at predict time",
        'a CountVectorizer with input="filename" (would open paths named by its input)',
        _edited(_vectorizer, _set("model", "params", "input", value="filename")),
        "SchemaError",
        "$.model.params.input",
    ),
    Case(
        "predict-pipeline-memory",
        "choose a code path at predict time",
        "a Pipeline with memory set to a cache directory",
        _edited(_pipeline, _set("model", "params", "memory", value="/tmp/cache")),
        "SchemaError",
        "$.model.params.memory",
    ),
    Case(
        "predict-importance-getter-dunder",
        "choose a code path at predict time",
        "a SelectFromModel whose importance_getter walks into __init__.__globals__",
        _edited(
            _select, _set("model", "params", "importance_getter", value="__init__.__globals__")
        ),
        "SchemaError",
        "$.model.params.importance_getter",
    ),
    Case(
        "tampered-digest",
        "tamper with a reviewed model",
        "a Ridge whose intercept was changed after writing, digest kept",
        _tampered,
        "IntegrityError",
        "$.digest.sha256",
    ),
    Case(
        "compact-header-lies",
        "abuse the compact archive",
        "coef_'s NPY header says int64 where the document says float64",
        _compact(lambda m: [m[0], (m[1][0], m[1][1].replace(b"'<f8'", b"'<i8'", 1))]),
        "SchemaError",
        "$.model.state.coef_.ndarray.member",
        ".milo",
    ),
    Case(
        "compact-huge-declared-block",
        "abuse the compact archive",
        "coef_ declared as 2^40 float64s (8 TiB) with an 800-byte member",
        _compact(_manifest(_coef(shape=[1 << 40]))),
        "LimitError",
        "$.model.state.coef_.ndarray",
        ".milo",
    ),
    Case(
        "compact-extra-member",
        "abuse the compact archive",
        "a member no array names (a payload riding along)",
        _compact(lambda m: [*m, ("arrays/1.npy", m[1][1])]),
        "SchemaError",
        "$",
        ".milo",
    ),
    Case(
        "compact-path-traversal",
        "abuse the compact archive",
        "the block stored as ../../escape.npy",
        _compact(lambda m: [m[0], ("../../escape.npy", m[1][1])]),
        "ParseError",
        "$",
        ".milo",
    ),
    Case(
        "compact-deflated-member",
        "abuse the compact archive",
        "the block compressed (a zip bomb's first step)",
        _compact(lambda m: [m[0], (m[1][0] + ".deflate", m[1][1])]),
        "ParseError",
        "$",
        ".milo",
    ),
    Case(
        "compact-no-digest",
        "abuse the compact archive",
        "model.json without its digest",
        _compact(_manifest(lambda d: d.pop("digest"))),
        "SchemaError",
        "$.digest",
        ".milo",
    ),
    Case(
        "json-bom",
        "crash the reader with a malformed file",
        "a valid document preceded by a UTF-8 byte order mark",
        lambda: b"\xef\xbb\xbf" + _ridge_text().encode(),
        "ParseError",
        "$",
    ),
    Case(
        "json-lone-surrogate",
        "crash the reader with a malformed file",
        "a string holding an escaped lone surrogate (\\ud800)",
        lambda: _ridge_text().replace('"milo"', '"milo\\ud800"', 1).encode(),
        "ParseError",
        "$",
    ),
    Case(
        "json-duplicate-key",
        "crash the reader with a malformed file",
        "alpha given twice (most parsers keep the last silently)",
        _duplicate_key,
        "ParseError",
        "$.model.params",
    ),
    Case(
        "json-bare-nan",
        "crash the reader with a malformed file",
        "alpha written as a bare NaN",
        lambda: _ridge_text().replace('"alpha": 1.0', '"alpha": NaN', 1).encode(),
        "ParseError",
        "$",
    ),
    Case(
        "json-trailing-data",
        "crash the reader with a malformed file",
        "a second document after the first",
        lambda: (_ridge_text() + "\n{}").encode(),
        "ParseError",
        "$",
    ),
    Case(
        "json-invalid-utf8",
        "crash the reader with a malformed file",
        "a byte 0xFF inside a string",
        lambda: _ridge_text().encode().replace(b'"milo"', b'"mi\xfflo"', 1),
        "ParseError",
        "$",
    ),
]


def main() -> None:
    CORPUS.mkdir(parents=True, exist_ok=True)
    for old in [*CORPUS.glob("*.json"), *CORPUS.glob("*.milo")]:
        old.unlink()
    expected = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in CASES:
            (CORPUS / case.file).write_bytes(case.build())
            expected[case.name] = {"file": case.file, "error": case.error, "path": case.path}
    (CORPUS / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    rows = "\n".join(
        f"| `{c.file}` | {c.attack} | {c.attempt} | `{c.error}` at `{c.path}` |" for c in CASES
    )
    (CORPUS / "README.md").write_text(
        "# Regression corpus of hostile files\n\n"
        "One small crafted file per kind of attack in `SECURITY.md`, generated by\n"
        "`tools/make_corpus.py` (rerun it after a deliberate format change and review the\n"
        "diff). `tests/test_corpus.py` loads each file in a child process and checks that the\n"
        "reader refuses it with exactly this error class, naming this JSON path (`$` for a\n"
        "refusal of the whole text).\n\n"
        "| File | Attack | What it attempts | Expected |\n|---|---|---|---|\n" + rows + "\n"
    )


if __name__ == "__main__":
    main()
