"""Bytes → JSON values, strictly: UTF-8 without BOM, RFC 8259 only, no duplicate keys."""

from __future__ import annotations

import json
from typing import Any

from milo_codec.errors import ParseError, Problem


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"bare {name} is not JSON; milo files write it as the string \"{name}\"")


def _fail(message: str) -> ParseError:
    return ParseError("The file is not strict JSON.", [Problem("$", message)])


def parse(data: bytes | str) -> Any:
    """Parse a milo document; every failure is a :class:`ParseError` with a byte offset."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if raw.startswith(b"\xef\xbb\xbf"):
            raise _fail("byte 0: a byte-order mark is not allowed; save the file as UTF-8 without BOM")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _fail(f"byte {e.start}: invalid UTF-8") from None
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            raise _fail("byte 0: a byte-order mark is not allowed")
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _Duplicate as e:
        raise _fail(f"duplicate key {e.args[0]!r}: every key may appear once per object") from None
    except json.JSONDecodeError as e:
        offset = len(text[: e.pos].encode("utf-8", "surrogatepass"))
        raise _fail(f"byte {offset} (line {e.lineno}, column {e.colno}): {e.msg}") from None
    except ValueError as e:
        raise _fail(str(e)) from None
    except RecursionError:
        raise _fail("the document is nested too deeply") from None
    return value
