"""Timing, memory and output checks of every codec on one model, in interleaved rounds."""

from __future__ import annotations

import gc
import gzip
import math
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_regressor
from threadpoolctl import threadpool_limits

from milo_bench.codecs import BASELINE, Codec, sklearn_runner
from milo_bench.floor import floor_load
from milo_bench.zoo import ZOO, Fitted

GZIP_LEVEL = 6  # gzip's command-line default
PREDICT_CALLS = 7
BATCH_S = 0.02
ERROR_CHARS = 100


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``fn`` takes. A collection first, so that garbage left by earlier
    work is not charged to this call; the collector stays on, as in ordinary use."""
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def timed_without_gc(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes with the garbage collector off during the call."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    del result
    return elapsed


def short_error(e: BaseException) -> str:
    """``Type: first line`` of the error, and of the one it arose from, each shortened."""
    text = _one_line(e)
    origin = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    return text if origin is None else f"{text} ← {_one_line(origin)}"


def _one_line(e: BaseException) -> str:
    # args[0] rather than str(e): some peers put a multi-paragraph report in __str__.
    message = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    text = f"{type(e).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


@dataclass
class CodecResult:
    codec: str
    failed: str | None = None  # "stage: error" when the codec could not write or read the model
    dump_s: list[float] = field(default_factory=list)
    load_s: list[float] = field(default_factory=list)
    dump_ratio: list[float] = field(default_factory=list)  # per round, to pickle's same round
    load_ratio: list[float] = field(default_factory=list)
    size: int = 0
    gzip_size: int = 0
    peak_load: int | None = None  # None: not measured (the codec allocates untraced)
    predict_ratio: float | None = None
    exact: str = ""  # the table cell: "yes", "no: ...", "2.1% differ"
    output_error: str | None = None


@dataclass
class ModelResult:
    key: str
    title: str
    what: str
    fit_s: float
    rounds: int
    codecs: dict[str, CodecResult]
    floor_s: list[float] = field(default_factory=list)
    floor_ratio: list[float] = field(default_factory=list)  # milo readable load / floor
    floor_nogc_s: list[float] = field(default_factory=list)  # the floor, collector off
    floor_nogc_ratio: list[float] = field(default_factory=list)


def same_output(a: Any, b: Any) -> bool:
    """Bit-identical: same type of container, dtype, shape and bytes (NaNs included)."""
    if sp.issparse(a) or sp.issparse(b):
        if not (sp.issparse(a) and sp.issparse(b)) or a.format != b.format:
            return False
        return all(
            same_output(x, y) for x, y in zip(_sparse_parts(a), _sparse_parts(b), strict=True)
        )
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "OUS":
        return bool(np.array_equal(a, b))
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def _sparse_parts(m: Any) -> tuple[Any, ...]:
    m = m.asformat(m.format)
    return (np.array(m.shape), m.data, m.indices, m.indptr)


def disagreement(reference: Any, got: Any, model: Any, method: str) -> float:
    """Share of rows whose output differs: labels must be equal; continuous outputs (a
    regressor's predictions, a transform) must agree within float32 precision."""
    ref = reference.toarray() if sp.issparse(reference) else np.asarray(reference)
    got = np.asarray(got).reshape(ref.shape)
    if method == "predict" and not is_regressor(model):
        differs = got != ref
    else:
        differs = ~np.isclose(got, ref, rtol=1e-4, atol=1e-6)
    if differs.ndim > 1:
        differs = differs.reshape(len(differs), -1).any(axis=1)
    return float(differs.mean())


def _peak_load_bytes(codec: Codec, blob: bytes, prepared: Any) -> int:
    """Peak bytes traced while loading (the loaded model included), numpy buffers included."""
    gc.collect()
    tracemalloc.start()
    try:
        loaded = codec.load(blob, prepared)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del loaded
    return peak


def _predict_ratio(before: Callable[[], Any], after: Callable[[], Any], calls: int) -> float:
    """Median time of ``after`` over median time of ``before``, alternating, on one thread.

    A call shorter than ``BATCH_S`` is timed as a batch of calls, so that a timing is not
    mostly the timer and the scheduler. One thread for numpy's BLAS and scikit-learn's
    OpenMP: on shared cores, threaded kernels vary far more than the ratio being measured.
    """
    with threadpool_limits(limits=1):
        batch = max(1, min(100, math.ceil(BATCH_S / max(timed(before)[0], 1e-9))))
        t_before, t_after = [], []
        for _ in range(calls):
            t_before.append(timed(lambda: _repeat(before, batch))[0])
            t_after.append(timed(lambda: _repeat(after, batch))[0])
    return statistics.median(t_after) / statistics.median(t_before)


def _repeat(fn: Callable[[], Any], times: int) -> None:
    for _ in range(times):
        fn()


def _compare(codec: Codec, fitted: Fitted, loaded: Any, reference: dict[str, Any]) -> str:
    if not codec.bit_exact:
        method = ZOO[fitted.key].methods[0]
        got = codec.runner(loaded, fitted, method)()
        share = disagreement(reference[method], got, fitted.model, method)
        return f"{share:.2%} differ"
    differing = [
        m for m in reference if not same_output(reference[m], getattr(loaded, m)(fitted.X))
    ]
    return "yes" if not differing else "no: " + ", ".join(differing)


def _after_rounds(
    codec: Codec,
    result: CodecResult,
    fitted: Fitted,
    blob: bytes,
    prepared: Any,
    reference: dict[str, Any],
    calls: int,
) -> None:
    """The untimed measurements: sizes, peak memory, outputs and prediction time."""
    result.size = len(blob)
    result.gzip_size = len(gzip.compress(blob, compresslevel=GZIP_LEVEL))
    method = ZOO[fitted.key].methods[0]
    try:
        if codec.traced_memory:
            result.peak_load = _peak_load_bytes(codec, blob, prepared)
        loaded = codec.load(blob, prepared)
        result.exact = _compare(codec, fitted, loaded, reference)
        before = sklearn_runner(fitted.model, fitted, method)
        result.predict_ratio = _predict_ratio(before, codec.runner(loaded, fitted, method), calls)
    except Exception as e:
        result.output_error = short_error(e)


def _rotated(items: Sequence[Any], r: int) -> list[Any]:
    k = r % len(items)
    return [*items[k:], *items[:k]]


def bench_model(
    fitted: Fitted,
    codecs: Sequence[Codec],
    rounds: int,
    predict_calls: int = PREDICT_CALLS,
    keep: Callable[[str, bytes], None] | None = None,
) -> ModelResult:
    """Every codec on one model: warm-up, interleaved timed rounds, then untimed checks.

    ``keep(codec_name, blob)`` is given each codec's output (for cold start and profiles).
    """
    entry = ZOO[fitted.key]
    results = {c.name: CodecResult(c.name) for c in codecs}
    blobs: dict[str, bytes] = {}
    prepared: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peers warn about versions, opsets, ...
        for codec in codecs:  # untimed warm-up; its output is what the rounds load
            blob = _warm_up(codec, fitted, results[codec.name])
            if blob is not None:
                blobs[codec.name], prepared[codec.name] = blob, codec.prepare(blob)
        working = [c for c in codecs if c.name in blobs]
        floor_blob = blobs.get("milo readable")
        model = ModelResult(entry.key, entry.title, fitted.what, fitted.fit_s, rounds, results)
        for r in range(rounds):
            _round(fitted.model, _rotated(working, r), blobs, prepared, results)
            if floor_blob is not None:
                model.floor_s.append(timed(lambda: floor_load(floor_blob))[0])
                model.floor_nogc_s.append(timed_without_gc(lambda: floor_load(floor_blob)))
        _ratios(model)
        reference = {m: getattr(fitted.model, m)(fitted.X) for m in entry.methods}
        for codec in working:
            result = results[codec.name]
            if result.failed is None:
                blob, ready = blobs[codec.name], prepared[codec.name]
                _after_rounds(codec, result, fitted, blob, ready, reference, predict_calls)
                if keep is not None:
                    keep(codec.name, blob)
    return model


def _warm_up(codec: Codec, fitted: Fitted, result: CodecResult) -> bytes | None:
    reason = codec.supports(fitted.model)
    if reason is not None:
        result.failed = reason
        return None
    stage = "dump"
    try:
        blob = codec.dump(fitted.model)
        stage = "load"
        codec.load(blob, codec.prepare(blob))
    except Exception as e:
        result.failed = f"{stage}: {short_error(e)}"
        return None
    return blob


def _round(
    model: Any,
    order: Sequence[Codec],
    blobs: dict[str, bytes],
    prepared: dict[str, Any],
    results: dict[str, CodecResult],
) -> None:
    for codec in order:
        result = results[codec.name]
        if result.failed is not None:
            continue
        blob, ready = blobs[codec.name], prepared[codec.name]
        try:
            dump_s, _ = timed(lambda: codec.dump(model))  # noqa: B023 (called at once)
            load_s, loaded = timed(lambda: codec.load(blob, ready))  # noqa: B023
            del loaded
        except Exception as e:  # a peer that worked once and fails later still counts
            result.failed = f"timed round: {short_error(e)}"
            continue
        result.dump_s.append(dump_s)
        result.load_s.append(load_s)


def _ratios(model: ModelResult) -> None:
    base = model.codecs.get(BASELINE)
    if base is None or base.failed is not None:
        return
    for result in model.codecs.values():
        if result.failed is None and len(result.load_s) == len(base.load_s):
            result.dump_ratio = [a / b for a, b in zip(result.dump_s, base.dump_s, strict=True)]
            result.load_ratio = [a / b for a, b in zip(result.load_s, base.load_s, strict=True)]
    milo = model.codecs.get("milo readable")
    if milo is not None and milo.failed is None and model.floor_s:
        model.floor_ratio = [a / b for a, b in zip(milo.load_s, model.floor_s, strict=True)]
        model.floor_nogc_ratio = [
            a / b for a, b in zip(milo.load_s, model.floor_nogc_s, strict=True)
        ]
