"""Numeric data blocks stored outside the JSON text (compact files), and their hashes.

A compact file keeps each large numeric block (an array's data, an all-numeric structured
array's records, or a numeric column of a structured array with string fields) as an
``arrays/<n>.npy`` member beside the JSON document, which names it with
``"member": "arrays/<n>.npy"`` where a readable file has ``"data": [...]``
(schemas/README.md §1.2). The writer collects blocks in a ``MemberSink``; the reader gets
them from a ``MemberSource``. Both are set for the duration of one dump or load, so the array
codecs deep inside object kinds need no extra arguments.

Every numeric block decoded while reading is also hashed (BLAKE3 of its C-order
little-endian bytes, in whichever form it was written): the model digest covers these
hashes, so a model has one digest in both modes (``digest.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
from blake3 import blake3

from milo_codec.values.problems import DecodeProblem

# Blocks at least this large go to members in compact mode; smaller ones stay readable in the
# JSON text, where a member's fixed cost (~200 bytes of zip and npy headers, one read call)
# would outweigh them. schemas/README.md §7 records the measurement.
MIN_MEMBER_BYTES = 512
MEMBER_NAME = re.compile(r"^arrays/(0|[1-9][0-9]{0,8})\.npy\Z")
NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_ALIGN = 64


def npy_header(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    """The exact NPY 1.0 header milo writes for a C-order block of ``dtype`` and ``shape``.

    Readers compare a member's header with this byte for byte instead of parsing it, so a
    file's header can never choose a dtype, order or shape the JSON did not declare.
    """
    text = f"{{'descr': {_descr(dtype)}, 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    # magic (8) + header length (2) + text + padding + newline: a multiple of 64 bytes
    pad = -(len(NPY_MAGIC) + 2 + len(text) + 1) % _NPY_ALIGN
    body = (text + " " * pad + "\n").encode("latin1")
    return NPY_MAGIC + len(body).to_bytes(2, "little") + body


_PARALLEL_HASH_BYTES = 1 << 20


@functools.lru_cache(maxsize=256)
def _descr(dtype: np.dtype) -> str:
    if dtype.names is not None:  # records: numpy's list of (name, type) with padding fields
        return repr(np.lib.format.dtype_to_descr(dtype))
    return repr(dtype.newbyteorder("<").str)  # '|b1', '|u1', '<f8', ...


def block_hash(a: np.ndarray) -> str:
    """BLAKE3 of a numeric block's C-order bytes (little-endian, as files store them).

    BLAKE3, not SHA-256: it hashes array memory about five times faster here (16 MB: 3.4 ms
    against 17 ms), and every load hashes every block (schemas/README.md §7).
    """
    c = a if a.flags.c_contiguous else np.ascontiguousarray(a)
    # Large blocks on every core (the hash is the same): 16 MB took 1.7 ms on two, 3.9 on one.
    threads = blake3.AUTO if c.nbytes >= _PARALLEL_HASH_BYTES else 1
    return blake3(c.reshape(-1).view(np.uint8).data, max_threads=threads).hexdigest()


# ---------------------------------------------------------------------------
# writing


class MemberSink:
    """The numeric blocks of one document being written, in the order the document names
    them. Every such block is collected; where each one is written (as a member or as
    numbers) is decided after validation (``values/inline.py``)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, np.ndarray]] = []

    def add(self, a: np.ndarray) -> str:
        name = f"arrays/{len(self.blocks)}.npy"
        self.blocks.append((name, a if a.flags.c_contiguous else np.ascontiguousarray(a)))
        return name


_SINK: contextvars.ContextVar[MemberSink | None] = contextvars.ContextVar(
    "milo_member_sink", default=None
)


@contextlib.contextmanager
def writing_members(sink: MemberSink) -> Iterator[MemberSink]:
    token = _SINK.set(sink)
    try:
        yield sink
    finally:
        _SINK.reset(token)


