"""Readable ⇄ compact conversion of a validated document, without building the model.

Only where numeric blocks live changes: ``"data": [...]`` becomes ``"member": "arrays/<n>.npy"``
or back; every other byte of meaning stays. The model digest does not depend on where blocks
live (``digest.py``), so the converted file carries the same digest, and the conversion is
checked by reading the result back and comparing digests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec import pipeline
from milo_codec.container import Archive, is_compact, write_compact
from milo_codec.errors import MiloError
from milo_codec.limits import DEFAULT_LIMITS, Limits
from milo_codec.parse import parse
from milo_codec.values.arrays import decode_data, parse_dtype, render_numeric
from milo_codec.values.members import MIN_MEMBER_BYTES, MemberSink
from milo_codec.values.raw import RawJSON
from milo_codec.write import to_manifest_text, to_text


def convert(data: bytes | Archive, *, compact: bool, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file in the other mode (or the same mode, re-written): validated before and after."""
    if isinstance(data, bytes) and is_compact(data):
        data = Archive(data, len(data), limits)
    _, digest = pipeline.read_document(data, limits)
    archive = data if isinstance(data, Archive) else None
    doc = parse(data.document(limits) if isinstance(data, Archive) else data, limits)
    doc.pop("digest", None)  # written back where dump writes it, so the bytes match dump's
    sink = MemberSink() if compact else None
    tree = _move_blocks(doc, archive, sink)
    text = pipeline.insert_digest(
        to_text(tree) if sink is None else to_manifest_text(tree), digest
    ).encode("utf-8")
    out = text if sink is None else write_compact(text, sink)
    _, written = pipeline.read_document(out, limits)
    if written != digest:  # pragma: no cover - a bug in this module, never a file's fault
        raise MiloError(f"conversion changed the model (digest {digest} became {written})")
    return out


def _block(payload: dict, key: str, dtype: np.dtype, shape: tuple, archive: Archive | None) -> Any:
    if key == "member":
        assert archive is not None
        return archive.read(payload["member"], dtype, shape)
    return decode_data(payload["data"], dtype, shape, None)


def _place(block: np.ndarray, sink: MemberSink | None) -> tuple[str, Any]:
    if sink is not None and block.nbytes >= MIN_MEMBER_BYTES:
        return "member", sink.add(block)
    return "data", RawJSON(render_numeric(block))


def _move_blocks(v: Any, archive: Archive | None, sink: MemberSink | None) -> Any:
    if type(v) is list:
        return [_move_blocks(x, archive, sink) for x in v]
    if type(v) is not dict:
        return v
    if len(v) == 1 and type(v.get("ndarray")) is dict:
        p = v["ndarray"]
        dtype = parse_dtype(p["dtype"])
        if dtype.kind in "biuf":
            key = "member" if "member" in p else "data"
            block = _block(p, key, dtype, tuple(p["shape"]), archive)
            new_key, value = _place(block, sink)
            return {
                "ndarray": {
                    (new_key if k == key else k): (value if k == key else x) for k, x in p.items()
                }
            }
    if len(v) == 1 and type(v.get("recarray")) is dict:
        p = v["recarray"]
        shape = tuple(p["shape"])
        columns = {}
        for name, dtype_name in p["fields"]:
            column = p["columns"][name]
            dtype = parse_dtype(dtype_name)
            if dtype.kind not in "biuf":
                columns[name] = column
                continue
            member = type(column) is dict
            block = (
                archive.read(column["member"], dtype, shape)  # type: ignore[union-attr]
                if member
                else decode_data(column, dtype, shape, None)
            )
            key, value = _place(block, sink)
            columns[name] = {"member": value} if key == "member" else value
        return {"recarray": {**p, "columns": columns}}
    return {k: _move_blocks(x, archive, sink) for k, x in v.items()}
