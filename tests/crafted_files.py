"""Loading crafted milo files in a separate, surviving process: shared by the *_state tests of
the semi_supervised, multioutput, frozen and calibration families.

Every crafted file starts as the dump of a real fitted model with one thing changed. All of a
module's files load in one fresh process (process start is slow); a crash or a hang on any of
them fails every case, and the output names the file the process was loading.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

TIMEOUT = 120

_LOADER = textwrap.dedent(
    """
    import sys
    import milo_codec
    for path in sys.argv[1:]:
        print("=== " + path, flush=True)  # names the case if the process dies on it
        try:
            milo_codec.loads(open(path, "rb").read())
        except milo_codec.MiloError as e:
            print(type(e).__name__)
            print(e, flush=True)
        else:
            print("LOADED", flush=True)
    """
)

# case id → (document, mutation of a copy of it, error class name, one expected problem line)
Case = tuple[dict, Callable[[dict], None], str, str]


def nd(a: Any) -> dict:
    """An ndarray value as milo writes it."""
    a = np.asarray(a)
    return {"ndarray": {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.tolist()}}


def node(estimator: Any) -> dict:
    """The model node milo writes for an estimator."""
    import milo_codec

    return json.loads(milo_codec.dumps(estimator))["model"]


def load_all(cases: dict[str, Case], tmp_path: Path) -> dict[str, list[str]]:
    """Each case's output lines (error class, then the message), by case id."""
    paths = []
    for case, (doc, mutate, _, _) in cases.items():
        doc = copy.deepcopy(doc)
        mutate(doc)
        path = tmp_path / f"{case}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, *paths], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, (
        f"the loading process died ({result.returncode}) after:\n{result.stdout[-2000:]}\n"
        f"{result.stderr[-2000:]}"
    )
    outputs: dict[str, list[str]] = {}
    for section in result.stdout.split("=== ")[1:]:
        path, *lines = section.splitlines()
        outputs[Path(path).stem] = lines
    return outputs


def assert_refused(cases: dict[str, Case], outcomes: dict[str, list[str]], case: str) -> None:
    _, _, error, expected = cases[case]
    lines = outcomes[case]
    assert lines[0] == error, lines
    assert expected in [line.strip() for line in lines[1:]], lines
