"""Blocks collected as members, written back into the tree as JSON numbers.

``dump`` validates a document with its numeric blocks served straight from the model's
arrays (no text to parse back), then writes a readable file by putting each block's numbers
where its member name was: the same members in the same places as an encoder writing
numbers directly would produce.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.values.arrays import render_numeric
from milo_codec.values.raw import RawJSON


def inline_blocks(v: Any, blocks: dict[str, np.ndarray]) -> Any:
    t = type(v)
    if t is list:
        return [inline_blocks(x, blocks) for x in v]
    if t is not dict:
        return v
    if len(v) == 1:
        payload = v.get("ndarray")
        if type(payload) is dict and "member" in payload:
            return {"ndarray": _numbers_for_member(payload, blocks)}
        payload = v.get("recarray")
        if type(payload) is dict:
            return {"recarray": _records(payload, blocks)}
    return {k: inline_blocks(x, blocks) for k, x in v.items()}


def _numbers_for_member(payload: dict, blocks: dict[str, np.ndarray]) -> dict:
    return {
        ("data" if k == "member" else k): RawJSON(render_numeric(blocks[x])) if k == "member" else x
        for k, x in payload.items()
    }


def _records(payload: dict, blocks: dict[str, np.ndarray]) -> dict:
    out: dict[str, Any] = {}
    for k, x in payload.items():
        if k == "member":
            records = blocks[x]
            out["columns"] = {
                name: RawJSON(render_numeric(records[name])) for name in records.dtype.names or ()
            }
        elif k == "columns":
            out[k] = {
                name: RawJSON(render_numeric(blocks[c["member"]])) if type(c) is dict else c
                for name, c in x.items()
            }
        else:
            out[k] = x
    return out
