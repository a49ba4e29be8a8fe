"""The one path a document takes.

load:  bytes → parse → versions → schema (generated codecs) → invariants → construct
dump:  estimator → encode (exact-type registry lookup) → text → the load path minus
       construction (a file that would not load is never written) → atomic write
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from milo_codec.codecs import kinds
from milo_codec.codecs.base import ModelCodec, NodeModel
from milo_codec.codecs.registry import codec_for_estimator
from milo_codec.construct import build
from milo_codec.envelope import FORMAT, FORMAT_VERSION, Envelope, producer_versions
from milo_codec.errors import (
    DocumentError,
    Problem,
    SchemaError,
    UnsupportedModelError,
    VersionError,
)
from milo_codec.invariants import check_document
from milo_codec.parse import parse, parse_own_output
from milo_codec.paths import child, problems_from
from milo_codec.values.encode import ValueEncoder
from milo_codec.write import to_text


def read(data: bytes | str, parser: Callable[[Any], Any] = parse) -> NodeModel:
    """Everything up to construction: the validated, invariant-checked, inert model node."""
    doc = parser(data)
    check_versions(doc)
    try:
        envelope = Envelope.model_validate(doc)
    except ValidationError as e:
        raise SchemaError("The document does not match its schema.", problems_from(e)) from None
    except RecursionError:
        raise SchemaError(
            "The document does not match its schema.",
            [Problem("$", "values are nested too deeply")],
        ) from None
    check_document(envelope.model)
    return envelope.model


def load(data: bytes | str) -> Any:
    return build(read(data))


def _minor(version: str) -> tuple[int, ...] | None:
    m = re.match(r"^(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


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
        import sklearn

        if _minor(written) != _minor(sklearn.__version__):
            raise VersionError(
                f"$.producer.scikit-learn: the model was written with scikit-learn {written}; this "
                f"installation has {sklearn.__version__}. Fitted state is versioned per scikit-learn "
                f"minor release: load it with scikit-learn {written.rsplit('.', 1)[0]}.*, or re-export it there."
            )


# ---------------------------------------------------------------------------
# dump


def encode_model(estimator: Any, path: str, encode: ValueEncoder) -> dict:
    codec = codec_for_estimator(estimator, path)
    params = estimator.get_params(deep=False)
    if set(params) != set(codec.param_names):
        raise UnsupportedModelError(
            f"{path}: {codec.class_path} has parameters {sorted(params)} but its schema "
            f"({codec.source}) declares {sorted(codec.param_names)}; the schema is out of date."
        )
    attributes = vars(estimator)
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
        "params": {
            k: _encode_param(codec, k, params[k], child(f"{path}.params", k), encode)
            for k in codec.param_names
        },
        "state": (
            {k: encode(attributes[k], child(f"{path}.state", k)) for k in state_names}
            if state_names
            else None
        ),
    }
    return node


def _encode_param(codec: ModelCodec, name: str, value: Any, path: str, encode: ValueEncoder) -> Any:
    """A parameter value the format cannot hold is refused naming what the schema accepts there
    (e.g. a callable kernel: "one of 'knn', 'rbf'"), not only the format's global lists."""
    try:
        return encode(value, path)
    except UnsupportedModelError as e:
        accepted = _accepted(codec, name)
        if accepted is None or not str(e).startswith(f"{path}:"):
            raise  # a problem deeper inside the value names its own path
        raise UnsupportedModelError(f"{e} This parameter accepts {accepted}.") from None


def _accepted(codec: ModelCodec, name: str) -> str | None:
    params_model = codec.node.model_fields["params"].annotation
    fields = getattr(params_model, "model_fields", {})
    for python_name, info in fields.items():
        if (info.alias or python_name) == name:
            for meta in info.metadata:
                if isinstance(meta, kinds.OneOf):
                    return kinds.describe_accepted(meta)
    return None


def dumps(estimator: Any) -> str:
    codec_for_estimator(estimator)  # an unsupported top-level object is refused by name
    encode = ValueEncoder(lambda est, path: encode_model(est, path, encode))
    tree = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "producer": producer_versions(),
        "model": encode(estimator, "$.model"),
    }
    text = to_text(tree)
    try:
        read(text, parser=parse_own_output)
    except (DocumentError, VersionError) as e:
        raise UnsupportedModelError(
            f"{type(estimator).__name__} produced a document its own schema refuses, so nothing "
            f"was written:\n{e}"
        ) from e
    return text
