"""Bytes → JSON values, strictly: UTF-8 without BOM, RFC 8259 only, no duplicate keys."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from pydantic_core import from_json

from milo_codec.errors import LimitError, ParseError, Problem
from milo_codec.limits import DEFAULT_LIMITS, Limits, exceeded
from milo_codec.parse_limits import scan
from milo_codec.parse_text import text_facts


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
    raise ValueError(f'bare {name} is not JSON; milo files write it as the string "{name}"')


def _fail(message: str) -> ParseError:
    return ParseError("The file is not strict JSON.", [Problem("$", message)])


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


_FAILED = object()


def _parse_orjson(raw: bytes, limits: Limits) -> Any:
    """orjson's reading of ``raw`` when it provably is pydantic-core's and within the limits;
    otherwise ``_FAILED``, and ``_parse_fast`` decides.

    orjson is the fastest parser at hand and as strict as pydantic-core (RFC 8259, valid
    UTF-8, no lone surrogates, nothing trailing), but reads an integer beyond 64 bits as a
    float (so a text that may hold one is left to pydantic-core), nests up to 1,024 deep
    instead of 200 (beyond any max_depth: the walk finds it) and refuses a number that
    overflows to infinity. Any refusal, excess or duplicate key goes through ``_parse_fast``:
    a file gets exactly the value or the error it gets there.
    """
    facts = text_facts(raw)
    if facts.long_integers or facts.separators is None:
        return _FAILED
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _FAILED
    try:
        members = scan(value, limits, short_integers=True)
    except LimitError:
        return _FAILED
    return value if members == facts.separators else _FAILED


def _parse_fast(text: str, limits: Limits) -> tuple[Any, str | None]:
    """pydantic-core's JSON parser, when it provably reads the text as the strict one would.

    It is strict RFC 8259 (no BOM, no bare NaN, no lone surrogates, nothing trailing) and
    keeps big integers exact, but keeps the last of duplicate keys: so the parsed members
    are counted against the text's member separators, and any difference (or any error)
    goes to the strict parser, which names the offending byte.
    """
    try:
        value = from_json(text, allow_inf_nan=False, cache_strings="keys")
    except ValueError as e:
        return _FAILED, str(e)
    colons = text.count(":")
    if colons:
        colons -= sum(s.count(":") for s in _STRING.findall(text) if ":" in s)
    return (value, None) if scan(value, limits) == colons else (_FAILED, "duplicate keys")


def parse(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse a milo document; every failure is a :class:`ParseError` with a byte offset, or a
    :class:`LimitError` naming the limit."""
    if len(data) > limits.max_file_bytes:
        raise exceeded(
            "max_file_bytes", "$", f"the document has {len(data):,} bytes", limits.max_file_bytes
        )
    text: str | None = None
    raw: bytes | None
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if raw.startswith(b"\xef\xbb\xbf"):
            raise _fail(
                "byte 0: a byte-order mark is not allowed; save the file as UTF-8 without BOM"
            )
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            raise _fail("byte 0: a byte-order mark is not allowed")
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: left to the parsers below
            raw = None
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    if raw is not None:
        # orjson refuses invalid UTF-8: bytes it reads need no decoding first
        value = _parse_orjson(raw, limits)
        if value is not _FAILED:
            return value
    if text is None:
        assert raw is not None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _fail(f"byte {e.start}: invalid UTF-8") from None
    fast, refusal = _parse_fast(text, limits)
    if fast is not _FAILED:
        return fast
    # The reference parser names the offending byte.
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
    # Accepted by the reference parser but not by the strict one: e.g. a lone surrogate escape.
    del value
    raise _fail(refusal or "not strict JSON")


def parse_own_output(text: str) -> Any:
    """Parse text that ``dump`` itself just wrote (no duplicate keys or BOM by construction)."""
    return from_json(text, allow_inf_nan=False, cache_strings="keys")
