"""The Markdown report: machine, method, ratio summaries, per-model tables, floor, cold start,
profiles."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from milo_bench.codecs import BASELINE
from milo_bench.measure import BATCH_S, GZIP_LEVEL, ModelResult

MB = 1e6


def median(xs: Sequence[float]) -> float | None:
    return statistics.median(xs) if xs else None


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    ms = seconds * 1e3
    if ms >= 100:
        return f"{ms:,.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def fmt_mb(n: int) -> str:
    mb = n / MB
    if mb >= 100:
        return f"{mb:,.0f}"
    return f"{mb:.1f}" if mb >= 10 else f"{mb:.2f}" if mb >= 0.1 else f"{mb:.2g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def model_table(model: ModelResult) -> str:
    """One model: every codec's figures, and each figure relative to pickle's."""
    base = model.codecs.get(BASELINE)
    lines = [
        "| codec | dump ms | load ms | size MB | gzip MB | peak load MB | predict after/before "
        "| outputs equal | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in model.codecs.values():
        if r.failed is not None:
            lines.append(f"| {r.codec} | failed | | | | | | | {_cell(r.failed)} |")
            continue
        vs = base if base is not None and base.failed is None and r is not base else None
        lines.append(
            "| "
            + " | ".join(
                [
                    r.codec,
                    fmt_ms(median(r.dump_s)) + _vs(median(r.dump_ratio) if vs else None),
                    fmt_ms(median(r.load_s)) + _vs(median(r.load_ratio) if vs else None),
                    fmt_mb(r.size) + _vs(r.size / vs.size if vs else None),
                    fmt_mb(r.gzip_size) + _vs(r.gzip_size / vs.gzip_size if vs else None),
                    _peak_cell(r.peak_load, vs.peak_load if vs else None),
                    fmt_ratio(r.predict_ratio),
                    r.exact or "—",
                    _cell(f"outputs: {r.output_error}") if r.output_error else "",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def _peak_cell(peak: int | None, base: int | None) -> str:
    if peak is None:
        return "not traced"
    return fmt_mb(peak) + _vs(peak / base if base else None)


def _vs(ratio: float | None) -> str:
    return "" if ratio is None else f" ({fmt_ratio(ratio)})"


def summary_table(models: Sequence[ModelResult], codecs: Sequence[str], what: str) -> str:
    """Models × codecs: the median per-round ratio to pickle ("load", "dump") or size ratio."""
    shown = [c for c in codecs if c != BASELINE]
    lines = ["| model | " + " | ".join(shown) + " |", "|---|" + "---:|" * len(shown)]
    for m in models:
        cells = [_summary_cell(m, c, what) for c in shown]
        lines.append(f"| {m.title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _summary_cell(model: ModelResult, codec: str, what: str) -> str:
    r = model.codecs.get(codec)
    base = model.codecs.get(BASELINE)
    if r is None:
        return "not run"
    if r.failed is not None:
        return "failed"
    if what == "size":
        return fmt_ratio(r.size / base.size) if base and base.size else "—"
    ratios = r.load_ratio if what == "load" else r.dump_ratio
    if what == "load" and len(ratios) > 1:  # the spread over rounds shows how noisy it was
        return f"{fmt_ratio(median(ratios))} ({_bare(min(ratios))}–{_bare(max(ratios))})"
    return fmt_ratio(median(ratios))


def _bare(x: float) -> str:
    return fmt_ratio(x).rstrip("×")


def floor_table(models: Sequence[ModelResult]) -> str:
    lines = [
        "| model | milo readable load ms | floor ms | load / floor "
        "| floor ms, collector off | load / that |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        milo = m.codecs.get("milo readable")
        if milo is None or milo.failed is not None or not m.floor_s:
            continue
        lines.append(
            f"| {m.title} | {fmt_ms(median(milo.load_s))} | {fmt_ms(median(m.floor_s))} "
            f"| {fmt_ratio(median(m.floor_ratio))} | {fmt_ms(median(m.floor_nogc_s))} "
            f"| {fmt_ratio(median(m.floor_nogc_ratio))} |"
        )
    return "\n".join(lines)


def cold_table(cold: dict[str, Any]) -> str:
    """Each process's median wall and CPU time and range; a load also relative to pickle's load
    of the same model (the median of the per-repeat ratios: both ran in the same repeat)."""
    pickled = {c["model"]: c for c in cold["cases"] if c["codec"] == BASELINE and c["times_s"]}
    lines = [
        "| process | wall ms | ÷ pickle | CPU ms | ÷ pickle | wall min .. max ms | command |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for c in cold["cases"]:
        if c["failed"]:
            lines.append(f"| {c['label']} | failed | | | | | {_cell(c['failed'])} |")
            continue
        t, cpu = c["times_s"], c.get("cpu_s") or [float("nan")]
        base = pickled.get(c["model"]) if c["codec"] != BASELINE else None
        ratios = ["", ""]
        if base is not None:
            for i, key in enumerate(("times_s", "cpu_s")):
                per_round = [m / p for m, p in zip(c.get(key, []), base.get(key, []), strict=False)]
                ratios[i] = fmt_ratio(statistics.median(per_round)) if per_round else ""
        lines.append(
            f"| {c['label']} | {fmt_ms(statistics.median(t))} | {ratios[0]} "
            f"| {fmt_ms(statistics.median(cpu))} | {ratios[1]} "
            f"| {fmt_ms(min(t))} .. {fmt_ms(max(t))} | `{c['command']}` |"
        )
    return "\n".join(lines)


def profile_tables(profiles: dict[str, dict[str, Any]]) -> str:
    parts = []
    for label, prof in profiles.items():
        parts.append(f"### {label}\n\nOne profiled load: {fmt_ms(prof['total_s'])} ms in total.\n")
        for kind, title in (("cumulative", "cumulative time"), ("own", "own time")):
            parts.append(f"Top {len(prof[kind])} by {title}:\n")
            parts.append("| cumulative ms | own ms | calls | function |\n|---:|---:|---:|---|")
            parts.extend(
                f"| {fmt_ms(row['cumtime_s'])} | {fmt_ms(row['tottime_s'])} | {row['ncalls']} "
                f"| `{row['function']}` |"
                for row in prof[kind]
            )
            parts.append("")
    return "\n".join(parts)


def _fitted_where(run: dict[str, Any]) -> str:
    if run["zoo_cache"]:
        return " (in an earlier run: read from the zoo cache, `--zoo-cache`)"
    return ", in this run"


def _method(run: dict[str, Any]) -> str:
    return f"""\
