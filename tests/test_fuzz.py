"""Mutants of valid files of every supported class get a milo_codec error or a working model.

Each supported class contributes the document of its first recipe; hypothesis edits it (see
``mutants.py``). The only acceptable outcomes are a ``MiloError`` subclass, or a model whose
inference methods return or raise an ordinary exception on a small input. In this process,
any other exception out of ``loads``/``validate`` (KeyError, IndexError, RecursionError, a
numpy error, ...) is a failure hypothesis shrinks to a minimal edit list. In child processes
(with a 4 GiB address-space limit and a timeout), the same kind of mutants are loaded and
queried, so that a segfault, a hang or an allocation without bound shows up as an outcome.

Besides random mutants, every number outside arrays inside a model node (a tree's counts, a
label-to-column map, a nested model's sizes) is set to each of a few edge values in turn.

CI runs a fixed, derandomized handful of mutants per class, and one edge-number path per
shape; ``MILO_FUZZ=full`` runs many more mutants and every path.
Outcome counts per class family go to ``out/fuzz-report.json`` and the terminal summary.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import pickle
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crafted import editable_doc, load_in_children
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutants import mutants
from recipes import first_recipe

import milo_codec

FULL = os.environ.get("MILO_FUZZ") == "full"
# Examples per class, in this process and in children (CI keeps the run within ~90 s).
IN_PROCESS_PER_CLASS = 150 if FULL else 10
CHILD_PER_CLASS = 100 if FULL else 5
CHILD_RLIMIT = 4 << 30
CHILD_TIMEOUT = 60.0
REPORT = Path(os.environ.get("MILO_FUZZ_REPORT", "out/fuzz-report.json"))

# (family, variant) -> outcome -> count
STATS: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)


@dataclass(frozen=True)
class Seed:
    class_path: str
    text: str  # the valid document, without its digest
    query: Any  # a few rows of the recipe's query input

    def __repr__(self) -> str:  # failure reports name the class, not the whole document
        return f"Seed({self.class_path})"


def _family(class_path: str) -> str:
    return class_path.split(".")[1]


FAMILIES = sorted({_family(c) for c in milo_codec.supported_models()})


@functools.cache
def seeds() -> dict[str, list[Seed]]:
    out: dict[str, list[Seed]] = defaultdict(list)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for class_path in milo_codec.supported_models():
            module, name = class_path.rsplit(".", 1)
            fitted = first_recipe(getattr(importlib.import_module(module), name)).fit()
            text = json.dumps(editable_doc(fitted.estimator))
            out[_family(class_path)].append(Seed(class_path, text, _head(fitted.X)))
    return dict(out)


def _head(X: Any) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[:5]
    return X[:5]


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def _seed_and_mutant(family_seeds: list[Seed]) -> st.SearchStrategy[tuple[Seed, str, list[str]]]:
    return st.sampled_from(family_seeds).flatmap(
        lambda seed: mutants(seed.text).map(lambda m: (seed, m[0], m[1]))
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_mutants_raise_only_milo_errors(family: str) -> None:
    family_seeds = seeds()[family]

    @_settings(IN_PROCESS_PER_CLASS * len(family_seeds))
    @given(_seed_and_mutant(family_seeds))
    def check(case: tuple[Seed, str, list[str]]) -> None:
        seed, text, edits = case
        stats = STATS[(family, "in-process")]
        stats["mutants"] += 1
        # Anything but a MiloError escapes and fails the example (with the edits shown).
        note = f"{seed.class_path}: {edits}"
        with contextlib.suppress(milo_codec.MiloError):
            milo_codec.validate(text)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                milo_codec.loads(text)
        except milo_codec.MiloError as e:
            stats[f"error {type(e).__name__}"] += 1
        except BaseException as e:
            stats[f"ESCAPED {type(e).__name__}"] += 1
            raise AssertionError(f"{type(e).__name__} escaped loads for {note}") from e
        else:
            stats["loaded"] += 1

    check()


# Runs every inference method the loaded model has on the seed's query rows; an ordinary
# exception from one of them is allowed (reported as query-raised), a crash or hang is not.
_QUERY = """
import pickle
X = pickle.load(open({path!r}, "rb")).get(type(model).__name__)
raised = []
if X is not None:
    for method in ("predict", "transform", "decision_function", "predict_proba", "score_samples"):
        try:
            f = getattr(model, method, None)
            if f is not None:
                f(X)
        except (MemoryError, RecursionError):
            raise
        except Exception as e:
            raised.append(f"{{method}}: {{type(e).__name__}}")
if raised:
    raise RuntimeError("; ".join(raised))
