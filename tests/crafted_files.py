"""Loading crafted milo files in a separate, surviving process: shared by the *_state tests of
the semi_supervised, multioutput, frozen and calibration families.

Every crafted file starts as the dump of a real fitted model with one thing changed. A
module's files load in batches of child processes (crafted.load_in_children): a crash or a
hang is that case's outcome, and the other cases still run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crafted import load_in_children, nd  # noqa: F401  (nd: re-exported to the state tests)

# case id → (document, mutation of a copy of it, error class name, one expected problem line)
Case = tuple[dict, Callable[[dict], None], str, str]


def node(estimator: Any) -> dict:
    """The model node milo writes for an estimator."""
    import milo_codec

    return json.loads(milo_codec.dumps(estimator))["model"]


def load_all(cases: dict[str, Case], tmp_path: Path) -> dict[str, list[str]]:
    """Each case's outcome lines (error class, then the message; or LOADED), by case id."""
    docs: dict[str, str | dict] = {}
    for case, (doc, mutate, _, _) in cases.items():
        doc = copy.deepcopy(doc)
        mutate(doc)
        docs[case] = doc
    out = load_in_children(docs, tmp_path)
    return {case: [o.verdict, *o.message.splitlines()] for case, o in out.items()}


def assert_refused(cases: dict[str, Case], outcomes: dict[str, list[str]], case: str) -> None:
    _, _, error, expected = cases[case]
    lines = outcomes[case]
    assert lines[0] == error, lines
    assert expected in [line.strip() for line in lines[1:]], lines
