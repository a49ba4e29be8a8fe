"""One benchmark run: fit (or read) the zoo, measure every codec on every model, then the
cold starts and profiles that need the files written on the way."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from milo_bench import coldstart, profiles
from milo_bench.codecs import Codec
from milo_bench.environment import environment
from milo_bench.measure import PREDICT_CALLS, ModelResult, bench_model
from milo_bench.report import summary_table
from milo_bench.zoo import ZOO, fit_zoo


def collect(
    keys: Sequence[str],
    codecs: Sequence[Codec],
    *,
    quick: bool,
    rounds: int,
    profile: bool,
    cold: bool = True,
    zoo_cache: Path | None = None,
    command: str = "",
) -> tuple[dict[str, Any], list[ModelResult]]:
    """Everything the report shows: the run's settings and environment, and one result per model."""
    _say(f"fitting {len(keys)} models{' (quick)' if quick else ''} ...")
    zoo = fit_zoo(keys, quick, zoo_cache)
    predict_calls = 3 if quick else PREDICT_CALLS
    cold_repeats = 2 if quick else coldstart.COLD_REPEATS
    with tempfile.TemporaryDirectory(prefix="milo-bench-") as tmp:
        files: dict[tuple[str, str], Path] = {}
        profile_blobs: dict[str, bytes] = {}
        models = []
        for key in keys:
            _say(f"benchmarking {key} ...")

            def keep(codec: str, blob: bytes, key: str = key) -> None:
                if cold and key in coldstart.COLD_MODELS and codec in coldstart.COLD_SNIPPETS:
                    files[(key, codec)] = Path(tmp) / f"{key}.{codec.replace(' ', '-')}"
                    files[(key, codec)].write_bytes(blob)
                if profile and key in profiles.PROFILED_MODELS and codec.startswith("milo"):
                    profile_blobs[f"{ZOO[key].title}, {codec}"] = blob

            models.append(bench_model(zoo[key], codecs, rounds, predict_calls, keep))
            _say(summary_table(models[-1:], [c.name for c in codecs], "load"))
        cold_result = None
        if files:
            _say("cold start ...")
            cold_result = coldstart.cold_start(files, [c.name for c in codecs], cold_repeats)
    profiled = {}
    for label, blob in profile_blobs.items():
        _say(f"profiling {label} ...")
        profiled[label] = profiles.profile_load(blob)
    run = {
        "command": command,
        "env": environment(),
        "quick": quick,
        "rounds": rounds,
        "zoo_cache": any(f.cached for f in zoo.values()),
        "held_rows": len(next(iter(zoo.values())).X) if zoo else 0,
        "predict_calls": predict_calls,
        "cold_repeats": cold_repeats,
        "codecs": [c.name for c in codecs],
        "cold": cold_result,
        "profiles": profiled,
    }
    return run, models


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
