"""Crafted files queried with ``transform`` after loading, through crafted.load_in_children.

Each file is loaded (and, when it loads, asked to ``transform`` the given input) in a child
process; a crash or hang on one file is reported for that file and the rest still run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from crafted import load_in_children

# The query travels as JSON (NaN included): a numeric array with its dtype, or plain lists
# (raw documents, dict records).
_THEN = """
import json
payload = json.load(open(%r, encoding="utf-8"))
query = payload["list"] if "list" in payload else np.array(payload["array"], dtype=payload["dtype"])
model.transform(query)
"""


def load_in_child(docs: list[dict], query: Any, tmp_path: Path) -> list[tuple[str, str]]:
    """(error class or "LOADED", message) for every document, in order; a model that loads
    reports "transform answered" or "transform raised <error class>"."""
    payload = (
        {"array": query.tolist(), "dtype": query.dtype.str}
        if isinstance(query, np.ndarray)
        else {"list": query}
    )
    query_path = tmp_path / "query.json"
    query_path.write_text(json.dumps(payload), encoding="utf-8")
    out = load_in_children(
        {str(i): doc for i, doc in enumerate(docs)}, tmp_path, then=_THEN % str(query_path)
    )
    results = []
    for o in out.values():
        assert o.status in ("error", "loaded", "query-raised"), str(o)  # no crash, no hang
        if o.status == "error":
            results.append((o.error, o.message))
        elif o.status == "loaded":
            results.append(("LOADED", "transform answered"))
        else:
            results.append(("LOADED", f"transform raised {o.error}"))
    return results
