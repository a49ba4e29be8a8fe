"""Readable ⇄ compact conversion of a validated document, without building the model.

Only where numeric blocks live changes: ``"data": [...]`` becomes ``"member": "arrays/<n>.npy"``
or back; every other byte of meaning stays. The model digest does not depend on where blocks
live (``digest.py``), so the converted file carries the same digest, and the conversion is
checked by reading the result back and comparing digests.
"""

from __future__ import annotations

import contextlib
from typing import Any

from milo_codec import pipeline
from milo_codec.container import Archive, is_compact, write_compact
from milo_codec.errors import MiloError
from milo_codec.limits import DEFAULT_LIMITS, Limits
from milo_codec.parse import parse
from milo_codec.values.arrays import (
    decode_ndarray,
    decode_recarray,
    encode_ndarray,
    encode_recarray,
    parse_dtype,
)
from milo_codec.values.members import MemberSink, reading_members, writing_members
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
    with reading_members(archive), writing_members(sink) if sink else contextlib.nullcontext():
        tree = _move_blocks(doc)
    text = pipeline.insert_digest(
        to_text(tree) if sink is None else to_manifest_text(tree), digest
    ).encode("utf-8")
    out = text if sink is None else write_compact(text, sink)
    _, written = pipeline.read_document(out, limits)
    if written != digest:  # pragma: no cover - a bug in this module, never a file's fault
        raise MiloError(f"conversion changed the model (digest {digest} became {written})")
    return out


def _move_blocks(v: Any) -> Any:
    """The document with each numeric block decoded and written again: as a member when a
    sink is collecting them (and the block is large enough), as JSON numbers otherwise."""
    if type(v) is list:
        return [_move_blocks(x) for x in v]
    if type(v) is not dict:
        return v
    if len(v) == 1 and type(v.get("ndarray")) is dict:
        payload = v["ndarray"]
        if parse_dtype(payload["dtype"]).kind in "biuf":
            return encode_ndarray(decode_ndarray(payload, None), _no_elements, "")
    if len(v) == 1 and type(v.get("recarray")) is dict:
        return encode_recarray(decode_recarray(v["recarray"]), "")
    return {k: _move_blocks(x) for k, x in v.items()}


def _no_elements(value: Any, path: str) -> Any:  # pragma: no cover - numeric arrays only
    raise AssertionError("numeric arrays have no elements to encode")
