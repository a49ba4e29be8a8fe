"""Readable ⇄ compact conversion of a validated document, without building the model.

Only where numeric blocks live changes: ``"data": [...]`` becomes ``"member": "arrays/<n>.npy"``
or back; every other byte of meaning stays. The model digest does not depend on where blocks
live (``digest.py``), so the converted file carries the same digest, and the conversion is
checked by reading the result back and comparing digests.
"""

from __future__ import annotations

from typing import Any

from milo_codec import pipeline
from milo_codec.container import Archive
from milo_codec.errors import MiloError
from milo_codec.limits import DEFAULT_LIMITS, Limits
from milo_codec.values.arrays import (
    decode_ndarray,
    decode_recarray,
    encode_ndarray,
    encode_recarray,
    parse_dtype,
)
from milo_codec.values.members import MemberSink, reading_members, writing_members
from milo_codec.values.raw import json_int


def convert(data: bytes | Archive, *, compact: bool, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file in the other mode (or the same mode, re-written): validated before and after."""
    source = pipeline.open_archive(data, limits)
    doc = pipeline.parse_document(source, limits)
    _, digest = pipeline.read_document(source, limits, parser=lambda _: doc)  # parsed once
    archive = source if isinstance(source, Archive) else None
    doc.pop("digest", None)  # written back where dump writes it, so the bytes match dump's
    sink = MemberSink()
    with reading_members(archive), writing_members(sink):
        tree = _move_blocks(doc)
    blocks = dict(sink.blocks)
    out = (
        b"".join(pipeline.compact_file_parts(tree, blocks, digest))
        if compact
        else pipeline.readable_file(tree, blocks, digest).encode("utf-8")
    )
    _, written = pipeline.read_document(out, limits)
    if written != digest:  # pragma: no cover - a bug in this module, never a file's fault
        raise MiloError(f"conversion changed the model (digest {digest} became {written})")
    return out


def _move_blocks(v: Any) -> Any:
    """The document with each numeric block decoded and collected as a member, to be placed
    as ``dump`` places them."""
    if type(v) is list:
        return [_move_blocks(x) for x in v]
    if type(v) is int:
        return json_int(v)  # as the encoder gives it to the writers, so the bytes match dump's
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
