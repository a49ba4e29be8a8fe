"""Side-by-side benchmark: milo_codec (readable and compact) against pickle and its peers.

    .venv/bin/python tools/bench.py [--models rf knn ...] [--codecs pickle "milo readable" ...]
                                    [--rounds N] [--quick] [--out DIR] [--json [PATH]]
                                    [--profile] [--zoo-cache]

Fits a zoo of scikit-learn models (``milo_bench.zoo.ZOO``), writes and reads each with every
codec (``milo_bench.codecs.CODECS``) in this one process, and writes ``DIR/benchmarks.md``
(the report, whose "Method" section says exactly what is timed and how) and
``DIR/benchmarks.png`` (load time relative to pickle). The peers come with the ``bench``
extra (``pip install -e '.[bench]'``); a peer that is not installed, or that cannot write or
read a model, is reported as failed with its error, never left out.

In short: every codec works on bytes in memory; each round times one dump and one load per
codec, codecs interleaved, their order rotated from round to round; figures are medians over
rounds, ratios to pickle are taken within each round and then medianed. Cold start is timed
as whole child processes. Timings depend on the machine and are only reported: nothing
asserts on them.

``--quick`` fits small models and runs 2 rounds: a smoke run, whose report says so and goes
to ``out/bench-quick`` unless ``--out`` is given. ``--zoo-cache`` keeps the fitted zoo in
``out/bench-zoo.pkl`` (``out/bench-zoo-quick.pkl`` with ``--quick``) and reuses it on the
next run with the same scikit-learn and numpy; by default every run fits the zoo anew.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import asdict
from pathlib import Path

from milo_bench import ROOT
from milo_bench.chart import write_chart
from milo_bench.codecs import BASELINE, CODECS
from milo_bench.report import render_report, summary_table
from milo_bench.run import collect
from milo_bench.zoo import DEFAULT_MODELS, ZOO


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    ap.add_argument(
        "--models",
        nargs="+",
        choices=list(ZOO),
        help=f"models to run (default: {' '.join(DEFAULT_MODELS)})",
    )
    ap.add_argument("--codecs", nargs="+", choices=[c.name for c in CODECS], help="a subset")
    ap.add_argument("--rounds", type=int, help="timed rounds per model (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="small models, 2 rounds: a smoke run")
    ap.add_argument(
        "--out", type=Path, help="report directory (default docs; quick: out/bench-quick)"
    )
    ap.add_argument("--json", nargs="?", const="", metavar="PATH", help="also the raw results")
    ap.add_argument("--profile", action="store_true", help="cProfile milo loads of large models")
    ap.add_argument("--zoo-cache", action="store_true", help="reuse the fitted zoo from out/")
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = 2 if args.quick else 5
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.out is None:
        args.out = ROOT / ("out/bench-quick" if args.quick else "docs")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    keys = args.models or DEFAULT_MODELS
    # pickle always runs: every ratio is to it.
    codecs = [
        c for c in CODECS if c.name == BASELINE or args.codecs is None or c.name in args.codecs
    ]
    cache = ROOT / f"out/bench-zoo{'-quick' if args.quick else ''}.pkl" if args.zoo_cache else None
    run, models = collect(
        keys,
        codecs,
        quick=args.quick,
        rounds=args.rounds,
        profile=args.profile,
        zoo_cache=cache,
        command=shlex.join(["python", "tools/bench.py", *argv]),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    report, chart = args.out / "benchmarks.md", args.out / "benchmarks.png"
    report.write_text(render_report(run, models), encoding="utf-8")
    write_chart(models, run["codecs"], chart)
    print(f"wrote {report} and {chart}")
    if args.json is not None:
        path = Path(args.json) if args.json else args.out / "benchmarks.json"
        raw = {**run, "models": [asdict(m) for m in models]}
        path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    print("\nLoad time ÷ pickle's:\n\n" + summary_table(models, run["codecs"], "load"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
