"""The model digest: SHA-256 over a canonical form of the parsed model node.

The canonical form is the node's parsed JSON value written compactly (no whitespace, object
members in file order, strings in UTF-8, numbers as the shortest text that reads back as the
same value), except that each numeric data block is replaced by ``{"blake3": <hex>}``, the BLAKE3 hash of
its C-order little-endian bytes: an ndarray's ``data`` (or, in a compact file, its
``member``) is written as ``"data": {"blake3": ...}``, a structured array's numeric column
as ``{"blake3": ...}``. So a readable and a compact file of the same model have the same digest,
hashing costs one pass over the array bytes, and any change to a value, a key or member order
changes it (schemas/README.md §1.1). ``dump`` writes it in the envelope; ``load`` checks it,
and ``load(..., expected_digest=...)`` pins the model a person reviewed.

The block hashes are recorded while the arrays are decoded (``values.members``), so this runs
after validation, on the same parsed document.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from milo_codec.values.members import recorded_hash
from milo_codec.values.raw import plain_json

_BLOCK_KEYS = ("data", "member")


def _canonical(v: Any) -> Any:
    t = type(v)
    if t is dict:
        if len(v) == 1:
            ((key, payload),) = v.items()
            hashed = recorded_hash(payload) if type(payload) is dict else None
            if hashed is not None and key == "ndarray":
                # "data" in both modes: where the block is stored is not part of the model
                return {
                    key: {
                        ("data" if k in _BLOCK_KEYS else k): {"blake3": hashed}
                        if k in _BLOCK_KEYS
                        else x
                        for k, x in payload.items()
                    }
                }
            if hashed is not None and key == "recarray":
                return {key: _records(payload, hashed)}
        return v if plain_json(v.values()) else {k: _canonical(x) for k, x in v.items()}
    if t is list:
        return v if plain_json(v) else [_canonical(x) for x in v]
    if t is int and _is_wide(v):
        # orjson writes integers up to 64 bits; wider ones (e.g. a PCG64 state) are given to
        # it as their decimal text, so every document takes the same writer
        return orjson.Fragment(int.__repr__(v))
    return v


def _is_wide(v: Any) -> bool:
    return type(v) is int and not -(1 << 63) <= v < 1 << 64


def _records(payload: dict, hashed: Any) -> dict:
    """A structured array's canonical form. All fields numeric: ``"records"`` holds the hash of
    its records block (padding bytes zero), in place of the readable columns or of a compact
    file's ``member``. Otherwise ``columns`` holds each numeric column's hash."""
    out: dict[str, Any] = {}
    for k, x in payload.items():
        if type(hashed) is str and k in ("columns", "member"):
            out["records"] = {"blake3": hashed}
        elif k == "columns" and type(x) is dict:
            out[k] = {n: {"blake3": hashed[n]} if n in hashed else c for n, c in x.items()}
        else:
            out[k] = x
    return out


def canonical(node: Any) -> bytes:
    return orjson.dumps(_canonical(node))


def model_digest(node: Any) -> str:
    return hashlib.sha256(canonical(node)).hexdigest()
