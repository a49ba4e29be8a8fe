"""What a fresh interpreter imports: ``import milo_codec`` pulls in no scikit-learn, and loading
a file imports only what that file's classes need (no more of scikit-learn than unpickling the
same model). Each check runs in its own subprocess, since this one has imported everything."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

import milo_codec

SRC = str(Path(milo_codec.__file__).resolve().parent.parent)

# scikit-learn's estimator families: a file holding none of their classes must not import them.
UNRELATED = (
    "sklearn.calibration",
    "sklearn.cluster",
    "sklearn.compose",
    "sklearn.ensemble",
    "sklearn.feature_selection",
    "sklearn.gaussian_process",
    "sklearn.impute",
    "sklearn.neighbors",
    "sklearn.neural_network",
    "sklearn.pipeline",
    "sklearn.tree",
)


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _sklearn(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "sklearn" or m.startswith("sklearn.")}


def _under(modules: set[str], package: str) -> set[str]:
    return {m for m in modules if m == package or m.startswith(package + ".")}


def test_importing_milo_codec_imports_no_scikit_learn_scipy_stats_or_pandas() -> None:
    modules = modules_after("import milo_codec")
    assert _sklearn(modules) == set()
    assert _under(modules, "scipy.stats") == set()
    assert _under(modules, "pandas") == set()


def _logistic_regression() -> object:
    X, y = make_classification(200, 5, random_state=0)
    return LogisticRegression().fit(X, y)


def _function_transformer() -> object:
    # Its functions come from the closed function table, which also lists scikit-learn's
    # score functions: naming numpy's must not import sklearn.feature_selection.
    X = np.abs(make_classification(50, 3, n_informative=2, n_redundant=0, random_state=0)[0])
    return FunctionTransformer(func=np.log1p, inverse_func=np.expm1).fit(X)


@pytest.mark.parametrize(
    ("make", "module", "generated"),
    [
        (_logistic_regression, "sklearn.linear_model._logistic", "linear_model.LogisticRegression"),
        (
            _function_transformer,
            "sklearn.preprocessing._function_transformer",
            "preprocessing.FunctionTransformer",
        ),
    ],
    ids=["LogisticRegression", "FunctionTransformer"],
)
def test_loading_a_file_imports_only_what_its_classes_need(
    make, module: str, generated: str, tmp_path: Path
) -> None:
    model = make()
    milo_codec.dump(model, tmp_path / "model.json")
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump(model, f, protocol=5)
    loaded = modules_after(f"import milo_codec\nmilo_codec.load({str(tmp_path / 'model.json')!r})")
    unpickled = modules_after(
        f"import pickle\npickle.load(open({str(tmp_path / 'model.pkl')!r}, 'rb'))"
    )
    assert module in loaded
    for package in UNRELATED:
        assert _under(loaded, package) == set(), package
    # Whatever more scikit-learn itself imports along with the model's class is fine; milo
    # adds nothing of its own.
    assert _sklearn(loaded) - _sklearn(unpickled) == set()
    codecs = {m for m in loaded if m.startswith("milo_codec._generated.sklearn.")}
    assert {m for m in codecs if m.count(".") == 5} == {
        f"milo_codec._generated.sklearn.{generated}.v1"
    }


def test_validating_a_file_imports_no_scikit_learn(tmp_path: Path) -> None:
    # Validation builds nothing: the installed version comes from the package's metadata.
    milo_codec.dump(_logistic_regression(), tmp_path / "model.json")
    code = f"import milo_codec\nassert milo_codec.validate({str(tmp_path / 'model.json')!r}).ok"
    assert _sklearn(modules_after(code)) == set()


def test_the_installed_version_is_the_one_scikit_learn_reports() -> None:
    import sklearn

    from milo_codec.pipeline import sklearn_version

    done = subprocess.run(
        [sys.executable, "-c", "from milo_codec.pipeline import sklearn_version as v; print(v())"],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sklearn_version() == sklearn.__version__
