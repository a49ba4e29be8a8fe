"""The public functions."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator
from typing import Any, Literal, overload

from milo_codec import pipeline
from milo_codec.codecs.registry import supported_models as _supported
from milo_codec.container import Archive, is_compact
from milo_codec.errors import DocumentError, MiloError, Problem, VersionError
from milo_codec.limits import DEFAULT_LIMITS, Limits, exceeded
from milo_codec.report import Report
from milo_codec.write import write_atomic

PathLike = str | os.PathLike[str]


@overload
def dumps(model: Any, *, compact: Literal[False] = False) -> str: ...
@overload
def dumps(model: Any, *, compact: Literal[True]) -> bytes: ...
@overload
def dumps(model: Any, *, compact: bool) -> str | bytes: ...


def dumps(model: Any, *, compact: bool = False) -> str | bytes:
    """The model as milo JSON text (validated as a load would before it is returned).

    ``compact=True`` returns a compact file's bytes instead: a zip archive holding the same
    JSON document with every large numeric array as a raw ``.npy`` member (schemas/README.md
    §1.2). Both load the same model; ``milo-codec convert`` turns one into the other.
    """
    return pipeline.dumps_compact(model) if compact else pipeline.dumps(model)


def dump(model: Any, path: PathLike, *, compact: bool = False) -> None:
    """Write the model to ``path`` atomically: on any failure no file (or the old one) is left.

    ``compact=True`` writes the compact form (see ``dumps``).
    """
    if os.path.isdir(path):
        raise MiloError(f"{os.fspath(path)!r} is a directory; give the path of the file to write")
    write_atomic(path, pipeline.compact_parts_of(model) if compact else [dumps(model).encode()])


@contextlib.contextmanager
def _open_source(path: PathLike, limits: Limits) -> Iterator[bytes | Archive]:
    """A readable file's bytes, or a compact file opened for reading its members in place
    (its arrays are read straight into numpy, never through one big buffer)."""
    name = os.fspath(path)
    with _open_regular(path) as (fd, size):
        try:
            if not is_compact(_head(fd)):
                yield _read_all(fd, size, limits)
                return
            with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
                yield Archive(f, size, limits)
        except OSError as e:
            raise MiloError(f"cannot read {name!r}: {e.strerror}") from None


@contextlib.contextmanager
def _open_regular(path: PathLike) -> Iterator[tuple[int, int]]:
    name = os.fspath(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise MiloError(f"cannot read {name!r}: {e.strerror}") from None
    except ValueError as e:  # e.g. a NUL byte or a lone surrogate: no file can have that name
        raise MiloError(f"cannot read {name!r}: the path cannot name a file ({e})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise MiloError(f"{name!r} is not a regular file; milo_codec only reads regular files")
        yield fd, st.st_size
    finally:
        os.close(fd)


def _head(fd: int) -> bytes:
    """The file's first bytes (what tells a compact file from a readable one)."""
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4)


def _read_all(fd: int, size: int, limits: Limits | None) -> bytes:
    """Every byte of the open file, refusing more than ``limits.max_file_bytes``."""
    cap = size if limits is None else min(size, limits.max_file_bytes)
    if limits is not None and size > limits.max_file_bytes:
        raise exceeded("max_file_bytes", "$", f"the file has {size:,} bytes", limits.max_file_bytes)
    os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(fd, "rb", closefd=False) as f:
        # One byte more than fstat said: a file that grew past the limit is still caught.
        data = f.read(cap + 1)
    if limits is not None and len(data) > limits.max_file_bytes:
        raise exceeded(
            "max_file_bytes", "$", "the file grew while it was read", limits.max_file_bytes
        )
    return data


def _pin(expected_digest: str | None) -> str | None:
    if expected_digest is None:
        return None
    if not isinstance(expected_digest, str) or not re.fullmatch(
        r"[0-9a-fA-F]{64}", expected_digest
    ):
        raise ValueError("expected_digest must be a SHA-256 as 64 hexadecimal digits")
    return expected_digest.lower()


def load(
    path: PathLike, *, limits: Limits = DEFAULT_LIMITS, expected_digest: str | None = None
) -> Any:
    """Read a milo file and rebuild the model; nothing is constructed unless the file is valid.

    ``limits`` bounds what the file may make the loader read and allocate (``Limits``).
    ``expected_digest`` (the ``digest`` that ``validate`` reports, or the file's
    ``digest.sha256``) refuses any model but the one with that digest (``IntegrityError``).
    """
    pin = _pin(expected_digest)
    with _open_source(path, limits) as source:
        return pipeline.load(source, limits, pin)


def loads(
    data: str | bytes, *, limits: Limits = DEFAULT_LIMITS, expected_digest: str | None = None
) -> Any:
    """Rebuild a model from milo JSON text, or the bytes of a readable or compact file
    (see ``load``)."""
    if not isinstance(data, str | bytes | bytearray):
        raise TypeError(f"loads() takes str or bytes, not {type(data).__name__}")
    return pipeline.load(data, limits, _pin(expected_digest))


def validate(source: PathLike | str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> Report:
    """Check a file (a path) or a document (text starting with ``{`` or bytes) without building it."""
    if isinstance(source, bytes | bytearray):
        return _report(bytes(source), limits)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return _report(source, limits)
    try:
        with _open_source(source, limits) as data:  # a compact file's arrays are read in place
            return _report(data, limits)
    except DocumentError as e:
        return Report(e.problems)
    except MiloError as e:
        return Report((Problem("$", str(e)),))


def _report(data: str | bytes | Archive, limits: Limits) -> Report:
    try:
        node, digest = pipeline.read_document(data, limits)
    except DocumentError as e:
        return Report(e.problems)
    except VersionError as e:
        path, _, message = str(e).partition(": ")
        return Report((Problem(path, message),))
    return Report((), node.codec().class_path, digest)


def supported_models() -> dict[str, str]:
    """Every supported estimator class (public path) → the $id of its newest schema."""
    return _supported()
