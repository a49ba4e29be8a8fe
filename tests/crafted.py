"""Load crafted documents in child interpreters: a crash or a hang is reported, never suffered.

A crafted file that slipped past the checks could crash the process in compiled code or loop
forever, so the tests never load one in their own process. Starting an interpreter per file
costs about a second (numpy, scipy, scikit-learn imports), so ``load_in_children`` loads a
whole batch in one child, one document after another, and starts a fresh child after the
document that crashed or hung it. Each document's outcome is reported separately, so tests
stay one case per crafted file.
"""

from __future__ import annotations

import copy
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_MARK = "@@milo-child@@ "

# ``then`` (optional) runs after a successful load with ``model`` bound, e.g. to predict.
_CHILD = r"""
import json, sys, warnings
import numpy as np
import milo_codec

MARK = sys.argv[1]
paths = json.load(sys.stdin)  # on stdin: thousands of paths would overflow the argument list
then = sys.argv[2]
if sys.argv[3]:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]),) * 2)
warnings.simplefilter("ignore")
for i, path in enumerate(paths):
    print(MARK + json.dumps({"begin": i}), flush=True)
    try:
        model = milo_codec.load(path)
    except milo_codec.MiloError as e:
        out = {"status": "error", "error": type(e).__name__, "message": str(e)}
    except BaseException as e:
        out = {"status": "unexpected", "error": type(e).__name__, "message": str(e)}
    else:
        out = {"status": "loaded", "error": "", "message": ""}
        if then:
            try:
                exec(then, {"model": model, "np": np})
            except BaseException as e:
                out = {"status": "query-raised", "error": type(e).__name__, "message": str(e)}
    print(MARK + json.dumps(out), flush=True)
"""


def editable_doc(estimator: object) -> dict:
    """The estimator's document as a dict to craft from, without its digest.

    Crafted variants go without the digest, as an attacker would send them: the checks behind
    it (schema, invariants) are what the crafted-file tests exercise.
    """
    import milo_codec

    doc = json.loads(milo_codec.dumps(estimator))
    del doc["digest"]
    return doc


def doc_cache(fits: Mapping[str, Callable[[], Any]]) -> Callable[[str], dict]:
    """For a base fit's name, a fresh copy of its editable document (each fit dumped once)."""
    cache: dict[str, dict] = {}

    def doc(base: str) -> dict:
        if base not in cache:
            cache[base] = editable_doc(fits[base]())
        return copy.deepcopy(cache[base])

    return doc


def nd(a: Any) -> dict:
    """An ndarray value as milo writes it (C order)."""
    a = np.asarray(a)
    return {"ndarray": {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.tolist()}}


@dataclass(frozen=True)
class Outcome:
    status: str  # loaded | error | unexpected | query-raised | crash | hang
    error: str = ""  # exception class name (or the signal / return code of a crash)
    message: str = ""

    @property
    def verdict(self) -> str:
        """The error class of a refused document, else its status in capitals (LOADED, ...)."""
        return self.error if self.status == "error" else self.status.upper()

    @property
    def problems(self) -> list[str]:
        """A refused document's problem lines, ``$.path: message`` (at most the first 20)."""
        return [line.strip() for line in self.message.splitlines()[1:]]

    @property
    def lines(self) -> list[str]:
        """The error class, then the message's lines (the shape milo_codec errors print in)."""
        return [self.error, *self.message.splitlines()] if self.status == "error" else [self.status]

    def __str__(self) -> str:
        return f"{self.status}: {self.error}: {self.message}"


def load_in_children(
    docs: dict[str, str | bytes | dict],
    directory: Path,
    timeout: float = 60.0,
    then: str = "",
    rlimit: int | None = None,
) -> dict[str, Outcome]:
    """Each document (JSON text or bytes, or a crafted dict) loaded in a child process → its outcome.

    ``timeout`` bounds one document's load (and ``then``), not the batch. ``rlimit`` caps the
    child's address space in bytes (``RLIMIT_AS``), so a document that makes the loader
    allocate without bound shows as a ``MemoryError`` outcome instead of swapping the machine.
    """
    directory.mkdir(parents=True, exist_ok=True)
    names = list(docs)
    paths = []
    for i, name in enumerate(names):
        doc = docs[name]
        if isinstance(doc, dict):
            # A crafted document: without its (now stale) digest, as an attacker would send it,
            # so that the checks behind the digest are what the test exercises.
            doc = json.dumps({k: v for k, v in doc.items() if k != "digest"})
        path = directory / f"crafted-{i}.json"
        if isinstance(doc, bytes):  # e.g. invalid UTF-8, a BOM
            path.write_bytes(doc)
        else:
            path.write_text(doc)
        paths.append(str(path))
    outcomes: dict[str, Outcome] = {}
    start = 0
    while start < len(names):
        done = _run_batch(paths[start:], timeout, then, rlimit)
        for offset, outcome in enumerate(done):
            outcomes[names[start + offset]] = outcome
        start += len(done)
    return outcomes


