"""The parse-time limits, enforced on a parsed JSON tree in one walk that also counts its
object members (``parse`` compares them with the text's, to detect duplicate keys).

The walk costs far less than parsing: a list of numbers is checked with ``sum``, a list of
other scalars with ``set(map(type, ...))``, ``max(map(len, ...))``, ``min`` and ``max``, and
nested lists (array data of two or more dimensions) one nesting level at a time; no Python
code runs per element or per small list. Only when a value exceeds a limit does an exact
walk go list by list, to name the first such value in document order.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, compress, repeat
from operator import is_
from typing import Any

from milo_codec.errors import LimitError
from milo_codec.limits import Limits, exceeded
from milo_codec.paths import json_path

# Members above which an object's values are first tried together as numbers.
_MANY_MEMBERS = 64


class _Excess(Exception):
    """Some value in a nested list exceeds a limit; the exact walk names the first one."""


def _of_type(items: list, kind: type, kinds: set[type]) -> Any:
    """The items of type ``kind``, selected in C."""
    if len(kinds) == 1:
        return items
    return compress(items, map(is_, map(type, items), repeat(kind)))


class _Scan:
    """One walk over the parsed tree: counts object members (to detect duplicate keys) and
    enforces the nesting, string, member and integer limits.

    Lists of scalars (array data) are checked with C-level builtins (``max(map(len, ...))``,
    ``min``/``max``), never element by element in Python; nested lists (the data of arrays
    of two or more dimensions) one nesting level at a time, never list by list.
    """

    def __init__(self, limits: Limits, short_integers: bool = False) -> None:
        self.limits = limits
        self.members = 0
        self.max_int = 1 << limits.max_integer_bits
        # With integers of at most 18 digits (see parse_text), none exceeds a limit of
        # 60 bits or more; and any integer a float can hold is within 1,024 bits.
        self.ints_within = short_integers and limits.max_integer_bits >= 60
        self.float_ints_within = self.ints_within or limits.max_integer_bits >= 1024

    def numbers(self, items: Any, first: Any, one_list: bool) -> bool:
        """Whether ``items`` (starting with ``first``; the items of one list, or of several)
        are numbers that need no check: no string, no container, no integer that could
        exceed the limit (``walk`` checks the integers of a list of integers only).

        ``sum`` tells, adding floats and integers without a Python call each and raising on
        anything else (or on an integer a float cannot hold), several times faster than
        collecting the items' types.
        """
        t = type(first)
        if t is float:
            if not (one_list or self.float_ints_within):
                return False
        elif t is not int or not self.ints_within:
            return False
        try:
            total = sum(items)
        except (TypeError, OverflowError):
            return False
        return type(total) is float or self.ints_within

    def fail(self, loc: list[str | int], name: str, what: str) -> LimitError:
        return exceeded(name, json_path(loc), what, getattr(self.limits, name))

    def string(self, x: str, loc: list[str | int]) -> None:
        if len(x) > self.limits.max_string_length:
            raise self.fail(loc, "max_string_length", f"a string of {len(x):,} characters")

    def integer(self, x: int, loc: list[str | int]) -> None:
        if not -self.max_int < x < self.max_int:
            raise self.fail(loc, "max_integer_bits", f"an integer of {x.bit_length()} bits")

    def children(self, pairs: Iterable[tuple[Any, Any]], loc: list[str | int], exact: bool) -> None:
        """Each (key or index, value) of an object or a mixed list, one by one."""
        for key, v in pairs:
            t = type(v)
            if t is dict or t is list:
                loc.append(key)
                self.walk(v, loc, exact)
                loc.pop()
            elif t is str:
                if len(v) > self.limits.max_string_length:
                    self.string(v, [*loc, key])
            elif t is int:
                self.integer(v, [*loc, key])

    def walk(self, value: Any, loc: list[str | int], exact: bool = False) -> None:
        """Check ``value`` (a dict or list at ``loc``); the first excess in document order
        raises. ``exact`` walks nested lists list by list, to name that first excess."""
        if len(loc) >= self.limits.max_depth:
            raise self.fail(loc, "max_depth", f"values nested {len(loc) + 1} deep")
        if type(value) is dict:
            n = len(value)
            self.members += n
            if n > self.limits.max_object_keys:
                raise self.fail(loc, "max_object_keys", f"an object with {n:,} members")
            if n and max(map(len, value)) > self.limits.max_string_length:
                key = next(k for k in value if len(k) > self.limits.max_string_length)
                self.string(key, [*loc, key])
            if n > _MANY_MEMBERS:  # e.g. a vocabulary: its values may all be numbers
                values = list(value.values())
                if self.numbers(values, values[0], one_list=False):
                    return
            self.children(value.items(), loc, exact)
            return
        # a list
        if value and self.numbers(value, value[0], one_list=True):
            return
        kinds = set(map(type, value))
        if list in kinds and not exact:
            self.nested(value, loc)
            return
        if dict in kinds or list in kinds:
            self.children(enumerate(value), loc, exact)
            return
        if str in kinds:
            strings = value if kinds == {str} else [x for x in value if type(x) is str]
            if max(map(len, strings)) > self.limits.max_string_length:
                i = next(
                    i
                    for i, x in enumerate(value)
                    if type(x) is str and len(x) > self.limits.max_string_length
                )
                self.string(value[i], [*loc, i])
        if kinds == {int} and (max(value) >= self.max_int or min(value) <= -self.max_int):
            i = next(i for i, x in enumerate(value) if not -self.max_int < x < self.max_int)
            self.integer(value[i], [*loc, i])

    def nested(self, value: list, loc: list[str | int]) -> None:
        """``walk`` for a list holding lists, one nesting level at a time.

        A tree's ``value`` array ([n_nodes][1][2]) is hundreds of thousands of small lists: a
        Python call for each would cost more than parsing them. Each level's items are checked
        together; objects among them are walked one by one as usual. Every check here is at
        least as strict as ``walk``'s, so on any excess the exact walk runs over the same
        lists: it raises for the first offending value in document order (and counts the
        members again, from where they were).
        """
        members = self.members
        try:
            self._levels(value, len(loc))
        except (_Excess, LimitError):
            self.members = members
            self.walk(value, loc, exact=True)

    def _levels(self, value: list, depth: int) -> None:
        """Check the items of ``value`` (a list at ``depth``), then theirs, and so on."""
        limits = self.limits
        lists = [value]  # every list of one nesting level
        while lists:
            depth += 1  # their items'
            first = next(chain.from_iterable(lists), None)
            if self.numbers(chain.from_iterable(lists), first, one_list=False):
                return  # the usual leaves of numeric data: nothing to check, nothing below
            items = lists[0] if len(lists) == 1 else list(chain.from_iterable(lists))
            kinds = set(map(type, items))
            if list in kinds and depth >= limits.max_depth:
                raise _Excess
            if kinds == {list}:
                lists = items
                continue
            if str in kinds and (
                max(map(len, _of_type(items, str, kinds))) > limits.max_string_length
            ):
                raise _Excess
            if int in kinds and (
                max(_of_type(items, int, kinds)) >= self.max_int
                or min(_of_type(items, int, kinds)) <= -self.max_int
            ):
                raise _Excess
            if dict in kinds:
                # the objects' own paths only matter for an error, which the exact walk names
                at: list[str | int] = [0] * depth
                for d in _of_type(items, dict, kinds):
                    self.walk(d, at)
            lists = list(_of_type(items, list, kinds)) if list in kinds else []


def scan(value: Any, limits: Limits, short_integers: bool = False) -> int:
    """Enforce the parse-time limits on ``value``; the number of object members it holds.
    ``short_integers``: every integer in ``value`` has at most 18 digits."""
    walker = _Scan(limits, short_integers)
    t = type(value)
    if t is dict or t is list:
        walker.walk(value, [])
    elif t is str:
        walker.string(value, [])
    elif t is int:
        walker.integer(value, [])
    return walker.members
