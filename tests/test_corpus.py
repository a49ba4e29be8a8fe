"""Every file of the hostile-file corpus (tests/corpus, see its README) is refused as expected.

Each file is loaded in a child process (a crash or a hang would be an outcome, not the end of
the run) with an address-space limit, and must give exactly the expected milo_codec error
class, naming the expected JSON path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crafted import Outcome, load_in_children

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict[str, str]] = json.loads((CORPUS / "expected.json").read_text())


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    docs: dict[str, str | bytes | dict] = {
        name: (CORPUS / EXPECTED[name]["file"]).read_bytes() for name in EXPECTED
    }
    return load_in_children(
        docs, tmp_path_factory.mktemp("corpus"), timeout=60, then="", rlimit=4 << 30
    )


def test_the_corpus_holds_exactly_the_listed_files() -> None:
    files = [p.name for p in [*CORPUS.glob("*.json"), *CORPUS.glob("*.milo")]]
    assert sorted(f for f in files if f != "expected.json") == sorted(
        e["file"] for e in EXPECTED.values()
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_file_is_refused_as_expected(name: str, outcomes: dict[str, Outcome]) -> None:
    outcome, expected = outcomes[name], EXPECTED[name]
    assert (outcome.status, outcome.error) == ("error", expected["error"]), str(outcome)
    named = [line.strip() for line in outcome.message.splitlines()]
    path = expected["path"]
    assert any(line == path or line.startswith((f"{path}:", f"{path} ")) for line in named), (
        f"{path} not named in:\n{outcome.message}"
    )
