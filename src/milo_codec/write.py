"""Encoded trees → strict, readable JSON text; files are replaced atomically."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Collection, Iterable, Sequence
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import orjson

from milo_codec.values.raw import RawJSON

_INDENT = "  "
_INLINE = 100  # values whose one-line form is at most this long stay on one line


def _scalar(v: Any) -> str:
    """JSON text of a scalar, as ``json.dumps(v, ensure_ascii=False)`` writes it, without its
    per-call setup (a file has hundreds of thousands of scalars)."""
    t = type(v)
    if t is str:
        return encode_basestring(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    if v is None:
        return "null"
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _inline_len(v: Any, budget: int) -> int:
    """Length of ``v`` written on one line, or more than ``budget`` (stops counting early)."""
    t = type(v)
    if t is RawJSON:
        return len(v.text)
    if t is dict:
        n = 2
        for key, value in v.items():
            n += len(key) + 6 + _inline_len(value, budget - n)
            if n > budget:
                return n
        return n
    if t is list:
        n = 2
        for x in v:
            n += 2 + _inline_len(x, budget - n)
            if n > budget:
                return n
        return n
    if t is float:
        return len(repr(v))
    return len(_scalar(v))


def _write_inline(v: Any, out: list[str]) -> None:
    t = type(v)
    if t is dict:
        out.append("{")
        for i, (key, value) in enumerate(v.items()):
            if i:
                out.append(", ")
            out.append(encode_basestring(key) + ": ")
            _write_inline(value, out)
        out.append("}")
    elif t is list:
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(", ")
            _write_inline(x, out)
        out.append("]")
    else:
        _write(v, 0, out)


def to_text(tree: Any) -> str:
    parts: list[str] = []
    _write(tree, 0, parts)
    parts.append("\n")
    return "".join(parts)


def _fragment(v: Any) -> Any:
    if type(v) is RawJSON:
        return orjson.Fragment(v.text)
    raise TypeError(type(v).__name__)


def to_manifest_text(tree: Any) -> str:
    """A compact file's document: indented by a C writer. Its large arrays are members, so
    the one-line grouping ``to_text`` gives readable files matters less than speed here."""
    try:
        return orjson.dumps(tree, default=_fragment, option=orjson.OPT_INDENT_2).decode() + "\n"
    except TypeError:  # orjson.JSONEncodeError: e.g. an integer beyond 64 bits
        return to_text(tree)


def _is_flat(v: list) -> bool:
    return all(x is None or type(x) in (bool, int, float, str, RawJSON) for x in v)


def _texts(values: Collection[Any]) -> Iterable[str] | None:
    """The JSON texts of values that are all strings or all integers (as ``_scalar`` writes
    them), else None."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return map(encode_basestring, values)
    if kinds == {int}:
        return map(int.__repr__, values)
    return None


def _write(v: Any, level: int, out: list[str]) -> None:
    t = type(v)
    if t is RawJSON:
        out.append(v.text)
    elif t in (dict, list) and _inline_len(v, _INLINE - 2 * level) <= _INLINE - 2 * level:
        _write_inline(v, out)
    elif t is dict and (texts := _texts(v.values())) is not None:
        # one line per member, as below; written by C-level maps (e.g. a 50,000-term vocabulary)
        pad = _INDENT * (level + 1)
        keys = map(str.__add__, map(encode_basestring, v), itertools.repeat(": "))
        out.append("{\n" + pad)
        out.append((",\n" + pad).join(map(str.__add__, keys, texts)))
        out.append("\n" + _INDENT * level + "}")
    elif t is dict:
        pad = _INDENT * (level + 1)
        out.append("{")
        first = True
        for key, value in v.items():
            out.append("\n" + pad if first else ",\n" + pad)
            first = False
            out.append(encode_basestring(key))
            out.append(": ")
            _write(value, level + 1, out)
        out.append("\n" + _INDENT * level + "}")
    elif t is list:
        texts = _texts(v)
        if texts is not None:
            out.append("[" + ", ".join(texts) + "]")
            return
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
        out.append(_scalar(v))


def write_atomic(path: str | os.PathLike[str], data: bytes | Sequence[Any]) -> None:
    """Write ``data`` (bytes, or buffers in order) to a temporary file beside ``path``, fsync,
    then rename over it."""
    import tempfile  # only writing needs it

    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            chunks: Sequence[Any] = [data] if isinstance(data, bytes) else data
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
