"""Encoded trees → strict, readable JSON text; files are replaced atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from milo_codec.values.raw import RawJSON

_INDENT = "  "


def to_text(tree: Any) -> str:
    parts: list[str] = []
    _write(tree, 0, parts)
    parts.append("\n")
    return "".join(parts)


def _is_flat(v: list) -> bool:
    return all(x is None or type(x) in (bool, int, float, str, RawJSON) for x in v)


def _write(v: Any, level: int, out: list[str]) -> None:
    t = type(v)
    if t is RawJSON:
        out.append(v.text)
    elif t is dict:
        if not v:
            out.append("{}")
            return
        pad = _INDENT * (level + 1)
        out.append("{")
        first = True
        for key, value in v.items():
            out.append("\n" + pad if first else ",\n" + pad)
            first = False
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(": ")
            _write(value, level + 1, out)
        out.append("\n" + _INDENT * level + "}")
    elif t is list:
        if _is_flat(v):
            out.append("[")
            for i, x in enumerate(v):
                if i:
                    out.append(", ")
                _write(x, level, out)
            out.append("]")
            return
        pad = _INDENT * (level + 1)
        out.append("[")
        for i, x in enumerate(v):
            out.append("\n" + pad if i == 0 else ",\n" + pad)
            _write(x, level + 1, out)
        out.append("\n" + _INDENT * level + "]")
    elif t is float:
        # repr is the shortest text that reads back to the same float; callers tag non-finite.
        out.append(repr(v))
    else:
        out.append(json.dumps(v, ensure_ascii=False, allow_nan=False))


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
