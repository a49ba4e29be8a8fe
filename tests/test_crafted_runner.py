"""The child-process loader the crafted-file tests rely on reports crashes and hangs per file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from crafted import load_in_children
from sklearn.linear_model import Ridge

import milo_codec


def test_each_document_gets_its_own_outcome_across_a_crash_and_a_hang(tmp_path: Path) -> None:
    docs: dict[str, str | dict] = {
        f"alpha-{a}": milo_codec.dumps(Ridge(alpha=float(a)).fit(np.eye(3), [1.0, 2.0, 3.0]))
        for a in range(1, 6)
    }
    docs["not-json"] = "{"
    # The query stands in for compiled code reached by a bad file: alpha 2 kills the child
    # with SIGSEGV, alpha 4 never returns; the documents after each still get loaded.
    then = (
        "import os, signal\n"
        "if model.alpha == 2.0:\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
        "if model.alpha == 4.0:\n"
        "    while True:\n"
        "        pass\n"
    )
    out = load_in_children(docs, tmp_path, timeout=5, then=then)
    assert {name: o.status for name, o in out.items()} == {
        "alpha-1": "loaded",
        "alpha-2": "crash",
        "alpha-3": "loaded",
        "alpha-4": "hang",
        "alpha-5": "loaded",
        "not-json": "error",
    }
    assert out["alpha-2"].error == "return code -11"
    assert out["not-json"].lines[0] == "ParseError"


def test_an_address_space_limit_turns_a_runaway_allocation_into_an_outcome(tmp_path: Path) -> None:
    doc = milo_codec.dumps(Ridge().fit(np.eye(3), [1.0, 2.0, 3.0]))
    # 8 GiB of zeros, touched so that an unlimited child would really take the memory.
    then = "np.ones(1 << 30)"
    limited = load_in_children(
        {"ridge": doc}, tmp_path / "a", timeout=60, then=then, rlimit=2 << 30
    )
    assert limited["ridge"].status == "query-raised"
    assert limited["ridge"].error == "MemoryError"
    fine = load_in_children({"ridge": doc}, tmp_path / "b", timeout=60, rlimit=2 << 30)
    assert fine["ridge"].status == "loaded"


def test_a_batch_too_long_for_a_command_line_is_loaded(tmp_path: Path) -> None:
    doc = milo_codec.dumps(Ridge().fit(np.eye(3), [1.0, 2.0, 3.0]))
    # 3,000 paths of ~80 characters exceed the kernel's limit on one argument (128 KiB).
    docs: dict[str, str | bytes | dict] = {f"ridge-{i}": doc for i in range(3000)}
    out = load_in_children(docs, tmp_path / ("x" * 40), timeout=60)
    assert {o.status for o in out.values()} == {"loaded"}
