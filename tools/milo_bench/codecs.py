"""The codecs: one table, name -> dump, load and what it supports."""

from __future__ import annotations

import importlib.util
import inspect
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import is_classifier

import milo_codec
from milo_bench.zoo import Fitted

PICKLE_PROTOCOL = 5


def not_installed(*modules: str) -> Callable[[Any], str | None]:
    def check(_model: Any) -> str | None:
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            return f"not installed: {', '.join(missing)} (pip install -e '.[bench]')"
        return None

    return check


def _has_compact(_model: Any) -> str | None:
    if "compact" in inspect.signature(milo_codec.dump).parameters:
        return None
    return "this milo_codec has no compact mode (dump() takes no compact=)"


def _always(_model: Any) -> str | None:
    return None


def _nothing(_blob: bytes) -> None:
    return None


def _pickle_dump(model: Any) -> bytes:
    return pickle.dumps(model, protocol=PICKLE_PROTOCOL)


def _pickle_load(blob: bytes, _prepared: Any) -> Any:
    return pickle.loads(blob)


def _joblib_dump(model: Any) -> bytes:
    import joblib

    buf = io.BytesIO()
    joblib.dump(model, buf)
    return buf.getvalue()


def _joblib_load(blob: bytes, _prepared: Any) -> Any:
    import joblib

    return joblib.load(io.BytesIO(blob))


def _skops_dump(model: Any) -> bytes:
    import skops.io

    return skops.io.dumps(model)


def _skops_trusted(blob: bytes) -> Any:
    import skops.io

    return skops.io.get_untrusted_types(data=blob)


def _skops_load(blob: bytes, trusted: Any) -> Any:
    import skops.io

    return skops.io.loads(blob, trusted=trusted)


def _pymilo_dump(model: Any) -> bytes:
    from pymilo import Export

    return Export(model).to_json().encode("utf-8")


def _pymilo_load(blob: bytes, _prepared: Any) -> Any:
    from pymilo import Import

    return Import(json_dump=blob.decode("utf-8")).to_model()


def _estimators(model: Any) -> list[Any]:
    """The model and, for a pipeline, its steps."""
    return [model, *(step for _, step in getattr(model, "steps", []))]


def _onnx_options(model: Any) -> dict[int, dict[str, Any]]:
    options: dict[int, dict[str, Any]] = {}
    for est in _estimators(model):
        if is_classifier(est):  # plain probability tensors, not a list of dicts per row
            options[id(est)] = {"zipmap": False}
        elif hasattr(est, "build_analyzer"):  # ONNX's default en_US.UTF-8 may be missing
            options[id(est)] = {"locale": "C.UTF-8"}
    return options


def _onnx_dump(model: Any) -> bytes:
    from skl2onnx import convert_sklearn, get_latest_tested_opset_version
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    n_features = getattr(model, "n_features_in_", None)
    tensor = (
        StringTensorType([None, 1]) if n_features is None else FloatTensorType([None, n_features])
    )
    # ai.onnx.ml 3: the newest that every tree converter of this skl2onnx writes.
    opsets = {"": get_latest_tested_opset_version(), "ai.onnx.ml": 3}
    onx = convert_sklearn(
        model, initial_types=[("X", tensor)], options=_onnx_options(model), target_opset=opsets
    )
    return onx.SerializeToString()


def _onnx_load(blob: bytes, _prepared: Any) -> Any:
    import onnxruntime

    # One thread, like the scikit-learn side of the prediction timings (measure.py).
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(blob, options, providers=["CPUExecutionProvider"])


def _onnx_input(X: Any) -> np.ndarray:
    if isinstance(X, list):  # documents
        return np.array(X, dtype=object).reshape(-1, 1)
    return np.asarray(X, dtype=np.float32)


def sklearn_runner(loaded: Any, fitted: Fitted, method: str) -> Callable[[], Any]:
    bound = getattr(loaded, method)
    X = fitted.X
    return lambda: bound(X)


def _onnx_runner(session: Any, fitted: Fitted, _method: str) -> Callable[[], Any]:
    feed = {session.get_inputs()[0].name: _onnx_input(fitted.X)}
    return lambda: session.run(None, feed)[0]


@dataclass(frozen=True)
class Codec:
    name: str
    dump: Callable[[Any], bytes]
    load: Callable[[bytes, Any], Any]  # (bytes, what prepare returned) -> model
    supports: Callable[[Any], str | None]  # model -> why it cannot run, or None
    prepare: Callable[[bytes], Any] = _nothing  # untimed, once per file
    runner: Callable[[Any, Fitted, str], Callable[[], Any]] = sklearn_runner
    bit_exact: bool = True  # False: outputs are compared as a share that disagrees
    traced_memory: bool = True  # False: it allocates outside tracemalloc's sight


def _milo_readable_dump(model: Any) -> bytes:
    text = milo_codec.dumps(model)
    return text.encode("utf-8") if isinstance(text, str) else text


def _milo_compact_dump(model: Any) -> bytes:
    return milo_codec.dumps(model, compact=True)


def _milo_load(blob: bytes, _prepared: Any) -> Any:
    return milo_codec.loads(blob)


CODECS: tuple[Codec, ...] = (
    Codec("pickle", _pickle_dump, _pickle_load, _always),
    Codec("milo readable", _milo_readable_dump, _milo_load, _always),
    Codec("milo compact", _milo_compact_dump, _milo_load, _has_compact),
    Codec("joblib", _joblib_dump, _joblib_load, not_installed("joblib")),
    Codec("skops", _skops_dump, _skops_load, not_installed("skops"), prepare=_skops_trusted),
    Codec("PyMilo", _pymilo_dump, _pymilo_load, not_installed("pymilo")),
    Codec(
        "ONNX",
        _onnx_dump,
        _onnx_load,
        not_installed("skl2onnx", "onnxruntime"),
        runner=_onnx_runner,
        bit_exact=False,
        traced_memory=False,
    ),
)
BASELINE = "pickle"
