"""Cold start: whole fresh processes that load one model, milo_codec against pickle.

    python tools/bench_cold_start.py [--rounds N] [--dir PATH] [--compare SRC] [--as-is]

(use the project's interpreter, e.g. ``.venv/bin/python tools/bench_cold_start.py``).

A script that loads one model once pays for its imports, which pickle pays too: unpickling
imports the model's classes. This measures what a fresh interpreter spends from start to
exit on:

* ``import milo_codec`` alone,
* ``pickle.load`` of a LogisticRegression (make_classification(2000, 20, random_state=0))
  and ``milo_codec.load`` of the same model,
* the same for a RandomForestClassifier(100, random_state=0) on make_classification(20000, 20).

Each round runs every command once, in an order that rotates from round to round; the
table gives the median wall time and CPU time (user + system) of the whole process over
rounds and, from one extra run of each command, how many modules it imported (all, and
scikit-learn's). CPU time is the steadier figure on a shared machine. The model files
(pickle protocol 5) are written to ``--dir`` (a temporary directory by default).

The children compile to a private bytecode cache (``PYTHONPYCACHEPREFIX``, warmed by one
untimed run of each command) whatever ``PYTHONDONTWRITEBYTECODE`` says, so every module is
loaded from bytecode as from an installed package; without it each process would compile
milo_codec's modules from source (``--as-is`` measures that: the children get this
process's environment unchanged). ``--compare SRC`` adds the milo commands run against
another source tree (e.g. an older checkout's ``src``), timed in the same rounds.

This script only measures and prints; timings are asserted nowhere.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
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


def commands(directory: Path, compare: Path | None) -> dict[str, tuple[str, Path]]:
    """Name → (code, source tree on PYTHONPATH)."""
    d = str(directory)
    trees = [("", SRC)] + ([(" [compare]", compare)] if compare else [])
    out = {}
    for suffix, src in trees:
        out["import milo_codec" + suffix] = ("import milo_codec", src)
    for name in ("lr", "rf"):
        out[f"{name} pickle"] = (
            f"import pickle; pickle.load(open({os.path.join(d, name + '.pkl')!r}, 'rb'))",
            SRC,
        )
        for suffix, src in trees:
            out[f"{name} milo{suffix}"] = (
                f"import milo_codec; milo_codec.load({os.path.join(d, name + '.json')!r})",
                src,
            )
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    code: str, src: Path, pycache: str | None, count: bool = False
) -> tuple[float, float, list[int] | None]:
    """Wall and CPU seconds of one fresh process running ``code`` (and its module counts)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = pycache
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + ("; " + _COUNT if count else "")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    return seconds, cpu, (json.loads(done.stdout.strip().splitlines()[-1]) if count else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--compare", type=Path, default=None, help="another source tree")
    parser.add_argument("--as-is", action="store_true", help="no private bytecode cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        pycache = None if args.as_is else cache
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "rf.json").exists():
            write_models(directory)
        cmds = commands(directory, args.compare)
        names = list(cmds)
        counts = {n: run(*cmds[n], pycache, count=True)[2] for n in names}  # also the warm-up
        wall: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            shift = r % len(names)
            for n in names[shift:] + names[:shift]:
                w, c, _ = run(*cmds[n], pycache)
                wall[n].append(w)
                cpu[n].append(c)
        print(
            f"{'process':<26} {'wall s':>7} {'min':>6} {'cpu s':>6} {'min':>6} "
            f"{'modules':>8} {'sklearn':>8}"
        )
        for n in names:
            modules, sk = counts[n] or (0, 0)
            print(
                f"{n:<26} {statistics.median(wall[n]):>7.3f} {min(wall[n]):>6.3f} "
                f"{statistics.median(cpu[n]):>6.3f} {min(cpu[n]):>6.3f} {modules:>8} {sk:>8}"
            )
        for n in names:
            if not n.startswith(("lr milo", "rf milo")):
                continue
            pickled = n.split(" ")[0] + " pickle"
            for label, times in (("wall", wall), ("cpu", cpu)):
                ratios = [m / p for m, p in zip(times[n], times[pickled], strict=True)]
                print(f"{n}: milo/pickle {label} per round, median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
