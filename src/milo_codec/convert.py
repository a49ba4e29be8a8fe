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
from milo_codec.container import Archive
from milo_codec.errors import MiloError
from milo_codec.limits import DEFAULT_LIMITS, Limits
from milo_codec.values.arrays import encode_ndarray, encode_recarray
from milo_codec.values.members import MemberSink, writing_members
from milo_codec.values.raw import json_int
from milo_codec.values.scalars import encode_numpy_scalar


def convert(data: bytes | Archive, *, compact: bool, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file in the other mode (or the same mode, re-written): validated before and after.

    Each block is decoded once, by the validation of the source; the moved document is then
    checked as ``dump`` checks its own, with every block served from its array.
    """
    source = pipeline.open_archive(data, limits)
    doc = pipeline.parse_document(source, limits)
    decoded: dict[int, Any] = {}
    _, digest = pipeline.read_document(source, limits, parser=lambda _: doc, decoded=decoded)
    doc.pop("digest", None)  # written back where dump writes it, so the bytes match dump's
    sink = MemberSink()
    with writing_members(sink):
        tree = _move_blocks(doc, decoded)
    written = pipeline.check_tree(tree, sink)
    if written != digest:  # pragma: no cover - a bug in this module, never a file's fault
        raise MiloError(f"conversion changed the model (digest {digest} became {written})")
    blocks = dict(sink.blocks)
    if compact:
        return b"".join(pipeline.compact_file_parts(tree, blocks, digest))
    return pipeline.readable_file(tree, blocks, digest).encode("utf-8")


def _move_blocks(v: Any, decoded: dict[int, Any]) -> Any:
    """The document with each numeric block collected as a member, to be placed as ``dump``
    places them; ``decoded`` holds every block and float32 scalar the validation decoded."""
    if type(v) is list:
        return [_move_blocks(x, decoded) for x in v]
    if type(v) is int:
        return json_int(v)  # as the encoder gives it to the writers, so the bytes match dump's
    if type(v) is not dict:
        return v
    # Only payloads the validation decoded as blocks: a Bunch may have a key "ndarray".
    if len(v) == 1 and type(v.get("ndarray")) is dict and id(v["ndarray"]) in decoded:
        return encode_ndarray(decoded[id(v["ndarray"])], _no_elements, "")
    if len(v) == 1 and type(v.get("recarray")) is dict and id(v["recarray"]) in decoded:
        return encode_recarray(decoded[id(v["recarray"])], "")
    if type(decoded.get(id(v))) is np.float32:  # as the encoder writes it: its own digits
        return encode_numpy_scalar(decoded[id(v)])
    return {k: _move_blocks(x, decoded) for k, x in v.items()}


def _no_elements(value: Any, path: str) -> Any:  # pragma: no cover - numeric arrays only
    raise AssertionError("numeric arrays have no elements to encode")
