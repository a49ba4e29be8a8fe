"""Cold start: whole child processes, from spawn to exit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from milo_bench import SRC
from milo_bench.measure import ERROR_CHARS
from milo_bench.zoo import ZOO

COLD_REPEATS = 5
COLD_MODELS = ("logreg", "rf")


COLD_SNIPPETS = {
    "pickle": "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))",
    "milo readable": "import milo_codec, sys; milo_codec.load(sys.argv[1])",
    "milo compact": "import milo_codec, sys; milo_codec.load(sys.argv[1])",
}
COUNT_SKLEARN = (
    "import sys, milo_codec; "
    "print(sum(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules), len(sys.modules))"
)


@dataclass
class ColdCase:
    label: str
    args: list[str]
    model: str | None = None  # a zoo key, for a load
    codec: str | None = None
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the child
    failed: str | None = None


def _child_env(pycache: str) -> dict[str, str]:
    """This process's environment, with ``src`` on the path and a private bytecode cache:
    children load every module from bytecode, as from an installed package, even where
    ``PYTHONDONTWRITEBYTECODE`` is set (compiling from source would be timed otherwise)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONPYCACHEPREFIX"] = pycache
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cold_start(
    files: dict[tuple[str, str], Path], codecs: Sequence[str], repeats: int
) -> dict[str, Any]:
    """Whole-process times (interpreter start, imports, read, validate, build) of loading each
    file of ``files`` ((model, codec) -> path), with ``repeats`` interleaved: every command once
    per repeat. A codec of ``codecs`` without a file (it failed on the model) is shown failed."""
    cases = [
        ColdCase("python -c pass", ["-c", "pass"]),
        ColdCase("import milo_codec", ["-c", "import milo_codec"]),
    ]
    for key in COLD_MODELS:
        if not any(k == key for k, _ in files):
            continue
        for codec in (c for c in COLD_SNIPPETS if c in codecs):
            case = ColdCase(
                f"{ZOO[key].title}: {codec} load", ["-c", COLD_SNIPPETS[codec]], key, codec
            )
            path = files.get((key, codec))
            if path is None:
                case.failed = "no file: the codec failed on this model (see its table)"
            else:
                case.args.append(str(path))
            cases.append(case)
    with tempfile.TemporaryDirectory(prefix="milo-bench-pycache-") as pycache:
        env = _child_env(pycache)
        for case in cases:  # warm-up, untimed: fills the bytecode cache
            if case.failed is None:
                _run_cold(case, env, timed=False)
        for r in range(repeats):
            shift = r % len(cases)  # the order rotates: no command always runs first
            for case in cases[shift:] + cases[:shift]:
                if case.failed is None:
                    _run_cold(case, env)
        counts = subprocess.run(
            [sys.executable, "-c", COUNT_SKLEARN],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    return {
        "repeats": repeats,
        "cases": [
            {
                "label": c.label,
                "model": c.model,
                "codec": c.codec,
                "times_s": c.times,
                "cpu_s": c.cpu,
                "failed": c.failed,
                "command": _shown(c),
            }
            for c in cases
        ],
        "sklearn_modules_on_import": int(counts[0]),
        "modules_on_import": int(counts[1]),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_cold(case: ColdCase, env: dict[str, str], timed: bool = True) -> None:
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, *case.args], env=env, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        case.failed = (lines[-1] if lines else f"exit status {proc.returncode}")[:ERROR_CHARS]
    elif timed:
        case.times.append(elapsed)
        case.cpu.append(cpu)


def _shown(case: ColdCase) -> str:
    code = case.args[1].replace("sys.argv[1]", "f").replace(", sys", "")
    return f'python -c "{code}"'