"""

ALLOWED_IN_CHILDREN = {"error", "loaded", "query-raised"}


def _draw(family_seeds: list[Seed], per_class: int) -> list[tuple[Seed, str, list[str]]]:
    """Mutants drawn by hypothesis without testing them here (they go to child processes)."""
    drawn: list[tuple[Seed, str, list[str]]] = []

    @_settings(per_class * len(family_seeds))
    @given(_seed_and_mutant(family_seeds))
    def collect(case: tuple[Seed, str, list[str]]) -> None:
        drawn.append(case)

    collect()
    return drawn


def test_mutants_in_children_never_crash_hang_or_exhaust_memory(tmp_path: Path) -> None:
    docs: dict[str, str | dict] = {}
    edits_of: dict[str, list[str]] = {}
    queries: dict[str, Any] = {}
    for family, family_seeds in seeds().items():
        for seed in family_seeds:
            queries[seed.class_path.rsplit(".", 1)[1]] = seed.query
        for i, (seed, text, edits) in enumerate(_draw(family_seeds, CHILD_PER_CLASS)):
            name = f"{family}/{seed.class_path.rsplit('.', 1)[1]}/{i}"
            docs[name] = text
            edits_of[name] = edits
    query_path = tmp_path / "queries.pickle"
    query_path.write_bytes(pickle.dumps(queries))
    outcomes = load_in_children(
        docs,
        tmp_path / "mutants",
        timeout=CHILD_TIMEOUT,
        then=_QUERY.format(path=str(query_path)),
        rlimit=CHILD_RLIMIT,
    )
    bad = []
    for name, outcome in outcomes.items():
        family = name.split("/")[0]
        stats = STATS[(family, "children")]
        stats["mutants"] += 1
        stats[outcome.status] += 1
        if outcome.status == "error":
            stats[f"error {outcome.error}"] += 1
        elif (
            outcome.status == "query-raised"
        ):  # which methods raised what, e.g. "predict: ValueError"
            stats[f"query-raised {outcome.message}"] += 1
        # A small mutant that runs out of memory was sized by one of its numbers, before the
        # limits (which bound what a file may declare) or the checks could refuse it.
        if outcome.status not in ALLOWED_IN_CHILDREN or "memory ran out" in outcome.message:
            bad.append(f"{name} {edits_of[name]}: {outcome}")
    assert bad == []


# Each number outside arrays is set to each of these in turn (counts, indices, sizes).
EDGE_NUMBERS = (0, -1, 1000, 10**9, 1e9, -1.0, 0.5)
# Containers whose numbers are array data: the limits and the array checks bound those.
_ARRAYS = ("ndarray", "recarray", "csr_matrix", "csc_matrix")


def _nested_numbers(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to the numbers inside a model node that are not array data."""
    if isinstance(value, dict):
        if any(key in value for key in _ARRAYS):
            return
        for key, v in value.items():
            yield from _nested_numbers(v, (*path, key))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nested_numbers(v, (*path, i))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path


def _used(seed: Seed) -> str:
    """The seed's text after its model answered queries, as a user saves it: some models
    build caches on first use (MultiLabelBinarizer's label-to-column map)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = milo_codec.loads(seed.text)
        for method in ("predict", "transform", "decision_function", "predict_proba"):
            with contextlib.suppress(Exception):
                getattr(model, method, None)(seed.query)  # type: ignore[misc]
    return json.dumps(editable_doc(model))


def _edge_variants(text: str) -> Iterator[tuple[str, str]]:
    """(name, text) of a document with one nested number at one edge value. Outside full
    mode, one path per shape (list positions ignored): a forest's hundred trees repeat one
    shape."""
    doc = json.loads(text)
    seen = set()
    for path in _nested_numbers(doc["model"]):
        if len(path) == 2 and path[0] in ("params", "state"):
            continue  # top-level numbers: test_fitted_together and test_parameter_edges
        shape = tuple("*" if isinstance(p, int) else p for p in path)
        if not FULL and shape in seen:
            continue
        seen.add(shape)
        for edge in EDGE_NUMBERS:
            variant = json.loads(text)
            node = variant["model"]
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] = edge
            yield f"{'.'.join(map(str, path))}={edge!r}", json.dumps(variant)


def test_every_nested_number_at_an_edge_never_crashes_hangs_or_exhausts_memory(
    tmp_path: Path,
) -> None:
    """Numbers inside object kinds and nested models (a tree's counts, a label-to-column map,
    a kernel's sizes), each set to each edge value, loaded and queried in child processes.
    It found a MultiLabelBinarizer whose column map pointed past its classes: it loaded, and
    transform crashed the process (SIGSEGV) when making its output dense."""
    docs: dict[str, str | dict] = {}
    queries: dict[str, Any] = {}
    for family_seeds in seeds().values():
        for seed in family_seeds:
            name = seed.class_path.rsplit(".", 1)[1]
            queries[name] = seed.query
            for edit, text in _edge_variants(_used(seed)):
                docs[f"{name}/{edit}"] = text
    query_path = tmp_path / "queries.pickle"
    query_path.write_bytes(pickle.dumps(queries))
    outcomes = load_in_children(
        docs,
        tmp_path / "edges",
        timeout=CHILD_TIMEOUT,
        then=_QUERY.format(path=str(query_path)),
        rlimit=CHILD_RLIMIT,
    )
    bad = [
        f"{name}: {outcome}"
        for name, outcome in outcomes.items()
        if outcome.status not in ALLOWED_IN_CHILDREN
        or "memory ran out" in outcome.message
        or outcome.error == "MemoryError"
    ]
    assert len(docs) > 1000, len(docs)  # the walk still finds the nested numbers
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not STATS:
        return
    report: dict[str, Any] = {"mode": "full" if FULL else "ci", "families": {}}
    for (family, variant), counts in sorted(STATS.items()):
        report["families"].setdefault(family, {})[variant] = dict(sorted(counts.items()))
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for (_, variant), counts in STATS.items():
        totals[variant].update(counts)
    report["totals"] = {v: dict(sorted(c.items())) for v, c in sorted(totals.items())}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1) + "\n")
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if terminal is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # a teardown's output is otherwise swallowed
        terminal.write_line("")
        terminal.write_line(f"fuzz ({report['mode']} mode), written to {REPORT}:")
        for (family, variant), counts in sorted(STATS.items()):
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "mutants")
            terminal.write_line(f"  {family:22} {variant:10} {counts['mutants']:6}  {outcomes}")