def is_numeric(dtype: np.dtype) -> bool:
    """A dtype whose blocks can be members: numeric, or records of numeric fields only."""
    if dtype.names is None:
        return dtype.kind in "biuf"
    return all(dtype.fields[name][0].kind in "biuf" for name in dtype.names)  # type: ignore[index]


def member_for(a: np.ndarray) -> str | None:
    """The member name a numeric block (or a structured array of numeric fields) is
    collected as while a sink is set, or None to write it as JSON."""
    sink = _SINK.get()
    if sink is None or not is_numeric(a.dtype):
        return None
    return sink.add(a)


# ---------------------------------------------------------------------------
# reading


class MemberSource(Protocol):
    def read(self, name: str, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        """The block ``name`` as a new C-contiguous array (raises ``DecodeProblem``)."""
        ...

    def unused(self) -> list[str]:
        """Members no payload named: a file carries nothing it does not declare."""
        ...


class _Reading:
    """Per-load state: the member source (compact files), the hashes of decoded blocks and,
    for a caller that asked (convert), the decoded values themselves."""

    def __init__(self, source: MemberSource | None, decoded: dict[int, Any] | None = None) -> None:
        self.source = source
        self.decoded = decoded  # payload id → its value, for a caller that re-writes them
        self.hashes: dict[int, Any] = {}
        self.by_payload: dict[int, tuple[str, np.ndarray, Any]] = {}
        self.claimed: dict[str, int] = {}
        self.keep: list[Any] = []  # payloads whose ids key the tables stay alive


_READING: contextvars.ContextVar[_Reading | None] = contextvars.ContextVar(
    "milo_member_reading", default=None
)


@contextlib.contextmanager
def reading_members(
    source: MemberSource | None, decoded: dict[int, Any] | None = None
) -> Iterator[_Reading]:
    """Read blocks from ``source``; with ``decoded``, also keep there each decoded numeric
    array and float32 scalar by the id of its payload (alive as long as the document)."""
    state = _Reading(source, decoded)
    token = _READING.set(state)
    try:
        yield state
    finally:
        _READING.reset(token)


def read_member(
    owner: Any, name: Any, dtype: np.dtype, shape: tuple[int, ...], loc: tuple
) -> np.ndarray:
    """The block a payload names; ``owner`` is the JSON object holding the ``member`` field.

    A union may decode the same payload twice; it gets the same block. Two payloads naming
    one member are refused: each block belongs to exactly one place in the document.
    """
    state = _READING.get()
    if state is None or state.source is None:
        raise DecodeProblem(loc, "array members exist only in compact (zip) files; write data")
    if type(name) is not str or not MEMBER_NAME.match(name):
        raise DecodeProblem(loc, 'expected a member name such as "arrays/0.npy"')
    if not is_numeric(dtype):
        raise DecodeProblem(loc, "only numeric arrays are stored as members")
    cached = state.by_payload.get(id(owner))
    if cached is not None and (cached[0], cached[1].dtype, cached[1].shape) == (name, dtype, shape):
        return cached[1]
    first = state.claimed.get(name)
    if first is not None and first != id(owner):
        raise DecodeProblem(loc, f"member {name!r} is already used by another array")
    try:
        block = state.source.read(name, dtype, shape)
    except DecodeProblem as e:
        raise e.within(*loc) from None
    state.claimed[name] = id(owner)
    state.by_payload[id(owner)] = (name, block, owner)
    return block


def record_hash(owner: Any, value: Any) -> None:
    """Remember a decoded block's hash (or a column → hash dict) for the digest."""
    state = _READING.get()
    if state is not None:
        state.hashes[id(owner)] = value
        state.keep.append(owner)


def record_decoded(owner: Any, value: Any) -> None:
    """Keep a decoded value (a numeric or records array, a float32 scalar) for the caller
    that asked for them."""
    state = _READING.get()
    if state is not None and state.decoded is not None:
        state.decoded[id(owner)] = value


def recorded_hash(owner: Any) -> Any:
    state = _READING.get()
    return None if state is None else state.hashes.get(id(owner))
