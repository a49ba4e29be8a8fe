"""Where a milo load spends its time: one load under cProfile."""

from __future__ import annotations

import cProfile
import pstats
import re
from typing import Any

import milo_codec

PROFILE_TOP = 12
PROFILED_MODELS = ("rf", "hgb", "knn", "mlp")


def _short_path(filename: str) -> str:
    for marker in ("/src/", "/site-packages/"):
        i = filename.rfind(marker)
        if i >= 0:
            return filename[i + len(marker) :]
    m = re.search(r"/lib/python\d+\.\d+/", filename)  # the standard library
    return filename[m.end() :] if m else filename


def profile_load(blob: bytes, top: int = PROFILE_TOP) -> dict[str, Any]:
    """One profiled ``milo_codec.loads``: the ``top`` functions by cumulative and by own time."""
    prof = cProfile.Profile()
    prof.runcall(milo_codec.loads, blob)
    stats = pstats.Stats(prof)
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{_short_path(filename)}:{line}({name})" if line else name
        ncalls = str(nc) if cc == nc else f"{nc}/{cc}"
        rows.append({"function": where, "ncalls": ncalls, "tottime_s": tt, "cumtime_s": ct})
    total = stats.total_tt  # type: ignore[attr-defined]
    by_cum = sorted(rows, key=lambda row: row["cumtime_s"], reverse=True)[:top]
    by_own = sorted(rows, key=lambda row: row["tottime_s"], reverse=True)[:top]
    return {"total_s": total, "cumulative": by_cum, "own": by_own}
