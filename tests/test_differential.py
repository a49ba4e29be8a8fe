"""Differential checks: every judge of a document agrees with the others.

1. ``validate(text).ok`` is true exactly when ``loads(text)`` succeeds: what validates loads,
   what loads validates (a ConstructionError after a clean validation is a bug).
2. The codecs generated from the schemas and an independent JSON Schema validator (Python
   ``jsonschema``, draft 2020-12, local registry) judge documents alike, except for the checks
   only milo_codec performs (schemas/README.md §5): a document the codec accepts is valid for
   ``jsonschema``; one ``jsonschema`` rejects is refused by the codec; and a document
   ``jsonschema`` accepts but the codec refuses is refused for a §5 reason, recognised by its
   message (``PYTHON_ONLY``) and counted.

Documents come from real fitted models (tests/recipes.py) and small mutations of them, and
from parameters drawn from the schemas themselves (tests/schema_strategies.py). The default
run is bounded; ``MILO_FUZZ=full`` runs every class's recipes and many more examples, and
prints the counts.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import random
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from recipes import recipes_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schema_strategies import Schemas, instances, params_of
from test_schemas import registry

import milo_codec
from milo_codec import pipeline
from milo_codec.errors import (
    ConstructionError,
    DocumentError,
    InvariantError,
    LimitError,
    SchemaError,
)
from milo_codec.objects import OBJECT_KINDS

FULL = os.environ.get("MILO_FUZZ") == "full"
# MILO_FUZZ_RECIPES=first: the full run with one recipe per class (minutes, not an hour).
FIRST_RECIPES = os.environ.get("MILO_FUZZ_RECIPES") == "first"
ENVELOPE = "https://milo-codec.invalid/schemas/envelope/v1.json"
SCHEMAS = Schemas()
COUNTS: Counter[str] = Counter()

# ---------------------------------------------------------------------------
# The independent judge: jsonschema, with ECMA-262 regular expressions.
#
# JSON Schema patterns are ECMA-262 regular expressions (what ajv runs; the codecs run Rust's
# regex engine, which reads every pattern of the milo schemas the same way). Python's ``re``
# differs in one way that matters here: ``$`` also matches before a trailing newline, so
# ``jsonschema`` alone would accept "utf-8\n" as an ``encoding``. The judge anchors at the
# very end instead, as ECMA-262 does.
_DOLLAR = re.compile(r"(?<!\\)\$$")


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if isinstance(instance, str) and not re.search(_DOLLAR.sub(r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _registry() -> Registry:
    """The local schemas without their ``$schema``: a ``$ref`` into a resource that names its
    dialect would switch to jsonschema's stock validator class, and its ``pattern``."""
    resources = []
    for resource_id, schema in SCHEMAS.files.items():
        body = {k: v for k, v in schema.items() if k != "$schema"}
        resources.append((resource_id, Resource(contents=body, specification=DRAFT202012)))
    return registry().with_resources(resources)


_Judge = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
JUDGE = _Judge({"$ref": ENVELOPE}, registry=_registry())


def schema_valid(doc: Any) -> bool:
    return next(JUDGE.iter_errors(doc), None) is None


# ---------------------------------------------------------------------------
# The checks only milo_codec performs (schemas/README.md §5), by the messages they give.
PYTHON_ONLY: dict[str, re.Pattern[str]] = {
    "§5.2 integer vs float by lexical form": re.compile(
        r"expected an integer$|expected a float|an integer or |an integer, |non-negative integer|"
        r"expected one of .*(an integer|a number)|should be a valid integer|or a float|"
        r"a float \(a number with a decimal point"
    ),
    "§5.3 array data vs shape and dtype": re.compile(
        r"data has shape|expected an array of \d+ items|expected (a|an) \w+, got|overflows|"
        r"out of range|allocated rows|allocated_rows|reversed view|expected axes|"
        r"longer than|U\d+ width|a 0-d array|row stride|"
        r"greater than shape\[0\]"
    ),
    "§5.4 sparse structure": re.compile(r"indptr|indices"),
    "§5.5 structured arrays": re.compile(
        r"offset|itemsize|field names|duplicate field name|missing field|unknown field|column"
    ),
    "§5.7 closed tables and object kinds": re.compile(
        r"random_state must not be a seed|invalid arguments for|must hold \d+ uint32|arguments"
    ),
    "§5.11 dict keys hashable and unique as Python values": re.compile(
        r"duplicate key|not hashable"
    ),
    "§5.14 members only in compact files": re.compile(r"array members exist only in compact"),
}


