"""Facts about a JSON text found with vectorised passes over its bytes.

The parser compares the object members it read with the text's member separators (``:``
outside strings) to detect duplicate keys, and the limits walk can skip the integers of a
text that holds none of 19 digits or more. Both facts take a few numpy passes over each
megabyte, never Python code per byte or per string (a vocabulary of 50,000 words is
100,000 strings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 1 << 20  # bytes per pass: the temporaries stay small and warm in cache
# Texts up to this size without a backslash are read with bytes methods instead: numpy's
# per-call setup outweighs its speed there, most of all on a cold cache (a 2 KB document:
# 36 µs against 10 µs warm, 277 µs against 79 µs right after a full collection).
SMALL = 1 << 16
LONG = 19  # digits of the shortest integer that may not fit 64 bits (2**63 has 19)
# Bytes after which a run of digits is not an integer's integer part: a digit, a decimal
# point, an exponent marker or an exponent's sign (``-`` also signs an integer: counted).
_NOT_BEFORE_INTEGER = np.zeros(256, dtype=bool)
_NOT_BEFORE_INTEGER[list(b"0123456789.eE+")] = True
_COLON, _QUOTE, _BACKSLASH = ord(":"), ord('"'), ord("\\")
# More escaped quotes than this and the separators are left uncounted (a Python loop each).
_MAX_ESCAPED_QUOTES = 10_000


@dataclass(frozen=True)
class TextFacts:
    long_integers: bool  # a literal of 19 or more digits (may be beyond 64 bits) may occur
    separators: int | None  # ``:`` outside strings; None when not counted


def text_facts(raw: bytes) -> TextFacts:
    """The facts about ``raw``, valid when ``raw`` is valid JSON (checked by the caller).

    A long integer is a run of 19 or more digits not after a digit, ``.``, ``e``, ``E`` or
    ``+``; runs inside strings count too (a false alarm costs time, not correctness).
    """
    if len(raw) <= SMALL and b"\\" not in raw:
        return _small_text_facts(raw)
    data = np.frombuffer(raw, dtype=np.uint8)
    colons: list[np.ndarray] = []
    quotes: list[np.ndarray] = []
    long_integers = False
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        colons.append(np.flatnonzero(chunk == _COLON) + start)
        quotes.append(np.flatnonzero(chunk == _QUOTE) + start)
        if not long_integers:
            long_integers = _long_run(data, start)
    return TextFacts(long_integers, _separators(raw, data, colons, quotes))


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * LONG


def _small_text_facts(raw: bytes) -> TextFacts:
    """``text_facts`` for a short text without backslashes.

    No quote is escaped, so quotes alternate between opening and closing a string: the
    even pieces between them are the text outside strings. Any run of ``LONG`` digits counts
    as a possible long integer (wherever it is: a false alarm only costs time).
    """
    outside = b"".join(raw.split(b'"')[::2])
    return TextFacts(_LONG_DIGITS in raw.translate(_DIGITS_AS_ZERO), outside.count(b":"))


def _long_run(data: np.ndarray, start: int) -> bool:
    """Whether a run of ``LONG`` digits that is an integer's integer part starts in
    ``data[start : start + CHUNK]``."""
    # from the byte before the chunk to the end of a run starting at its last byte
    a = data[max(start - 1, 0) : start + CHUNK + LONG - 1]
    if len(a) < LONG:
        return False
    digit = (a - 48) < 10  # wraps below b"0"
    # run[i]: the bytes i .. i + w - 1 are digits, for w = 2, 4, 8, 16 and then 19
    run = digit[:-1] & digit[1:]
    for shift in (2, 4, 8, LONG - 16):
        run = np.logical_and(run[:-shift], run[shift:], out=run[:-shift])
    if start == 0 and run[0]:
        return True
    before = np.flatnonzero(run[1:] & ~digit[: len(run) - 1])  # the byte before a run
    return bool((~_NOT_BEFORE_INTEGER[a[before]]).any())


def _separators(
    raw: bytes, data: np.ndarray, colons: list[np.ndarray], quotes: list[np.ndarray]
) -> int | None:
    """The colons outside strings: in valid JSON, a quote ends or starts a string unless an
    odd number of backslashes comes before it, and a colon is inside a string when an odd
    number of such quotes comes before it."""
    at = np.concatenate([np.empty(0, dtype=np.intp), *colons])
    if not len(at):
        return 0
    q = np.concatenate(quotes)
    if b"\\" in raw:
        escaped = q[(q > 0) & (data[np.maximum(q - 1, 0)] == _BACKSLASH)]
        if len(escaped) > _MAX_ESCAPED_QUOTES:
            return None
        odd = []
        for i in escaped.tolist():
            k = i - 1
            while k >= 0 and raw[k] == _BACKSLASH:
                k -= 1
            if (i - k) % 2 == 0:  # i - 1 - k backslashes, odd
                odd.append(i)
        if odd:
            q = np.setdiff1d(q, odd, assume_unique=True)
    inside = (np.searchsorted(q, at) % 2).sum()
    return len(at) - int(inside)
