"""Smoke test of the benchmark's core (tools/bench.py): one tiny model, pickle and milo's
readable mode, two rounds, and the report renders. It needs none of the peers the `bench`
extra installs, and asserts no timing."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from milo_bench import codecs, report, run


def test_one_model_two_codecs_and_an_absent_peer_render_a_report() -> None:
    chosen = [c for c in codecs.CODECS if c.name in ("pickle", "milo readable")]
    absent = dataclasses.replace(
        chosen[0], name="absent peer", supports=codecs.not_installed("milo_bench_no_such_peer")
    )
    info, models = run.collect(
        ["logreg"], [*chosen, absent], quick=True, rounds=2, profile=False, cold=False
    )

    (model,) = models
    assert list(model.codecs) == ["pickle", "milo readable", "absent peer"]
    for name in ("pickle", "milo readable"):
        result = model.codecs[name]
        assert result.failed is None
        assert len(result.dump_s) == len(result.load_s) == 2
        assert result.size > 0 and result.peak_load > 0
        assert result.exact == "yes"  # predict and predict_proba, bit for bit
    assert len(model.codecs["milo readable"].load_ratio) == 2
    assert len(model.floor_s) == 2
    assert model.codecs["absent peer"].failed.startswith("not installed: milo_bench_no_such_peer")

    table = report.model_table(model)
    assert "| milo readable | " in table
    assert "| absent peer | failed |" in table
    text = report.render_report(info, models)
    for heading in ("## Method", "## Summary: ratios to pickle", "## Readable floor"):
        assert heading in text
    assert "| LogisticRegression | " in report.floor_table(models)
