"""The chart: load time relative to pickle, per model and codec."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from milo_bench.codecs import BASELINE
from milo_bench.measure import ModelResult
from milo_bench.report import median

# The two milo modes in two blues; peers in colours of their own.
COLORS = {
    "milo readable": "#1f4e9e",
    "milo compact": "#6fa8dc",
    "joblib": "#2ca02c",
    "skops": "#d62728",
    "PyMilo": "#9467bd",
    "ONNX": "#8c564b",
}


def write_chart(models: Sequence[ModelResult], codecs: Sequence[str], path: Path) -> None:
    """Grouped bars: load time ÷ pickle's per model and codec, log scale; a failed codec is a ✗
    at the foot of its slot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    shown = [c for c in codecs if c != BASELINE]
    width = 0.8 / max(1, len(shown))
    fig, ax = plt.subplots(figsize=(max(9.0, 1.2 * len(models)), 5.5))
    failed: list[tuple[float, Any]] = []
    for j, codec in enumerate(shown):
        color = COLORS.get(codec, f"C{j}")
        xs, ys = [], []
        for i, m in enumerate(models):
            x = i + (j - (len(shown) - 1) / 2) * width
            ratio = median(m.codecs[codec].load_ratio) if codec in m.codecs else None
            if ratio is not None:
                xs.append(x)
                ys.append(ratio)
            elif codec in m.codecs:
                failed.append((x, color))
        ax.bar(xs, ys, width=width, color=color)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    bottom = ax.get_ylim()[0]
    for x, color in failed:
        ax.text(x, bottom, "✗", ha="center", va="bottom", color=color, fontsize=11)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([m.title for m in models], rotation=30, ha="right")
    ax.set_ylabel("load time ÷ pickle's (log scale)")
    ax.set_title("Load time relative to pickle (1 = as fast as pickle; ✗ = failed)")
    handles = [Patch(color=COLORS.get(c, f"C{j}"), label=c) for j, c in enumerate(shown)]
    ax.legend(handles=handles, ncol=3, fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
