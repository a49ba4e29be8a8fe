"""The model digest: SHA-256 over a canonical form of the parsed model node.

The canonical form is the node's parsed JSON value written compactly: no whitespace, object
members in file order, strings in UTF-8, numbers as the shortest text that reads back as the
same value (integers in decimal, floats always with a ``.`` or an exponent). Two files whose
model nodes parse to the same value have the same digest however they are indented; any
change to a value, a key or member order changes it. ``dump`` writes it in the envelope;
``load`` checks it when present, and ``load(..., expected_digest=...)`` pins the model a
person reviewed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


def canonical(node: Any) -> bytes:
    try:
        return orjson.dumps(node)
    except TypeError:  # orjson.JSONEncodeError
        # Integers beyond 64 bits (possible inside object arrays): the standard library writes
        # them exactly. Its float text differs from orjson's, but such a document always
        # takes this branch, so each document still has exactly one canonical form.
        return json.dumps(node, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def model_digest(node: Any) -> str:
    return hashlib.sha256(canonical(node)).hexdigest()