def load_cases(
    cases: Iterable[tuple[Any, ...]], doc_for: Callable[[Any], dict], directory: Path
) -> dict[str, tuple[Outcome, Any]]:
    """Crafted cases ``(base, mutate, ...)``: each ``mutate(doc_for(base))`` (which edits the
    document and returns what the test expects) loaded in child processes.

    Returns, by ``mutate.__name__``: the outcome and what ``mutate`` returned.
    """
    docs: dict[str, str | dict] = {}
    wants: dict[str, Any] = {}
    for base, mutate, *_ in cases:
        doc = doc_for(base)
        wants[mutate.__name__] = mutate(doc)
        docs[mutate.__name__] = doc
    out = load_in_children(docs, directory)
    return {name: (out[name], wants[name]) for name in docs}


def assert_mutants_survive(
    docs: list[str] | list[dict], directory: Path, query: Any, calls: Iterable[str]
) -> dict[str, int]:
    """Load every mutated document in child processes; each one that loads is asked every
    call (e.g. ``"m.predict(Xq)"``, with ``Xq`` the query array). A Python error from a call
    is fine; a crash, a hang or a non-milo_codec error from loading is not. Returns the
    counts of refused and loaded documents (some must be refused, or the mutants are toothless).
    """
    lambdas = "".join(f"    lambda m: {call},\n" for call in calls)
    then = (
        f"Xq = np.array({np.asarray(query).tolist()!r})\n"
        f"for call in (\n{lambdas}):\n"
        "    try:\n        call(model)\n    except Exception:\n        pass\n"
    )
    out = load_in_children({str(i): d for i, d in enumerate(docs)}, directory, then=then)
    bad = [str(o) for o in out.values() if o.status not in ("error", "loaded")]
    assert not bad, bad[:3]
    counts = {"refused": 0, "loaded": 0}
    for o in out.values():
        counts["refused" if o.status == "error" else "loaded"] += 1
    assert counts["refused"] > 0, counts
    return counts


def _run_batch(paths: list[str], timeout: float, then: str, rlimit: int | None) -> list[Outcome]:
    """Outcomes for a prefix of ``paths``: all of them, or up to the one that crashed/hung."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, _MARK, then, str(rlimit or "")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(paths))
    child.stdin.close()
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(_MARK):
                lines.put(line[len(_MARK) :])
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    outcomes: list[Outcome] = []
    # The first document also waits for the child's imports.
    budget = timeout + 60.0
    while len(outcomes) < len(paths):
        try:
            begin = lines.get(timeout=budget)
            result = lines.get(timeout=timeout) if begin is not None else None
        except queue.Empty:
            child.kill()
            child.wait()
            outcomes.append(Outcome("hang", "timeout", f"no result within {timeout:.0f} s"))
            return outcomes
        if result is None:  # the child died mid-document (or before the first one)
            code = child.wait()
            stderr = child.stderr.read()[-2000:] if child.stderr else ""
            outcomes.append(Outcome("crash", f"return code {code}", stderr))
            return outcomes
        outcomes.append(Outcome(**json.loads(result)))
        budget = timeout
    child.wait(timeout=timeout)
    return outcomes


def query_outcome(model: object, method: str, X: object) -> str | None:
    """None if ``model.method(X)`` runs (a generator it returns is consumed), else the name of
    the exception it raised."""
    try:
        f = getattr(model, method)
        result = f() if method == "get_feature_names_out" else f(X)
        if isinstance(result, Iterator):
            for _ in result:
                pass
    except Exception as e:
        return type(e).__name__
    return None


def first_recipe_doc(class_path: str) -> dict:
    """The editable document of ``class_path`` fitted by its first recipe."""
    import importlib
    import warnings

    from recipes import first_recipe

    module, name = class_path.rsplit(".", 1)
    if name.startswith("Halving"):
        importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = first_recipe(getattr(importlib.import_module(module), name)).fit().estimator
        return editable_doc(estimator)
