"""Load many crafted files in one child process, so a crash in compiled code cannot take the
test run with it, without paying a process start per file.

Each file is loaded (and, when it loads, queried with ``transform`` on the given input) in
the child; the parent gets one line of JSON per file: the error class and message, or
whether the loaded model answered.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

_CHILD = r"""
import json, pickle, sys, warnings
import milo_codec
from milo_codec.errors import MiloError
warnings.simplefilter("ignore")
query = pickle.loads(open(sys.argv[1], "rb").read())
for path in sys.argv[2:]:
    try:
        model = milo_codec.loads(open(path, encoding="utf-8").read())
    except MiloError as e:
        print(json.dumps([type(e).__name__, str(e)]), flush=True)
        continue
    try:
        model.transform(query)
        print(json.dumps(["LOADED", "transform answered"]), flush=True)
    except Exception as e:  # a clean Python error at query time: the process survived
        print(json.dumps(["LOADED", f"transform raised {type(e).__name__}"]), flush=True)
"""


def load_in_child(docs: list[dict], query: Any, tmp_path: Path) -> list[tuple[str, str]]:
    """(error class or "LOADED", message) for every document, in order."""
    query_path = tmp_path / "query.pickle"
    query_path.write_bytes(pickle.dumps(query))
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"crafted-{i}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(query_path), *paths],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"the loading process died ({done.returncode}): {done.stderr}"
    results = [tuple(json.loads(line)) for line in done.stdout.splitlines()]
    assert len(results) == len(docs), done.stdout + done.stderr
    return results  # type: ignore[return-value]
