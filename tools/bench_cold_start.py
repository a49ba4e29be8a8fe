"""Cold start: whole fresh processes that load one model, milo_codec against pickle.

    python tools/bench_cold_start.py [--rounds N] [--dir PATH]

(use the project's interpreter, e.g. ``.venv/bin/python tools/bench_cold_start.py``).

A script that loads one model once pays for its imports, which pickle pays too: unpickling
imports the model's classes. This measures what a fresh interpreter spends from start to
exit on:

* ``import milo_codec`` alone,
* ``pickle.load`` of a LogisticRegression (make_classification(2000, 20, random_state=0))
  and ``milo_codec.load`` of the same model,
* the same for a RandomForestClassifier(100, random_state=0) on make_classification(20000, 20).

Each round runs every command once, in an order that rotates from round to round; the
table gives the median wall time of the whole process over rounds and, from one extra run
of each command, how many modules it imported (all, and scikit-learn's). The model files
(pickle protocol 5) are written to ``--dir`` (a temporary directory by default).

This script only measures and prints; timings are asserted nowhere.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

# What the child prints after its work: counted after the timed work, so it costs nothing.
_COUNT = (
    "import sys, json; m = list(sys.modules); "
    "print(json.dumps([len(m), sum(k == 'sklearn' or k.startswith('sklearn.') for k in m)]))"
)


def write_models(directory: Path) -> None:
    sys.path.insert(0, str(SRC))
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    import milo_codec

    X, y = make_classification(2000, 20, random_state=0)
    models = {"lr": LogisticRegression().fit(X, y)}
    X, y = make_classification(20000, 20, random_state=0)
    models["rf"] = RandomForestClassifier(100, random_state=0).fit(X, y)
    for name, model in models.items():
        with open(directory / f"{name}.pkl", "wb") as f:
            pickle.dump(model, f, protocol=5)
        milo_codec.dump(model, directory / f"{name}.json")


def commands(directory: Path) -> dict[str, str]:
    d = str(directory)
    out = {"import milo_codec": "import milo_codec"}
    for name in ("lr", "rf"):
        out[f"{name} pickle"] = (
            f"import pickle; pickle.load(open({os.path.join(d, name + '.pkl')!r}, 'rb'))"
        )
        out[f"{name} milo"] = (
            f"import milo_codec; milo_codec.load({os.path.join(d, name + '.json')!r})"
        )
    return out


def run(code: str, count: bool = False) -> tuple[float, list[int] | None]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + ("; " + _COUNT if count else "")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - t0
    return seconds, (json.loads(done.stdout.strip().splitlines()[-1]) if count else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "rf.json").exists():
            write_models(directory)
        cmds = commands(directory)
        names = list(cmds)
        times: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            shift = r % len(names)
            for n in names[shift:] + names[:shift]:
                times[n].append(run(cmds[n])[0])
        print(f"{'process':<20} {'median s':>9} {'min s':>7} {'modules':>8} {'sklearn':>8}")
        for n in names:
            _, (modules, sk) = run(cmds[n], count=True)  # type: ignore[misc]
            print(
                f"{n:<20} {statistics.median(times[n]):>9.3f} {min(times[n]):>7.3f} "
                f"{modules:>8} {sk:>8}"
            )
        for name in ("lr", "rf"):
            ratios = [
                m / p for m, p in zip(times[f"{name} milo"], times[f"{name} pickle"], strict=True)
            ]
            print(f"{name}: milo/pickle per round, median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
