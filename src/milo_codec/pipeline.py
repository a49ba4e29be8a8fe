"""The one path a document takes.

load:  bytes → parse (with limits) → versions → schema (generated codecs) → invariants →
       digest → construct
       (a compact file: zip directory → model.json through the same path, each numeric
       block read from its member when the schema step reaches it)
dump:  estimator → encode (exact-type registry lookup) → text → the load path minus
       construction (a file that would not load is never written) → atomic write
       (every numeric block is collected and validated from the array itself, then
       written as numbers, or, in a compact file when large, as a member zipped beside it)
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import ValidationError

from milo_codec.codecs import kinds
from milo_codec.codecs.base import ModelCodec, NodeModel
from milo_codec.codecs.kinds import LIMIT_ERROR, Named, Null, OneOf, Str, chosen_errors
from milo_codec.codecs.registry import codec_for_estimator
from milo_codec.construct import build
from milo_codec.container import Archive, SinkSource, compact_parts, is_compact
from milo_codec.digest import model_digest
from milo_codec.envelope import FORMAT, FORMAT_VERSION, Envelope, producer_versions
from milo_codec.errors import (
    DocumentError,
    IntegrityError,
    LimitError,
    Problem,
    SchemaError,
    UnsupportedModelError,
    VersionError,
)
from milo_codec.invariants import check_document
from milo_codec.limits import DEFAULT_LIMITS, NO_ARRAY_LIMITS, Limits, reading
from milo_codec.parse import no_cycle_collection, parse, parse_own_output
from milo_codec.paths import child, json_path, problems_from
from milo_codec.values.encode import ValueEncoder
from milo_codec.values.inline import inline_blocks, place_blocks
from milo_codec.values.members import MemberSink, MemberSource, reading_members, writing_members
from milo_codec.write import to_manifest_text, to_text


def read(
    data: bytes | str | Archive,
    limits: Limits = DEFAULT_LIMITS,
    parser: Callable[[Any], Any] | None = None,
    expected_digest: str | None = None,
) -> NodeModel:
    """Everything up to construction: the validated, invariant-checked, inert model node."""
    return read_document(data, limits, parser, expected_digest)[0]


def read_document(
    data: bytes | str | Archive,
    limits: Limits = DEFAULT_LIMITS,
    parser: Callable[[Any], Any] | None = None,
    expected_digest: str | None = None,
    members: MemberSource | None = None,
    decoded: dict[int, Any] | None = None,
) -> tuple[NodeModel, str]:
    """The validated, invariant-checked, inert model node and its digest.

    ``data`` is a readable document, a compact archive's bytes, or an opened ``Archive``.
    ``decoded`` receives every numeric block and float32 scalar, by the id of its payload.
    """
    try:
        data = open_archive(data, limits)
        if isinstance(data, Archive):
            members = data
        doc = parse_document(data, limits) if parser is None else parser(data)
        check_versions(doc)
        with reading_members(members, decoded):
            node, envelope = _validate(doc, limits)
            if members is not None:
                _check_members(members, envelope)
            # After the checks: a file invalid anyway is reported by what is wrong with it.
            return node, check_digest(doc["model"], envelope, expected_digest)
    except MemoryError:
        # The limits bound what a file may allocate, but this machine may have less free.
        raise LimitError(
            "The document needs more memory than is free.",
            [
                Problem(
                    "$",
                    "memory ran out while reading it; to refuse such files before they "
                    "allocate, lower milo_codec.Limits (max_parsed_bytes, max_array_bytes)",
                )
            ],
        ) from None


def open_archive(data: bytes | str | Archive, limits: Limits) -> bytes | str | Archive:
    """A compact file's bytes opened as an ``Archive``; anything else as it is."""
    if isinstance(data, bytes | bytearray) and is_compact(data):
        return Archive(bytes(data), len(data), limits)
    return data


