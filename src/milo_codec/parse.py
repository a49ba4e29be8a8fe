"""Bytes → JSON values, strictly: UTF-8 without BOM, RFC 8259 only, no duplicate keys."""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Iterator
from typing import Any

from pydantic_core import from_json

from milo_codec.errors import ParseError, Problem
from milo_codec.limits import DEFAULT_LIMITS, Limits, exceeded
from milo_codec.parse_limits import scan
from milo_codec.parse_text import text_facts
from milo_codec.paths import child


class _Pairs(list):
    """An object's members as read, kept when a key repeats so the error can say where."""


def _keep_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Pairs:
    out = dict(pairs)
    return out if len(out) == len(pairs) else _Pairs(pairs)


def _first_duplicate(value: Any) -> tuple[str, str] | None:
    """The path of the first object (in document order) that repeats a key, and the key."""
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, v = stack.pop()
        if type(v) is _Pairs:
            seen: set[str] = set()
            for key, _ in v:
                if key in seen:
                    return path, key
                seen.add(key)
        elif type(v) is dict:
            stack.extend((child(path, k), x) for k, x in reversed(v.items()))
        elif type(v) is list:
            stack.extend((child(path, i), x) for i, x in reversed(list(enumerate(v))))
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f'bare {name} is not JSON; milo files write it as the string "{name}"')


def _fail(message: str) -> ParseError:
    return ParseError("The file is not strict JSON.", [Problem("$", message)])


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


_FAILED = object()


def _parse_fast(text: str, raw: bytes, limits: Limits) -> tuple[Any, str | None]:
    """pydantic-core's JSON parser, when it provably reads the text as the strict one would.

    It is strict RFC 8259 (no BOM, no bare NaN, no lone surrogates, nothing trailing) and
    keeps big integers exact, but keeps the last of duplicate keys: so the parsed members
    are counted against the text's member separators, and any difference (or any error)
    goes to the strict parser, which names the offending byte. The separators are counted in
    ``raw`` (the text's UTF-8) with vectorised passes, and a text without a long integer lets
    the limits walk skip its integers.
    """
    try:
        value = from_json(text, allow_inf_nan=False, cache_strings="keys")
    except ValueError as e:
        return _FAILED, str(e)
    facts = text_facts(raw)
    colons = facts.separators
    if colons is None:  # many escaped quotes: counted string by string
        colons = text.count(":")
        if colons:
            colons -= sum(s.count(":") for s in _STRING.findall(text) if ":" in s)
    members = scan(value, limits, short_integers=not facts.long_integers)
    return (value, None) if members == colons else (_FAILED, "duplicate keys")


def parse(data: bytes | str, limits: Limits = DEFAULT_LIMITS, spent: int = 0) -> Any:
    """Parse a milo document; every failure is a :class:`ParseError` with a byte offset, or a
    :class:`LimitError` naming the limit. ``spent``: bytes of ``max_parsed_bytes`` already
    taken (by a compact file's zip directory)."""
    with no_cycle_collection():
        return _parse(data, limits, spent)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    A parsed document is a tree: it holds no reference cycle, and neither do the parser's
    temporaries. But each of its lists and objects counts towards the collector's next run,
    and those runs traverse every young container again and again: about half of the time
    of parsing a large file. Reference counting still frees everything as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# The most a parsed JSON value takes as Python objects, with the pointer to it: an empty list
# or object 64 to 72 bytes, a float 32, a short string about 60 (schemas/README.md §7).
_VALUE_BYTES = 80


def parsed_bytes_estimate(raw: bytes) -> int:
    """The memory parsing would take, estimated from above: each byte that can open a JSON
    value (a bracket, a comma, a pair of quotes) counted as a value, plus the text: decoded,
    the characters of its strings and the parser's transient copy take three times its bytes
    in ASCII, and were measured at ten times (counted as twelve) where one character beyond
    U+FFFF widens every character to four bytes."""
    values = raw.count(b"[") + raw.count(b"{") + raw.count(b",") + raw.count(b'"') // 2 + 1
    return _VALUE_BYTES * values + (3 if raw.isascii() else 12) * len(raw)


def _check_parsed_size(raw: bytes, limits: Limits, spent: int) -> None:
    # Parsing takes at most about 25 times the text (an empty array per three bytes): a text
    # of less than (limit - spent) / 80 bytes cannot reach the limit, and is not counted (four
    # passes over its bytes, about 1.3 ms per MB).
    if len(raw) * _VALUE_BYTES + spent <= limits.max_parsed_bytes:
        return
    estimate = parsed_bytes_estimate(raw)
    if estimate + spent > limits.max_parsed_bytes:
        also = f" (and the archive's directory {spent:,})" if spent else ""
        raise exceeded(
            "max_parsed_bytes",
            "$",
            f"parsing the document would take about {estimate:,} bytes of memory{also}",
            limits.max_parsed_bytes,
        )


def _parse(data: bytes | str, limits: Limits, spent: int) -> Any:
    if len(data) > limits.max_file_bytes:
        raise exceeded(
            "max_file_bytes", "$", f"the document has {len(data):,} bytes", limits.max_file_bytes
        )
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if raw.startswith(b"\xef\xbb\xbf"):
            raise _fail(
                "byte 0: a byte-order mark is not allowed; save the file as UTF-8 without BOM"
            )
        _check_parsed_size(raw, limits, spent)  # before the decoded copy of the text is made
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _fail(f"byte {e.start}: invalid UTF-8") from None
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            raise _fail("byte 0: a byte-order mark is not allowed")
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError as e:
            offset = len(text[: e.start].encode("utf-8", "surrogatepass"))
            raise _fail(
                f"byte {offset}: a lone surrogate (U+{ord(text[e.start]):04X}) has no UTF-8 "
                "form; pass the file's bytes, or text decoded from valid UTF-8"
            ) from None
        _check_parsed_size(raw, limits, spent)
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    fast, refusal = _parse_fast(text, raw, limits)
    if fast is not _FAILED:
        return fast
    # The reference parser names the offending byte.
    try:
        value = json.loads(
            text, object_pairs_hook=_keep_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as e:
        offset = len(text[: e.pos].encode("utf-8", "surrogatepass"))
        raise _fail(f"byte {offset} (line {e.lineno}, column {e.colno}): {e.msg}") from None
    except ValueError as e:
        raise _fail(str(e)) from None
    except RecursionError:
        raise _fail("the document is nested too deeply") from None
    duplicate = _first_duplicate(value)
    del value
    if duplicate is not None:
        where, key = duplicate
        raise ParseError(
            "The file is not strict JSON.",
            [Problem(where, f"duplicate key {key!r}: every key may appear once per object")],
        )
    # Accepted by the reference parser but not by the strict one: e.g. a lone surrogate escape.
    raise _fail(refusal or "not strict JSON")


def parse_own_output(text: str) -> Any:
    """Parse text that ``dump`` itself just wrote (no duplicate keys or BOM by construction)."""
    with no_cycle_collection():
        return from_json(text, allow_inf_nan=False, cache_strings="keys")
