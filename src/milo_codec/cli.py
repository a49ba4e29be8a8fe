"""The ``milo-codec`` command: validate and inspect milo files, list models, run the demo.

milo-codec validate FILE...    check files against their schemas (nothing is constructed)
milo-codec inspect FILE        validate, then summarise params and fitted state
milo-codec convert IN OUT --to compact|readable
                               re-write a file in the other mode (validated, same digest)
milo-codec models              every supported estimator class and its schema id
milo-codec demo [--out PATH]   fit, write, validate, load back and compare predictions
milo-codec --version
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from milo_codec import __version__
from milo_codec.container import Archive
from milo_codec.errors import DocumentError, MiloError, Problem, VersionError

PROG = "milo-codec"
_MAX_REPR = 72


# ---------------------------------------------------------------------------
# reading files


@contextlib.contextmanager
def opened(path: str | os.PathLike[str]) -> Iterator[bytes | Archive]:
    """The file through the same checks the API uses: a readable file's bytes, or a compact
    file opened to read its members in place (``MiloError`` if refused)."""
    from milo_codec.api import _open_source
    from milo_codec.limits import DEFAULT_LIMITS

    try:
        with _open_source(path, DEFAULT_LIMITS) as source:
            yield source
    except OSError as e:  # stat succeeded but open/read failed (e.g. permission denied)
        raise MiloError(f"cannot read {os.fspath(path)!r}: {e.strerror or e}") from None


def _problems_of(error: MiloError) -> tuple[Problem, ...]:
    """The problems a refused file is reported with, as ``milo_codec.validate`` reports them."""
    if isinstance(error, DocumentError):
        return error.problems
    if isinstance(error, VersionError):
        path, sep, message = str(error).partition(": ")
        if sep and path.startswith("$"):
            return (Problem(path, message),)
    return (Problem("$", str(error)),)


def _print_invalid(name: str, problems: Sequence[Problem], out: TextIO) -> None:
    print(f"{name}: invalid", file=out)
    for p in problems:
        print(f"  {p.path}: {p.message}", file=out)


# ---------------------------------------------------------------------------
# validate


def _validate_one(name: str) -> tuple[tuple[Problem, ...], str | None]:
    import milo_codec

    try:
        # A Path (never a str): validate() treats a str starting with "{" as a document.
        report = milo_codec.validate(Path(name))
    except MiloError as e:
        return _problems_of(e), None
    except OSError as e:
        return (Problem("$", f"cannot read {name!r}: {e.strerror or e}"),), None
    return report.problems, report.class_path


def cmd_validate(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        problems, class_path = _validate_one(name)
        if problems:
            _print_invalid(name, problems, sys.stdout)
            status = 1
        else:
            print(f"{name}: valid ({class_path})")
    return status


# ---------------------------------------------------------------------------
# inspect


def _type_path(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{name}" if module and module != "builtins" else name


def _clip(text: str, limit: int = _MAX_REPR) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_sparse(value: Any) -> bool:
    try:
        import scipy.sparse
    except ImportError:  # pragma: no cover - scipy is a dependency
        return False
    return bool(scipy.sparse.issparse(value))


def _number(x: Any) -> str:
    if isinstance(x, np.bool_ | bool):
        return str(bool(x))
    if isinstance(x, np.integer | int):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    return f"{x:.6g}"


def _array_summary(a: np.ndarray) -> str:
    text = f"ndarray {a.dtype} shape {tuple(a.shape)}"
    if a.size == 0 or a.dtype.names is not None:
        return text
    kind = a.dtype.kind
    if kind == "b":
        return f"{text} true {int(np.count_nonzero(a))} of {a.size}"
    if kind in "iu":
        return f"{text} min {_number(a.min())} max {_number(a.max())}"
    if kind == "f":
        nans = int(np.count_nonzero(np.isnan(a)))
        if nans == a.size:
            return f"{text} all nan"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanmin(a), np.nanmax(a)
        extra = f" ({nans} nan)" if nans else ""
        return f"{text} min {_number(lo)} max {_number(hi)}{extra}"
    if kind in "OUS":  # labels such as classes_ or categories_: show a few
        return f"{text} {_clip(repr(a.tolist()), 48)}"
    return text  # complex and others: no ordering worth showing


def _short(value: Any) -> str:
    """A one-line description of a parameter value."""
    from milo_codec.codecs.base import NodeModel

    if isinstance(value, NodeModel):
        return type(value).codec().class_path
    if isinstance(value, np.ndarray):
        return f"ndarray {value.dtype} shape {tuple(value.shape)}"
    if isinstance(value, np.generic):
        return f"{value.item()!r} ({value.dtype})"
    if _is_sparse(value):
        return f"sparse {value.format} shape {tuple(value.shape)} nnz {value.nnz}"
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return _type_path(value)
    if isinstance(value, list | tuple) and any(isinstance(v, NodeModel) for v in value):
        inner = ", ".join(_short(v) for v in value)
        return _clip("[" + inner + "]" if isinstance(value, list) else "(" + inner + ")")
    text = repr(value)
    if text.startswith("<"):  # default object repr with an address: show the type instead
        return f"<{_type_path(type(value))}>"
    return _clip(text)


def _state_lines(name: str, value: Any, indent: str) -> list[str]:
    """Lines describing one fitted-state value (nested models are expanded)."""
    from milo_codec.codecs.base import NodeModel
    from milo_codec.objects.base import Pending

    if isinstance(value, NodeModel):
        return [
            f"{indent}{name}: {type(value).codec().class_path}",
            *_node_lines(value, indent + "  "),
        ]
    if isinstance(value, Pending):  # an object kind built at construction, e.g. a tree
        lines = [f"{indent}{name}: {value.kind.tag}"]
        payload = value.payload
        fields = payload.items() if isinstance(payload, dict) else [("payload", payload)]
        for key, item in fields:
            lines += _state_lines(str(key), item, indent + "  ")
        return lines
    if isinstance(value, np.ndarray) and value.dtype.names is not None:
        lines = [f"{indent}{name}: structured array shape {tuple(value.shape)}"]
        for field in value.dtype.names:
            lines.append(f"{indent}  {field}: {_array_summary(value[field])}")
        return lines
    if isinstance(value, np.ndarray):
        return [f"{indent}{name}: {_array_summary(value)}"]
    if _is_sparse(value):
        return [
            f"{indent}{name}: sparse {value.format} {value.dtype} shape {tuple(value.shape)} "
            f"nnz {value.nnz}"
        ]
    containers = (list, tuple, dict)
    if isinstance(value, containers) and value:
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        structured = any(
            isinstance(v, (NodeModel, np.ndarray, *containers)) or _is_sparse(v) for _, v in items
        )
        if structured:
            lines = [f"{indent}{name}: {type(value).__name__} of {len(value)}"]
            for key, item in items[:50]:
                lines += _state_lines(f"[{key!r}]", item, indent + "  ")
            if len(items) > 50:
                lines.append(f"{indent}  ... and {len(items) - 50} more")
            return lines
    return [f"{indent}{name}: {_short(value)}"]


def _node_lines(node: Any, indent: str) -> list[str]:
    lines = [f"{indent}params:"]
    params = node.params.fields_by_json_name()
    if not params:
        lines.append(f"{indent}  (none)")
    for key, value in params.items():
        lines.append(f"{indent}  {key} = {_short(value)}")
    if node.state is None:
        lines.append(f"{indent}state: (none: not fitted)")
        return lines
    lines.append(f"{indent}state:")
    state = node.state.fields_by_json_name()
    if not state:
        lines.append(f"{indent}  (empty)")
    for key, value in state.items():
        lines += _state_lines(key, value, indent + "  ")
    return lines


def inspect_lines(data: bytes | Archive) -> list[str]:
    """The summary ``inspect`` prints for a document (raises ``MiloError`` if it is refused)."""
    from milo_codec import pipeline
    from milo_codec.limits import DEFAULT_LIMITS

    source = pipeline.open_archive(data, DEFAULT_LIMITS)
    doc = pipeline.parse_document(source)
    node, digest = pipeline.read_document(source, parser=lambda _: doc)  # parsed once
    codec = type(node).codec()
    producer = doc.get("producer", {})
    versions = ", ".join(f"{k} {v}" for k, v in producer.items())
    mode = "compact (arrays as .npy members)" if isinstance(source, Archive) else "readable"
    return [
        f"class:    {codec.class_path}",
        f"schema:   {codec.schema_id}",
        f"mode:     {mode}",
        f"producer: {versions}",
        f"sha256:   {digest} (pin it: load(path, expected_digest=...))",
        *_node_lines(node, ""),
    ]


def cmd_inspect(args: argparse.Namespace) -> int:
    name = args.file
    try:
        with opened(name) as data:
            lines = inspect_lines(data)
    except MiloError as e:
        _print_invalid(name, _problems_of(e), sys.stdout)
        return 1
    print(f"{name}: valid")
    for line in lines:
        print(line)
    return 0


# ---------------------------------------------------------------------------
# convert


def cmd_convert(args: argparse.Namespace) -> int:
    from milo_codec.convert import convert
    from milo_codec.write import write_atomic

    try:
        with opened(args.input) as data:
            out = convert(data, compact=args.to == "compact")
    except MiloError as e:
        _print_invalid(args.input, _problems_of(e), sys.stdout)
        return 1
    if args.output == "-":
        if args.to == "compact":
            print("error: a compact file is binary; give a file name, not -", file=sys.stderr)
            return 2
        sys.stdout.write(out.decode("utf-8"))
        return 0
    if os.path.isdir(args.output):
        raise MiloError(f"{args.output!r} is a directory; give the path of the file to write")
    write_atomic(args.output, out)
    print(f"{args.input} -> {args.output} ({args.to}, {len(out):,} bytes)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------
# models


def cmd_models(args: argparse.Namespace) -> int:
    import milo_codec

    models = milo_codec.supported_models()
    width = max((len(k) for k in models), default=0)
    for class_path, schema_id in sorted(models.items()):
        print(f"{class_path:<{width}}  {schema_id}")
    return 0


# ---------------------------------------------------------------------------
# demo


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def cmd_demo(args: argparse.Namespace) -> int:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import milo_codec

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    print(
        f"Fitted LogisticRegression(max_iter=1000) on the iris data "
        f"({X.shape[0]} samples, {X.shape[1]} features, {len(model.classes_)} classes)."
    )

    if args.out is not None:
        path = Path(args.out)
        if path.is_dir():
            path = path / "milo-demo.json"
    else:
        path = Path(tempfile.mkdtemp(prefix="milo-demo-")) / "milo-demo.json"
    milo_codec.dump(model, path)
    print(f"Wrote {path} ({path.stat().st_size:,} bytes).")

    report = milo_codec.validate(path)
    if not report.ok:
        _print_invalid(str(path), report.problems, sys.stdout)
        return 1
    print(f"Validated: valid ({report.class_path}).")

    text = path.read_text(encoding="utf-8").splitlines()
    head = 25
    print(f"\nThe first {min(head, len(text))} of {len(text)} lines:")
    for line in text[:head]:
        print(f"  | {line}")
    if len(text) > head:
        print(f"  | ... ({len(text) - head} more lines)")
    print()

    loaded = milo_codec.load(path)
    same_class = type(loaded) is type(model)
    print(
        f"Loaded it back: {type(loaded).__name__}"
        f"{', the same class' if same_class else ', a DIFFERENT class'}."
    )
    ok = same_class
    for method in ("predict", "predict_proba"):
        expected, got = getattr(model, method)(X), getattr(loaded, method)(X)
        same = _same_bits(expected, got)
        ok = ok and same
        verdict = "identical, bit for bit" if same else "DIFFERENT"
        print(f"  {method + ':':<15}{verdict} ({expected.dtype} {tuple(expected.shape)})")
    print(
        "Round trip OK: the loaded model predicts exactly what the original did."
        if ok
        else "Round trip FAILED."
    )
    return 0 if ok else 1


# ---------------------------------------------------------------------------
# entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Validate, inspect and demonstrate milo files: scikit-learn models as "
        "strict, schema-validated JSON.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check milo files without constructing anything")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("inspect", help="validate a file, then summarise its params and state")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser(
        "convert",
        help="re-write a file as compact (raw .npy arrays in a zip) or readable (JSON numbers)",
    )
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT", help="the file to write (- for stdout, readable only)")
    p.add_argument("--to", choices=("compact", "readable"), required=True)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("models", help="list the supported estimator classes and their schemas")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("demo", help="fit, write, validate and reload a model; compare predictions")
    p.add_argument(
        "--out",
        metavar="PATH",
        help="where to write the demo file (default: milo-demo.json in a new temporary directory)",
    )
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MiloError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        if isinstance(e, BrokenPipeError):  # e.g. `milo-codec models | head`
            _silence_stdout()
            return 1
        print(f"error: {e}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