_OBJECT_KIND = re.compile(r"\.(" + "|".join(OBJECT_KINDS) + r")(\.|\[|$)")
# An object array's element or a dict_items pair, which the schemas leave open (§5.13).
_OPEN_ITEM = re.compile(r"(.*)\.ndarray\.data\[\d+\]|.*\.dict_items\[\d+\]\[[01]\]")


def _open_item(doc: Any, path: str) -> bool:
    found = _OPEN_ITEM.match(path)
    if found is None or found.group(1) is None:  # a dict_items pair, or nothing open
        return found is not None
    payload = _at(doc, f"{found.group(1)}.ndarray")
    return isinstance(payload, dict) and payload.get("dtype") == "object"


_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def _at(doc: Any, path: str) -> Any:
    """The value at a problem's JSON path (``$.model.params.x[0]``), or None."""
    node = doc
    for name, index, quoted in _STEP.findall(path[1:]):
        key: Any = int(index) if index else json.loads(f'"{quoted}"') if quoted else name
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _integral_float(value: Any) -> bool:
    """A float with an integral value, or a numpy scalar holding one (``{"int64": 2.0}``)."""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return type(value) is float and value.is_integer()


def python_only_reason(error: DocumentError, doc: Any = None) -> str | None:
    """The §5 item that explains every problem of a refusal ``jsonschema`` did not make."""
    if isinstance(error, LimitError):
        return "§5.12 resource limits"
    if isinstance(error, InvariantError):
        return "§5.6/§5.10 invariants and aliases"
    if not isinstance(error, SchemaError):
        return None
    reasons = set()
    for problem in error.problems:
        found = [name for name, pattern in PYTHON_ONLY.items() if pattern.search(problem.message)]
        if not found and _integral_float(_at(doc, problem.path)):
            # e.g. 1.0 where pydantic then reports the union's float branch: "less than 1"
            found = ["§5.2 integer vs float by lexical form"]
        if not found and problem.path.endswith((".allocated_rows", ".reversed_axes")):
            found = ["§5.3 array data vs shape and dtype"]  # the §3.1 view constraints
        if not found and _OBJECT_KIND.search(problem.path):
            found = ["§5.7 closed tables and object kinds"]
        if not found and _open_item(doc, problem.path):
            found = ["§5.13 generic values inside open containers"]
        if not found:
            return None
        reasons.add(found[0])
    return " + ".join(sorted(reasons))


def judge(text: str, construct: bool = True) -> str:
    """Compare the judges on one document; the agreement's name (raises on a disagreement)."""
    doc = json.loads(text)
    valid = schema_valid(doc)
    report = milo_codec.validate(text)
    outcome: BaseException | None = None
    if construct:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                milo_codec.loads(text)
        except milo_codec.MiloError as e:
            outcome = e
    else:
        try:
            pipeline.read_document(text)
        except milo_codec.MiloError as e:
            outcome = e
    where = f"\n{text[:3000]}"
    assert not isinstance(outcome, ConstructionError), f"validated but not built: {outcome}{where}"
    if construct:
        assert report.ok == (outcome is None), f"validate {report} but loads {outcome!r}{where}"
    if outcome is None:
        assert valid, f"the codec accepts a document jsonschema rejects: {_why(doc)}{where}"
        return "both accept"
    if not valid:
        return "both refuse"
    assert isinstance(outcome, DocumentError), f"{outcome!r}{where}"
    reason = python_only_reason(outcome, doc)
    assert reason is not None, f"refused for a reason §5 does not list: {outcome}{where}"
    return f"python-only: {reason}"


def _why(doc: Any) -> str:
    return "; ".join(f"{e.json_path}: {e.message}" for e in JUDGE.iter_errors(doc))[:2000]


def record(what: str) -> None:
    COUNTS["documents"] += 1
    COUNTS[what] += 1


@pytest.fixture(scope="module", autouse=True)
def _print_counts() -> Iterator[None]:
    yield
    if COUNTS:
        lines = [f"  {k}: {v}" for k, v in sorted(COUNTS.items())]
        print("\ndifferential counts:\n" + "\n".join(lines))


# ---------------------------------------------------------------------------
# Documents


def _class(class_path: str) -> type:
    module, name = class_path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _unfitted_nodes() -> list[dict]:
    nodes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for class_path in milo_codec.supported_models():
            try:
                est = _class(class_path)()
                nodes.append(json.loads(milo_codec.dumps(est))["model"])
            except (TypeError, milo_codec.UnsupportedModelError):  # a required argument
                continue
    return nodes


UNFITTED = _unfitted_nodes()
_HEAD = {k: v for k, v in json.loads(milo_codec.dumps(_class(UNFITTED[0]["class"])())).items()}
_HEAD.pop("digest")


def wrap(node: dict) -> str:
    return json.dumps({**_HEAD, "model": node})