- Models are fitted on `make_classification` / `make_regression` data (fixed `random_state`)
  and synthetic documents{_fitted_where(run)};
  the last {run["held_rows"]:,} rows (documents) are held out and are the rows every output is
  computed on.
- Every codec works on bytes in memory, so no file I/O is timed: pickle
  `dumps(protocol=5)`/`loads`; joblib `dump`/`load` through `io.BytesIO`; skops
  `skops.io.dumps`/`loads(trusted=...)`, the trusted list taken once from
  `get_untrusted_types` outside the timing (as a user who reviewed it would pass it); PyMilo
  `Export(model).to_json()`/`Import(json_dump=...).to_model()`; ONNX `convert_sklearn` with a
  `FloatTensorType` input (`StringTensorType` for text; classifiers without ZipMap) and
  `SerializeToString()`, its load being an `onnxruntime.InferenceSession` over the bytes
  (one thread; the text converter told to use the `C.UTF-8` locale, since the default
  `en_US.UTF-8` need not be installed; opset `ai.onnx.ml` 3, as skl2onnx asks for trees);
  milo `dumps(model)` (text encoded to UTF-8) or `dumps(model, compact=True)`, and `loads`.
  A milo load is the whole load: parse, schema validation, invariants, digest, construction.
  (`milo_codec.dump` to a path also writes atomically with an fsync, not timed here.)
- One untimed warm-up dump and load per codec, then {run["rounds"]} rounds: each round times
  one dump and one load of every codec on the model, in an order rotated by one codec from
  round to round. The load reads the warm-up's bytes. Each timing is `time.perf_counter()`
  around one call, after a `gc.collect()`; the garbage collector stays enabled during the call,
  as in ordinary use. Times are medians over rounds; a ratio to pickle is computed within
  each round (same round, adjacent in time) and then medianed.
- Size is the byte length of the output; gzip is `gzip.compress(level={GZIP_LEVEL})` of it.
- Peak load memory: one more, untimed load under `tracemalloc` (started just before it):
  the peak of traced memory, the loaded model included. numpy reports its array buffers to
  `tracemalloc`, so they count; memory that C/C++ code allocates on its own does not
  (scikit-learn copies tree nodes into such buffers after reading them from arrays, which
  are counted). onnxruntime allocates all its memory that way, so ONNX shows "not traced".
- Predict after/before: the first method listed per model (`predict`, or `transform` for the
  vectorizer) on the held-out rows, {run["predict_calls"]} timings on the loaded model
  alternating with {run["predict_calls"]} on the original, median over median; a call
  shorter than {BATCH_S * 1e3:.0f} ms is timed as a batch of calls. Everything runs on one
  thread (`threadpoolctl` limits for BLAS and OpenMP), since threaded kernels on shared
  cores vary more than what is measured. For ONNX the "after" is `session.run` on the rows
  as float32 (strings for text).
