"""The public functions."""

from __future__ import annotations

import os
import stat
from typing import Any

from milo_codec import pipeline
from milo_codec.codecs.registry import supported_models as _supported
from milo_codec.errors import DocumentError, MiloError, Problem, VersionError
from milo_codec.report import Report
from milo_codec.write import write_atomic

PathLike = str | os.PathLike[str]


def dumps(model: Any) -> str:
    """The model as milo JSON text (validated as a load would before it is returned)."""
    return pipeline.dumps(model)


def dump(model: Any, path: PathLike) -> None:
    """Write the model to ``path`` atomically: on any failure no file (or the old one) is left."""
    if os.path.isdir(path):
        raise MiloError(f"{os.fspath(path)!r} is a directory; give the path of the file to write")
    write_atomic(path, dumps(model).encode("utf-8"))


def _read_file(path: PathLike) -> bytes:
    try:
        st = os.stat(path)
    except OSError as e:
        raise MiloError(f"cannot read {os.fspath(path)!r}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise MiloError(
            f"{os.fspath(path)!r} is not a regular file; milo_codec only reads regular files"
        )
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise MiloError(f"cannot read {os.fspath(path)!r}: {e.strerror}") from None


def load(path: PathLike) -> Any:
    """Read a milo file and rebuild the model; nothing is constructed unless the file is valid."""
    return pipeline.load(_read_file(path))


def loads(data: str | bytes) -> Any:
    """Rebuild a model from milo JSON text or bytes."""
    if not isinstance(data, str | bytes | bytearray):
        raise TypeError(f"loads() takes str or bytes, not {type(data).__name__}")
    return pipeline.load(data)


def validate(source: PathLike | str | bytes) -> Report:
    """Check a file (a path) or a document (text starting with ``{`` or bytes) without building it."""
    if isinstance(source, bytes | bytearray):
        data: str | bytes = bytes(source)
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data = source
    else:
        try:
            data = _read_file(source)
        except MiloError as e:
            return Report((Problem("$", str(e)),))
    try:
        node = pipeline.read(data)
    except DocumentError as e:
        return Report(e.problems)
    except VersionError as e:
        path, _, message = str(e).partition(": ")
        return Report((Problem(path, message),))
    return Report((), node.codec().class_path)


def supported_models() -> dict[str, str]:
    """Every supported estimator class (public path) → the $id of its newest schema."""
    return _supported()