def parse_document(data: bytes | str | Archive, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The parsed document of a readable file, or of a compact one's ``model.json``."""
    if isinstance(data, Archive):
        return parse(data.document(limits), limits, spent=data.directory_memory)
    return parse(data, limits)


def _check_members(members: MemberSource, envelope: Envelope) -> None:
    unused = members.unused()
    if unused:
        raise SchemaError(
            "The archive does not match its document.",
            [
                Problem(
                    "$",
                    f"member {unused[0]!r} is not named by any array in model.json; a compact "
                    "file holds only the blocks its document declares",
                )
            ],
        )
    if isinstance(members, Archive) and envelope.digest is None:
        raise SchemaError(
            "The document does not match its schema.",
            [Problem("$.digest", "compact files must carry the model's digest")],
        )


def _validate(doc: Any, limits: Limits) -> tuple[NodeModel, Envelope]:
    try:
        with reading(limits):
            envelope = Envelope.model_validate(doc)
    except ValidationError as e:
        errors = chosen_errors(e)
        over = [err for err in errors if err["type"] == LIMIT_ERROR]
        if over:
            raise LimitError(
                "The document exceeds a resource limit.",
                [Problem(json_path(err["loc"]), err["msg"]) for err in over],
            ) from None
        raise SchemaError(
            "The document does not match its schema.", problems_from(errors)
        ) from None
    except RecursionError:
        raise SchemaError(
            "The document does not match its schema.",
            [Problem("$", "values are nested too deeply")],
        ) from None
    check_document(envelope.model)
    return envelope.model, envelope


def check_digest(model: Any, envelope: Envelope, expected: str | None) -> str:
    """The model node's digest, after checking it against the file's and the caller's."""
    actual = model_digest(model)
    if envelope.digest is not None and envelope.digest.sha256 != actual:
        raise IntegrityError(
            "The model was changed after it was written.",
            [
                Problem(
                    "$.digest.sha256",
                    f"the file says {envelope.digest.sha256} but the model node's SHA-256 is "
                    f"{actual}; re-export the model from its source (or, if you edited the file "
                    "on purpose and trust the edit, remove the digest)",
                )
            ],
        )
    if expected is not None and expected != actual:
        raise IntegrityError(
            "This is not the model you pinned.",
            [
                Problem(
                    "$.model",
                    f"its SHA-256 is {actual}, not the expected {expected}",
                )
            ],
        )
    return actual


def load(
    data: bytes | str | Archive,
    limits: Limits = DEFAULT_LIMITS,
    expected_digest: str | None = None,
) -> Any:
    # Construction imports scikit-learn anyway; imported first, it also tells its version.
    import sklearn  # noqa: F401

    # The whole read (not only the parse) creates many containers and no cycles worth
    # collecting mid-way: the collector's passes would only traverse them again.
    with no_cycle_collection():
        return build(read(data, limits, expected_digest=expected_digest))


def _minor(version: str) -> tuple[int, ...] | None:
    m = re.match(r"^(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def sklearn_version() -> str:
    """The installed scikit-learn's version, without importing it when it is not imported
    yet: validating a file builds nothing, and importing scikit-learn takes about a second."""
    sklearn = sys.modules.get("sklearn")
    if sklearn is not None:
        return str(sklearn.__version__)
    import importlib.metadata  # 30 ms to import: only here, not with milo_codec

    return importlib.metadata.version("scikit-learn")


def check_versions(doc: Any) -> None:
    """Refuse files of another format version or scikit-learn minor release, before validation."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return  # the schema reports what is wrong
    version = doc.get("format_version")
    if type(version) is int and version != FORMAT_VERSION:
        raise VersionError(
            f"$.format_version: this file uses milo format version {version}; this milo_codec "
            f"reads version {FORMAT_VERSION}. Upgrade milo_codec to read it."
        )
    producer = doc.get("producer")
    written = producer.get("scikit-learn") if isinstance(producer, dict) else None
    if isinstance(written, str) and _minor(written) is not None:
        installed = sklearn_version()
        if _minor(written) != _minor(installed):
            raise VersionError(
                f"$.producer.scikit-learn: the model was written with scikit-learn {written}; this "
                f"installation has {installed}. Fitted state is versioned per scikit-learn "
                f"minor release: load it with scikit-learn {written.rsplit('.', 1)[0]}.*, or re-export it there."
            )


# ---------------------------------------------------------------------------
# dump


def encode_model(estimator: Any, path: str, encode: ValueEncoder) -> dict:
    codec = codec_for_estimator(estimator, path)
    params = _params(estimator, codec, path)
    attributes = vars(estimator)
    _check_constructor_constants(estimator, params, codec, path)
    state_names = [k for k in attributes if k not in params and k not in codec.derived]
    unknown = [k for k in state_names if k not in codec.state_names]
    if unknown:
        raise UnsupportedModelError(
            f"{path}: {codec.class_path} holds attribute {unknown[0]!r}, which its schema "
            f"({codec.source}) does not declare; it cannot be written faithfully."
        )
    node: dict[str, Any] = {
        "class": codec.class_path,
        "schema": codec.schema_id,
        "params": {k: _encode_param(codec, k, params[k], path, encode) for k in codec.param_names},
        "state": (
            {k: encode(attributes[k], child(f"{path}.state", k)) for k in state_names}
            if state_names
            else None
        ),
    }
    return node


_PARAMS_CHECKED: set[type] = set()


def _params(estimator: Any, codec: ModelCodec, path: str) -> dict[str, Any]:
    """``get_params(deep=False)``, checked against the schema's parameter list.

    scikit-learn's own ``get_params`` reads the constructor's signature on every call; once a
    class's names are known to match the schema, its values are read directly (unless the
    class overrides ``get_params``)."""
    cls = type(estimator)
    if cls in _PARAMS_CHECKED:
        return {k: getattr(estimator, k) for k in codec.param_names}
    params = estimator.get_params(deep=False)
    if set(params) != set(codec.param_names):
        raise UnsupportedModelError(
            f"{path}: {codec.class_path} has parameters {sorted(params)} but its schema "
            f"({codec.source}) declares {sorted(codec.param_names)}; the schema is out of date."
        )
    from sklearn.base import BaseEstimator

    if getattr(cls, "get_params", None) is BaseEstimator.get_params:
        _PARAMS_CHECKED.add(cls)
    return params


def _encode_param(codec: ModelCodec, name: str, value: Any, path: str, encode: ValueEncoder) -> Any:
    """A parameter value the format cannot hold is refused naming what the schema accepts there
    (e.g. a callable kernel: "one of 'knn', 'rbf'"), not only the format's global lists."""
    where = child(f"{path}.params", name)
    try:
        return encode(value, where)
    except UnsupportedModelError as e:
        one_of = _param_kinds(codec, name)
        options = _named_options(one_of) if one_of is not None and _is_function(value) else None
        if options is None:
            accepted = _accepted(one_of) if one_of is not None else None
            if accepted is None or not str(e).startswith(f"{where}:"):
                raise  # a problem deeper inside the value names its own path
            raise UnsupportedModelError(f"{e} This parameter accepts {accepted}.") from None
        # The field takes no function at all (e.g. FastICA's fun): name what it does take.
        raise UnsupportedModelError(
            f"{where}: the callable {_describe(value)} cannot be written: "
            f"{codec.class_path}'s {name} takes only "
            f"{', '.join(options)}, not a function."
        ) from None


def _is_function(v: Any) -> bool:
    """A plain function (not a callable object such as a kernel or a scorer, which have kinds)."""
    return inspect.isroutine(v) or isinstance(v, functools.partial | np.ufunc)


def _describe(v: Any) -> str:
    module = getattr(v, "__module__", None) or type(v).__module__
    return f"{module}.{getattr(v, '__qualname__', None) or type(v).__qualname__}"


def _param_kinds(codec: ModelCodec, name: str) -> OneOf | None:
    """The kinds the generated codec accepts for parameter ``name``."""
    params_model = codec.node.model_fields["params"].annotation
    for python_name, info in getattr(params_model, "model_fields", {}).items():
        if (info.alias or python_name) == name:
            return next((m for m in info.metadata if isinstance(m, OneOf)), None)
    return None


def _named_options(one_of: OneOf) -> list[str] | None:
    """The string options (and null) a parameter accepts, when it accepts no function."""
    allowed = list(one_of.kinds)
    if not allowed or any(isinstance(k, Named) and k.key == "function" for k in allowed):
        return None
    options = [repr(o) for k in allowed if isinstance(k, Str) and k.enum for o in k.enum]
    options += ["None"] if any(isinstance(k, Null) for k in allowed) else []
    return options or None


def _accepted(one_of: OneOf) -> str | None:
    if any(isinstance(k, kinds.Registered) for k in one_of.kinds):
        return None  # the object kind's own refusal already says what it takes
    return kinds.describe_accepted(one_of)


_PLAIN = (type(None), bool, int, float, str)


def _check_constructor_constants(
    estimator: Any, params: dict[str, Any], codec: ModelCodec, path: str
) -> None:
    """Derived attributes the constructor sets (e.g. Lasso's l1_ratio = 1.0) are not written:
    reading calls the constructor, which sets them again. Refuse a model where one no longer
    has the constructor's value, since it would not survive."""
    derived = [k for k in codec.derived if k in vars(estimator)]
    if not derived:
        return
    try:
        fresh = vars(type(estimator)(**params))
    except Exception:  # the reader would fail the same way; the load path reports it
        return
    for k in derived:
        if k not in fresh or not isinstance(fresh[k], _PLAIN):
            continue
        mine, theirs = vars(estimator)[k], fresh[k]
        if type(mine) is not type(theirs) or mine != theirs:
            raise UnsupportedModelError(
                f"{child(f'{path}.state', k)}: {codec.class_path} sets {k} = {theirs!r} in its "
                f"constructor, but this model has {mine!r}; milo files do not store it, so it "
                "would not survive a round trip."
            )


def dumps(estimator: Any) -> str:
    """The readable document (every array as JSON numbers)."""
    return readable_file(*_document(estimator))


def dumps_compact(estimator: Any) -> bytes:
    """The compact archive: the document, with large numeric blocks as ``.npy`` members."""
    return b"".join(compact_parts_of(estimator))


def compact_parts_of(estimator: Any) -> list[Any]:
    """The compact archive as buffers to write out in order (the arrays are not copied)."""
    return compact_file_parts(*_document(estimator))


def readable_file(tree: dict, blocks: dict[str, np.ndarray], digest: str) -> str:
    """A checked document written readable: each block's numbers where its member name was.

    Its blocks were validated as served from the arrays themselves: parsing the numbers back
    would cost several times writing them, and what they decode to is exactly those arrays
    (the round-trip tests read every written file back)."""
    return insert_digest(to_text(inline_blocks(tree, blocks)), digest)


def compact_file_parts(tree: dict, blocks: dict[str, np.ndarray], digest: str) -> list[Any]:
    """A checked document written compact: large blocks stay members, small ones numbers."""
    tree, kept = place_blocks(tree, blocks)
    return compact_parts(insert_digest(to_manifest_text(tree), digest).encode("utf-8"), kept)


def _document(estimator: Any) -> tuple[dict, dict[str, np.ndarray], str]:
    """The encoded tree (every numeric block a member), its blocks and its digest, after
    checking it as ``load`` would (a file that would not load is never written)."""
    codec_for_estimator(estimator)  # an unsupported top-level object is refused by name
    sink = MemberSink()
    encode = ValueEncoder(lambda est, path: encode_model(est, path, encode))
    with writing_members(sink), no_cycle_collection():
        model = encode(estimator, "$.model")
    tree = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "producer": producer_versions(),
        "model": model,
    }
    try:
        digest = check_tree(tree, sink)
    except LimitError:
        raise  # out of memory: not the model's fault
    except (DocumentError, VersionError) as e:
        raise UnsupportedModelError(
            f"{type(estimator).__name__} produced a document its own schema refuses, so nothing "
            f"was written:\n{e}"
        ) from e
    return tree, dict(sink.blocks), digest


def check_tree(tree: dict, sink: MemberSink) -> str:
    """The digest of a document about to be written, checked as ``load`` would check it,
    with each block served from its array (every block is a member of ``sink``)."""
    _, digest = read_document(
        to_manifest_text(tree), NO_ARRAY_LIMITS, parser=parse_own_output, members=SinkSource(sink)
    )
    return digest


_MODEL_MEMBER = '\n  "model": '  # the envelope's last member, at the writer's top-level indent


def insert_digest(text: str, digest: str) -> str:
    """The written text with the digest member inserted before the model (whose digest it is)."""
    at = text.index(_MODEL_MEMBER)
    return f'{text[:at]}\n  "digest": {{"sha256": "{digest}"}},{text[at:]}'
