"""Baseline benchmark: milo_codec against pickle (protocol 5) on the same fitted models.

    python tools/bench_foundation.py [--rounds N] [--no-profile] [--json PATH]

(use the project's interpreter, e.g. ``.venv/bin/python tools/bench_foundation.py``).

Two models are fitted once and then written and read by both codecs in the same run:

* ``LogisticRegression`` with a 100 x 10,000 ``coef_`` (300 random samples, 100 classes,
  ``max_iter=5``; the ConvergenceWarning that this provokes is silenced), and
* ``StandardScaler`` fitted on random data with 5,000 features.

What is timed (``time.perf_counter``; a ``gc.collect()`` first, then the garbage collector
is disabled for the duration of each timing):

* milo dump:   ``milo_codec.dumps(model).encode("utf-8")``  (text -> bytes included)
* milo load:   ``milo_codec.loads(blob)`` of those bytes (parse + schema validation +
  invariants + construction, i.e. everything a real load does)
* pickle dump: ``pickle.dumps(model, protocol=5)``
* pickle load: ``pickle.loads(blob)``

Each round times milo and pickle back to back, alternating which goes first from round to
round (one untimed warm-up precedes the rounds). The table reports the median over rounds
of each time, and the milo/pickle ratio computed within each round, then medianed.
Sizes are the lengths in bytes of the two outputs.

Unless ``--no-profile`` is given, one milo load and one milo dump are then run under
cProfile and the 12 functions with the largest cumulative time are printed (the profiler
adds overhead; use those numbers for *where* time goes, not for how much).

This script only measures and prints. Timings are not asserted anywhere, here or in the
test suite: they depend on the machine and are not a pass/fail criterion.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pickle
import platform
import pstats
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import milo_codec  # noqa: E402

PICKLE_PROTOCOL = 5
PROFILE_TOP = 12


# --------------------------------------------------------------------------- models


def make_logistic_regression() -> Any:
    rng = np.random.default_rng(0)
    n_samples, n_features, n_classes = 300, 10_000, 100
    X = rng.standard_normal((n_samples, n_features))
    y = np.arange(n_samples) % n_classes  # every class present, 3 samples each
    model = LogisticRegression(max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(X, y)
    return model


def make_standard_scaler() -> Any:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1_000, 5_000)) * 3.0 + 1.5
    return StandardScaler().fit(X)


def make_random_forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(2)
    X = rng.standard_normal((20_000, 20))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.standard_normal(20_000) > 1).astype(int)
    return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2).fit(X, y)


MODELS: list[tuple[str, str, Callable[[], Any]]] = [
    (
        "LogisticRegression",
        "coef_ 100 x 10,000 (300 samples, 100 classes, max_iter=5)",
        make_logistic_regression,
    ),
    ("StandardScaler", "5,000 features (1,000 samples)", make_standard_scaler),
    ("RandomForestClassifier", "100 trees on 20,000 x 20", make_random_forest),
]


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``fn`` takes, with the garbage collector off during the call."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        t1 = time.perf_counter()
    finally:
        if was_enabled:
            gc.enable()
    return t1 - t0, result


def milo_dump(model: Any) -> bytes:
    return milo_codec.dumps(model).encode("utf-8")


def milo_load(blob: bytes) -> Any:
    return milo_codec.loads(blob)


def pickle_dump(model: Any) -> bytes:
    return pickle.dumps(model, protocol=PICKLE_PROTOCOL)


def pickle_load(blob: bytes) -> Any:
    return pickle.loads(blob)


def bench_model(model: Any, rounds: int) -> dict[str, Any]:
    # Untimed warm-up (imports, caches, compiled validators), and the blobs to load from.
    milo_blob = milo_dump(model)
    pickle_blob = pickle_dump(model)
    milo_codec.loads(milo_blob)
    pickle.loads(pickle_blob)

    times: dict[str, list[float]] = {
        k: [] for k in ("milo_dump", "pickle_dump", "milo_load", "pickle_load")
    }
    for r in range(rounds):
        milo_first = r % 2 == 0
        for op in ("dump", "load"):
            pairs = [
                (
                    "milo",
                    (lambda: milo_dump(model)) if op == "dump" else (lambda: milo_load(milo_blob)),
                ),
                (
                    "pickle",
                    (lambda: pickle_dump(model))
                    if op == "dump"
                    else (lambda: pickle_load(pickle_blob)),
                ),
            ]
            if not milo_first:
                pairs.reverse()
            for codec, fn in pairs:
                seconds, result = timed(fn)
                del result
                times[f"{codec}_{op}"].append(seconds)

    dump_ratios = [m / p for m, p in zip(times["milo_dump"], times["pickle_dump"], strict=True)]
    load_ratios = [m / p for m, p in zip(times["milo_load"], times["pickle_load"], strict=True)]
    return {
        "rounds": rounds,
        "times_s": times,
        "median_ms": {k: statistics.median(v) * 1e3 for k, v in times.items()},
        "ratios": {"dump": dump_ratios, "load": load_ratios},
        "median_ratio": {
            "dump": statistics.median(dump_ratios),
            "load": statistics.median(load_ratios),
        },
        "bytes": {"milo": len(milo_blob), "pickle": len(pickle_blob)},
        "_milo_blob": milo_blob,
    }


# --------------------------------------------------------------------------- profiling


def _short_path(filename: str) -> str:
    for marker in ("/src/", "/site-packages/"):
        i = filename.rfind(marker)
        if i >= 0:
            return filename[i + len(marker) :]
    m = re.search(r"/lib/python\d+\.\d+/", filename)  # the standard library
    return filename[m.end() :] if m else filename


def profile_top(fn: Callable[[Any], Any], arg: Any, top: int = PROFILE_TOP) -> list[dict[str, Any]]:
    """The ``top`` functions by cumulative time of one profiled call ``fn(arg)``."""
    prof = cProfile.Profile()
    prof.runcall(fn, arg)
    stats = pstats.Stats(prof)
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{_short_path(filename)}:{line}({name})" if line else name
        ncalls = str(nc) if cc == nc else f"{nc}/{cc}"
        rows.append({"function": where, "ncalls": ncalls, "tottime_s": tt, "cumtime_s": ct})
    rows.sort(key=lambda row: row["cumtime_s"], reverse=True)
    return rows[:top]


def print_profile(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n#### {title}: top {len(rows)} by cumulative time\n")
    print("| cumtime ms | tottime ms | ncalls | function |")
    print("|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row['cumtime_s'] * 1e3:.1f} | {row['tottime_s'] * 1e3:.1f} | {row['ncalls']} "
            f"| `{row['function']}` |"
        )


# --------------------------------------------------------------------------- report


def fmt_ms(ms: float) -> str:
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def fmt_ratio(x: float) -> str:
    return f"{x:.0f}x" if x >= 100 else f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"


def environment() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        usable = None
    import scipy

    return {
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor() or None,
            "cpu_count": os.cpu_count(),
            "cpu_usable": usable,
        },
        "versions": {
            "python": platform.python_version(),
            "python_implementation": platform.python_implementation(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "sklearn": sklearn.__version__,
            "milo_codec": milo_codec.__version__,
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds per model (default 7)")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile section")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("--models", nargs="+", help="only these models (default: all)")
    args = ap.parse_args(argv)
    if args.models:
        MODELS[:] = [m for m in MODELS if m[0] in args.models]
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    env = environment()
    m, v = env["machine"], env["versions"]
    print("## milo_codec vs pickle (protocol 5): foundation benchmark\n")
    print(
        f"- machine: {m['platform']} ({m['machine']}), cpu_count={m['cpu_count']}"
        + (f", usable={m['cpu_usable']}" if m["cpu_usable"] is not None else "")
    )
    print(
        f"- versions: python {v['python']} ({v['python_implementation']}), numpy {v['numpy']}, "
        f"scipy {v['scipy']}, sklearn {v['sklearn']}, milo_codec {v['milo_codec']}"
    )
    print(
        f"- rounds: {args.rounds} (interleaved, alternating order, 1 untimed warm-up); "
        "values are medians; ratio = median of per-round milo/pickle"
    )

    results: dict[str, Any] = {
        **env,
        "rounds": args.rounds,
        "pickle_protocol": PICKLE_PROTOCOL,
        "models": {},
        "profiles": {},
    }
    models: dict[str, Any] = {}
    for name, desc, make in MODELS:
        t_fit, model = timed(make)
        models[name] = model
        array = getattr(model, "coef_", getattr(model, "scale_", None))
        shape = array.shape if array is not None else (len(model.estimators_),)
        print(f"- {name}: {desc}; fitted array shape {shape}; built + fitted in {t_fit:.1f} s")
        results["models"][name] = {"description": desc, "fit_s": t_fit}

    blobs: dict[str, bytes] = {}
    for name, _desc, _make in MODELS:
        r = bench_model(models[name], args.rounds)
        blobs[name] = r.pop("_milo_blob")
        results["models"][name].update(r)

    print()
    print(
        "| model | milo dump ms | pickle dump ms | ratio | milo load ms | pickle load ms "
        "| ratio | milo bytes | pickle bytes |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _desc, _make in MODELS:
        r = results["models"][name]
        med, rat, size = r["median_ms"], r["median_ratio"], r["bytes"]
        print(
            f"| {name} | {fmt_ms(med['milo_dump'])} | {fmt_ms(med['pickle_dump'])} "
            f"| {fmt_ratio(rat['dump'])} | {fmt_ms(med['milo_load'])} "
            f"| {fmt_ms(med['pickle_load'])} | {fmt_ratio(rat['load'])} "
            f"| {size['milo']:,} | {size['pickle']:,} |"
        )

    print("\nSpread over rounds (min .. max of the per-round ratio; size ratio milo/pickle):\n")
    for name, _desc, _make in MODELS:
        r = results["models"][name]
        d, lo = r["ratios"]["dump"], r["ratios"]["load"]
        print(
            f"- {name}: dump {fmt_ratio(min(d))} .. {fmt_ratio(max(d))}; "
            f"load {fmt_ratio(min(lo))} .. {fmt_ratio(max(lo))}; "
            f"bytes {r['bytes']['milo'] / r['bytes']['pickle']:.2f}x"
        )

    if not args.no_profile:
        print("\n### cProfile (one call each; profiler overhead inflates absolute times)")
        for name, _desc, _make in MODELS:
            model, blob = models[name], blobs[name]
            load_rows = profile_top(milo_codec.loads, blob)
            print_profile(f"{name}: milo load", load_rows)
            dump_rows = profile_top(milo_codec.dumps, model)  # (the timed dump adds .encode())
            print_profile(f"{name}: milo dump", dump_rows)
            results["profiles"][name] = {"load": load_rows, "dump": dump_rows}

    if args.json:
        path = Path(args.json)
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nresults written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