# Default run: classes from different families (object kinds, nested models, aliases,
# sparse and structured arrays, closed function tables), one recipe each.
SAMPLE = (
    "sklearn.linear_model.LogisticRegression",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.tree.DecisionTreeClassifier",
    "sklearn.cluster.KMeans",
    "sklearn.neighbors.KNeighborsClassifier",
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.svm.SVC",
    "sklearn.gaussian_process.GaussianProcessRegressor",
    "sklearn.feature_selection.SelectKBest",
)


def _fitted_texts() -> list[tuple[str, str]]:
    out = []
    classes = list(milo_codec.supported_models()) if FULL else list(SAMPLE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for class_path in classes:
            recipes = recipes_for(_class(class_path))
            for recipe in recipes if FULL and not FIRST_RECIPES else recipes[:1]:
                text = milo_codec.dumps(recipe.fit().estimator)
                out.append((f"{class_path.rsplit('.', 1)[1]}-{recipe.id}", text))
    return out


# ---------------------------------------------------------------------------
# Mutations of real documents


def _places(value: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _places(v, (*path, k))
    elif isinstance(value, list):
        # Long array data: a few positions are enough.
        for i in sorted({0, len(value) // 2, len(value) - 1}) if value else ():
            yield from _places(value[i], (*path, i))


def _enum_strings() -> list[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("enum", "const"):
                    found.update(x for x in (v if k == "enum" else [v]) if isinstance(x, str))
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(SCHEMAS.files)
    return sorted(found)


ENUM_STRINGS = _enum_strings()


def mutate(doc: dict, rng: random.Random) -> dict:
    """One small change at a random place of the model node."""
    doc = copy.deepcopy(doc)
    places = [p for p in _places(doc["model"]) if p]
    path = rng.choice(places)
    parent = doc["model"]
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    value = parent[key]
    ops = ["retype", "drop"] if isinstance(parent, dict) else ["retype", "drop", "duplicate"]
    if type(value) is int:
        ops += ["int"] * 3
    if type(value) is float:
        ops += ["float"] * 3
    if type(value) is str:
        ops += ["string"] * 3
    op = rng.choice(ops)
    if op == "drop":
        del parent[key]
    elif op == "duplicate":
        parent.insert(key, copy.deepcopy(value))
    elif op == "int":
        parent[key] = rng.choice(
            [value + 1, value - 1, -value, 0, float(value), 2**63, -(2**63) - 1, 2**64, True]
        )
    elif op == "float":
        parent[key] = rng.choice(
            [-value, value * 2, 0.0, -1.0, 1e308, 1e-320, round(value), 3.5e38]
        )
    elif op == "string":
        parent[key] = rng.choice(
            [rng.choice(ENUM_STRINGS), value + "x", value[:-1], value.upper(), "", "NaN", "-NaN"]
        )
    else:
        parent[key] = rng.choice([None, True, 0, 1.5, "x", [], {}, {"float": "NaN"}])
    return doc


def _mutants_per_document() -> int:
    return 30 if FULL else 8


@pytest.fixture(scope="module")
def fitted_texts() -> list[tuple[str, str]]:
    return _fitted_texts()


def test_real_documents_are_judged_alike(fitted_texts: list[tuple[str, str]]) -> None:
    for _, text in fitted_texts:
        assert judge(text) == "both accept"
        record("real document, both accept")
    unfitted = UNFITTED if FULL else UNFITTED[::10]
    for node in unfitted:
        assert judge(wrap(node)) == "both accept"
        record("real document, both accept")


def test_mutants_of_real_documents_are_judged_alike(
    fitted_texts: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Mutants are validated here and loaded in a child process (a crafted file may crash)."""
    from crafted import load_in_children

    rng = random.Random(20261127)
    mutants: dict[str, str] = {}
    for name, text in fitted_texts:
        doc = json.loads(text)
        del doc["digest"]
        for i in range(_mutants_per_document()):
            mutants[f"{name}#{i}"] = json.dumps(mutate(doc, rng))
    judged: dict[str, str] = {}
    disagreements: list[str] = []
    for name, text in mutants.items():
        try:
            judged[name] = judge(text, construct=False)
        except AssertionError as e:  # gather them all: one run shows every kind found
            disagreements.append(f"{name}: {str(e)[:600]}")
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(
        disagreements[:8]
    )
    outcomes = load_in_children(mutants, tmp_path)
    for name, text in mutants.items():
        outcome = outcomes[name]
        report_ok = judged[name] == "both accept"
        assert outcome.status in ("loaded", "error"), f"{name}: {outcome}\n{text[:3000]}"
        assert outcome.error != "ConstructionError", f"{name}: {outcome}\n{text[:3000]}"
        assert report_ok == (outcome.status == "loaded"), f"{name}: {outcome}\n{text[:3000]}"
        record(f"mutant, {judged[name]}")


# ---------------------------------------------------------------------------
# Parameters drawn from the schemas


MODEL_IDS = SCHEMAS.model_ids()


@pytest.mark.parametrize("schema_id", MODEL_IDS, ids=lambda s: s.split("/schemas/sklearn/")[1])
def test_params_drawn_from_the_schema_are_judged_alike(schema_id: str) -> None:
    class_path = SCHEMAS.files[schema_id]["x-milo-class"]

    @settings(
        max_examples=100 if FULL else 2,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(instances(SCHEMAS, params_of(SCHEMAS, schema_id), UNFITTED))
    def check(params: Any) -> None:
        node = {"class": class_path, "schema": schema_id, "params": params, "state": None}
        record(f"drawn params, {judge(wrap(node))}")

    check()


def test_the_drawn_documents_are_both_valid_and_invalid() -> None:
    """Guard against comparing nothing: the strategy yields both kinds (when the draws ran)."""
    drawn = {k: v for k, v in COUNTS.items() if k.startswith("drawn params")}
    if not drawn:
        pytest.skip("no drawn documents in this run")
    total = sum(drawn.values())
    assert drawn.get("drawn params, both accept", 0) >= 0.2 * total, drawn
    assert drawn.get("drawn params, both refuse", 0) >= 0.2 * total, drawn


def test_a_kernel_named_by_a_non_string_is_a_schema_error() -> None:
    """Found by the mutants: an unhashable kernel name raised TypeError from the table lookup."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF

    doc = json.loads(milo_codec.dumps(GaussianProcessRegressor(kernel=RBF())))
    del doc["digest"]
    doc["model"]["params"]["kernel"]["kernel"]["name"] = {"float": "NaN"}
    assert judge(json.dumps(doc)) == "both refuse"
    with pytest.raises(SchemaError, match=r"\$\.model\.params\.kernel\.kernel\.name: expected one"):
        milo_codec.loads(json.dumps(doc))


@pytest.mark.parametrize("name", ["a\r", "a\u2028", "a\n", ""])
def test_step_names_with_line_breaks_are_refused_as_ecma_262_reads_the_pattern(name: str) -> None:
    """Found by the drawn params: ``^.{1,256}$`` let the codecs (Rust regex: ``.`` excludes only
    ``\\n``) accept "a\\r", which ajv (ECMA-262: ``.`` excludes every line terminator) refuses."""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline

    doc = json.loads(milo_codec.dumps(Pipeline([("a", LinearRegression())])))
    del doc["digest"]
    doc["model"]["params"]["steps"][0]["tuple"][0] = name
    assert judge(json.dumps(doc)) == "both refuse"


def test_a_unicode_dtype_with_a_trailing_newline_is_refused() -> None:
    """Found by the drawn params: Python's ``$`` let "U1\\n" through the codec's dtype check."""
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    doc = json.loads(milo_codec.dumps(StandardScaler().fit(np.eye(3))))
    del doc["digest"]
    doc["model"]["state"]["mean_"] = {"ndarray": {"dtype": "U1\n", "shape": [], "data": "x"}}
    assert judge(json.dumps(doc), construct=False) == "both refuse"


def test_the_object_dtype_the_schema_allows_is_accepted() -> None:
    """Found by the drawn params: $defs/dtype lists "object", but the codecs of unrefined
    dtype fields (OneHotEncoder.dtype, generic values) refused it."""
    from sklearn.preprocessing import OneHotEncoder

    doc = json.loads(milo_codec.dumps(OneHotEncoder()))
    del doc["digest"]
    doc["model"]["params"]["dtype"] = {"dtype": "object"}
    assert judge(json.dumps(doc)) == "both accept"
    import numpy as np

    assert milo_codec.loads(json.dumps(doc)).dtype == np.dtype(object)


@pytest.mark.parametrize("value", [{}, [], None, {"ndarray": 1}])
def test_a_recarray_field_holding_something_else_is_a_schema_error(value: Any) -> None:
    """Found by the mutants: a tree's "nodes" without its "recarray" key raised KeyError."""
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    X = np.random.RandomState(0).randn(30, 2)
    doc = json.loads(milo_codec.dumps(DecisionTreeClassifier().fit(X, X[:, 0] > 0)))
    del doc["digest"]
    doc["model"]["state"]["tree_"]["tree"]["nodes"] = value
    assert judge(json.dumps(doc), construct=False) == "both refuse"
    with pytest.raises(SchemaError, match=r"tree_\.tree\.nodes"):
        pipeline.read_document(json.dumps(doc))
