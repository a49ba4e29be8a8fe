"""Worker counts a file may ask for.

joblib starts every worker an estimator's ``n_jobs`` asks for, in predict and transform too:
a DictionaryLearning file asking for 10**9 exhausted this machine's 24 GB in ``transform``.
``n_jobs`` is therefore at most 256; negative counts mean "all cores but some" and are left
as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crafted import first_recipe_doc

import milo_codec

MAX_JOBS = 256
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def _declares_n_jobs(class_path: str) -> bool:
    schema = json.loads((SCHEMAS / (class_path.replace(".", "/") + "/v1.json")).read_text())
    return "n_jobs" in schema["properties"]["params"]["properties"]


WITH_N_JOBS = [c for c in sorted(milo_codec.supported_models()) if _declares_n_jobs(c)]


def test_the_classes_with_workers_are_found() -> None:
    assert len(WITH_N_JOBS) >= 60


@pytest.mark.parametrize("class_path", WITH_N_JOBS, ids=lambda c: c.rsplit(".", 1)[1])
def test_more_workers_than_any_machine_has_are_refused(class_path: str) -> None:
    doc = first_recipe_doc(class_path)
    for n_jobs in (MAX_JOBS + 1, 10**9, {"int64": MAX_JOBS + 1}):
        doc["model"]["params"]["n_jobs"] = n_jobs
        with pytest.raises(milo_codec.SchemaError) as e:
            milo_codec.loads(json.dumps(doc))
        assert "$.model.params.n_jobs" in str(e.value)
    for n_jobs in (MAX_JOBS, -(10**9), None, {"int64": -1}):
        doc["model"]["params"]["n_jobs"] = n_jobs
        assert milo_codec.loads(json.dumps(doc)).n_jobs == (
            n_jobs["int64"] if isinstance(n_jobs, dict) else n_jobs
        )
