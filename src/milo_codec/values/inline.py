"""Blocks collected as members, placed for the file being written.

``dump`` validates a document with every numeric block served straight from the model's
arrays (no text to parse back), then writes it with each block where the file's mode puts
it: a readable file has every block's numbers where its member name was; a compact file
keeps the blocks of ``MIN_MEMBER_BYTES`` or more as members, renumbered in document order,
and has the smaller ones' numbers in place. Either way, the same members in the same places
as an encoder writing the file directly would produce.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.values import members
from milo_codec.values.arrays import render_numeric
from milo_codec.values.raw import RawJSON, plain_json


def inline_blocks(v: Any, blocks: dict[str, np.ndarray]) -> Any:
    """The tree of a readable file: every block's numbers in place."""
    return _Placement(blocks, None).walk(v)


def place_blocks(v: Any, blocks: dict[str, np.ndarray]) -> tuple[Any, members.MemberSink]:
    """The tree of a compact file, and the blocks that stay members under their new names."""
    kept = members.MemberSink()
    return _Placement(blocks, kept).walk(v), kept


class _Placement:
    def __init__(self, blocks: dict[str, np.ndarray], kept: members.MemberSink | None) -> None:
        self.blocks = blocks
        self.kept = kept  # None: nothing stays a member

    def member(self, name: str) -> str | None:
        """The block's name in the written file, or None to write its numbers in place."""
        block = self.blocks[name]
        if self.kept is None or block.nbytes < members.MIN_MEMBER_BYTES:
            return None
        return self.kept.add(block)

    def walk(self, v: Any) -> Any:
        t = type(v)
        if t is list:
            return v if plain_json(v) else [self.walk(x) for x in v]
        if t is not dict:
            return v
        if plain_json(v.values()):  # no block inside, e.g. a vocabulary
            return v
        if len(v) == 1:
            payload = v.get("ndarray")
            if type(payload) is dict and "member" in payload:
                return {"ndarray": self.ndarray(payload)}
            payload = v.get("recarray")
            if type(payload) is dict:
                return {"recarray": self.records(payload)}
        return {k: self.walk(x) for k, x in v.items()}

    def ndarray(self, payload: dict) -> dict:
        name = self.member(payload["member"])
        if name is not None:
            return {**payload, "member": name}
        block = self.blocks[payload["member"]]
        return {
            ("data" if k == "member" else k): RawJSON(render_numeric(block)) if k == "member" else x
            for k, x in payload.items()
        }

    def records(self, payload: dict) -> dict:
        out: dict[str, Any] = {}
        for k, x in payload.items():
            if k == "member":
                name = self.member(x)
                if name is not None:
                    out[k] = name
                    continue
                records = self.blocks[x]
                out["columns"] = {
                    field: RawJSON(render_numeric(records[field]))
                    for field in records.dtype.names or ()
                }
            elif k == "columns":
                out[k] = {field: self.column(c) for field, c in x.items()}
            else:
                out[k] = x
        return out

    def column(self, c: Any) -> Any:
        if type(c) is not dict:
            return c
        name = self.member(c["member"])
        return (
            {"member": name}
            if name is not None
            else RawJSON(render_numeric(self.blocks[c["member"]]))
        )