- Outputs equal: every listed method (`predict`, `predict_proba`, `decision_function`,
  `transform`, ...) of the loaded model compared with the original's, bit for bit (dtype,
  shape and bytes; sparse structure too). ONNX computes in float32, so instead the share of
  rows that disagree with the original's first method is shown: labels must be equal;
  continuous outputs must agree within `rtol=1e-4, atol=1e-6`.
- Readable floor: the same readable bytes through `orjson.loads` plus turning every numeric
  `{{"ndarray": ...}}` payload into `np.array(data, dtype=...)` and every `{{"recarray": ...}}`
  column into `np.array(column)`: no validation, no model. Timed in the same rounds, right
  after the codecs, once as every other timing (collector on) and once with the garbage
  collector disabled during the call: parsing creates millions of Python objects, and the
  collections they trigger are a large share of the time.
- Cold start: each command as a child process (`{Path(sys.executable).name}`, with this
  checkout's `src` on `PYTHONPATH`), one untimed warm-up each, then {run["cold_repeats"]}
  repeats interleaved (every command once per repeat, the order rotating), wall time from
  spawn to exit and the child's CPU time (user + system; steadier on a shared machine),
  medians; ratios to pickle are medians of per-repeat ratios. Children compile to a private
  bytecode cache (`PYTHONPYCACHEPREFIX`) even where `PYTHONDONTWRITEBYTECODE` is set, so
  modules load from bytecode as from an installed package. The files are the bytes
  measured above, written to a temporary directory.
- Profiles (`--profile`): one `milo_codec.loads` under `cProfile`; the profiler inflates the
  absolute times, so read them for where the time goes, not how much.
"""


def render_report(run: dict[str, Any], models: Sequence[ModelResult]) -> str:
    env = run["env"]
    codecs = run["codecs"]
    out = [
        "# Benchmarks",
        "",
        f"Generated by `tools/bench.py` (`{run['command']}`) on {env['date']}; do not edit by "
        "hand: rerun the tool. Figures depend on the machine; compare ratios measured in the "
        "same run rather than absolute times.",
        "",
    ]
    if run["quick"]:
        out += ["**Quick run (small models, few rounds): a smoke test, not representative.**", ""]
    out += ["![Load time relative to pickle](benchmarks.png)", "", "## Machine and versions", ""]
    out += _environment_lines(env)
    out += ["", "## Method", "", _method(run), "## The models", ""]
    out += ["| model | fitted on | fit s |", "|---|---|---:|"]
    out += [f"| {m.title} | {m.what} | {m.fit_s:.1f} |" for m in models]
    out += ["", "## Summary: ratios to pickle", ""]
    for what, title in (
        ("load", "Load time ÷ pickle's: median of the per-round ratios (lowest–highest)"),
        ("dump", "Dump time ÷ pickle's"),
        ("size", "Size ÷ pickle's"),
    ):
        out += [f"### {title}", "", summary_table(models, codecs, what), ""]
    out += ["## Per model", ""]
    out += [
        "Times are medians over rounds; in parentheses, the ratio to pickle. A failed codec "
        "shows the stage and its error.",
        "",
    ]
    for m in models:
        out += [f"### {m.title} ({m.what})", "", model_table(m), ""]
    out += ["## Readable floor", ""]
    out += [
        "How close milo's readable load comes to the least any reader of the same file must "
        "do (parse the JSON, build the numpy arrays), medians over the same rounds; the "
        "floor with the garbage collector on (as every timing here) and off.",
        "",
        floor_table(models),
        "",
    ]
    out += ["## Cold start", ""]
    if run.get("cold"):
        cold = run["cold"]
        out += [
            cold_table(cold),
            "",
            f"`import milo_codec` imports {cold['sklearn_modules_on_import']} scikit-learn "
            f"modules ({cold['modules_on_import']} modules in all).",
            "",
        ]
    else:
        out += ["Not measured in this run (it needs the LogisticRegression or the forest).", ""]
    out += ["## Where the time goes", ""]
    if run.get("profiles"):
        out += [profile_tables(run["profiles"])]
    else:
        out += ["Not profiled in this run (`--profile`).", ""]
    return "\n".join(out).rstrip() + "\n"


def _environment_lines(env: dict[str, Any]) -> list[str]:
    ram = f"{env['ram_gib']:.0f} GiB" if env["ram_gib"] else "unknown"
    usable = f", {env['cores_usable']} usable" if env["cores_usable"] is not None else ""
    commit = f" at commit {env['commit']}" if env["commit"] else ""
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    return [
        f"- CPU: {env['cpu']}, {env['cores']} cores{usable}; RAM {ram}",
        f"- OS: {env['os']}",
        f"- Python {env['python']}; milo_codec {env['milo_codec']}{commit}",
        f"- Packages: {packages}",
        f"- BLAS: {'; '.join(env['blas']) or 'none found'}",
    ]
