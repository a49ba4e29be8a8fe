"""Crafted HistGradientBoosting files are refused before anything is built, in a live process.

The compiled tree walk of HistGradientBoosting (``_predictor.pyx``) trusts its nodes: a child
index out of range reads out of bounds, a cycle loops forever, a bad feature or bitset index
reads outside X or the bitsets. Each crafted file below must give a clean milo_codec error
naming the JSON path, and the process loading it must stay alive (no segfault, no hang).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc
from equality import assert_identical
from recipes import _y_class, _y_reg
from recipes_ensemble import _hgb_categorical_X, _hgb_X
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper

import milo_codec

TIMEOUT = 60
TREE = "$.model.state._predictors[0][0].hgb_predictor"


def _fitted_classifier() -> Any:
    return HistGradientBoostingClassifier(
        max_iter=3, max_leaf_nodes=6, min_samples_leaf=5, random_state=0
    ).fit(_hgb_X(), _y_class(80, 3))


def _fitted_regressor() -> Any:
    X = _hgb_X()
    return HistGradientBoostingRegressor(
        loss="poisson", max_iter=3, max_leaf_nodes=6, min_samples_leaf=5, random_state=0
    ).fit(X, np.exp(_y_reg(np.nan_to_num(X)) / 4))


def _fitted_bin_mapper() -> Any:
    """Feature 0 categorical (codes 0..5): its thresholds alias params.known_categories[0]."""
    return _BinMapper(
        random_state=0,
        is_categorical=np.array([True, False, False]),
        known_categories=[np.arange(6, dtype=np.float64), None, None],
    ).fit(_hgb_categorical_X())


CLASSIFIER_DOC = editable_doc(_fitted_classifier())
REGRESSOR_DOC = editable_doc(_fitted_regressor())
BIN_MAPPER_DOC = editable_doc(_fitted_bin_mapper())


_LOADER = textwrap.dedent(
    """
    import sys
    import milo_codec
    for path in sys.argv[1:]:
        print("=== " + path, flush=True)  # names the case if the process dies on it
        try:
            milo_codec.loads(open(path, "rb").read())
        except milo_codec.MiloError as e:
            print(type(e).__name__)
            print(e, flush=True)
        else:
            print("LOADED", flush=True)
    """
)


def _load_in_subprocess(texts: dict[str, str], tmp_path: Path) -> dict[str, list[str]]:
    """Load every crafted file in one fresh process; each file's output lines, by case id.

    One process for all cases keeps the suite fast; a crash or hang on any case fails every
    case, and the output names the case the process was loading.
    """
    paths = []
    for case, text in texts.items():
        path = tmp_path / f"{case}.json"
        path.write_text(text)
        paths.append(str(path))
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, *paths], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, (
        f"the loading process died ({result.returncode}) after:\n{result.stdout[-2000:]}\n"
        f"{result.stderr[-2000:]}"
    )
    outputs: dict[str, list[str]] = {}
    for section in result.stdout.split("=== ")[1:]:
        path, *lines = section.splitlines()
        outputs[Path(path).stem] = lines
    return outputs


# ---------------------------------------------------------------------------
# Mutations of a real file


def _tree(doc: dict, i: int = 0, j: int = 0) -> dict:
    return doc["model"]["state"]["_predictors"][i][j]["hgb_predictor"]


def _columns(doc: dict) -> dict:
    return _tree(doc)["nodes"]["recarray"]["columns"]


def _n_nodes(doc: dict) -> int:
    return len(_columns(doc)["left"])


def _set_node(**fields: Any) -> Callable[[dict], None]:
    """Set fields of the root node (a split in every tree of the fixture) of tree [0][0]."""

    def mutate(doc: dict) -> None:
        for name, value in fields.items():
            _columns(doc)[name][0] = value

    return mutate


def _replace_tree(left: list[int], right: list[int], is_leaf: list[int]) -> Callable[[dict], None]:
    """Replace tree [0][0] by hand-written nodes (numeric splits on feature 0, bin 0)."""

    def mutate(doc: dict) -> None:
        n = len(left)
        nodes = _tree(doc)["nodes"]["recarray"]
        nodes["shape"] = [n]
        floats = [0.0] * n
        ints = [0] * n
        nodes["columns"] = {
            "value": floats,
            "count": [10] * n,
            "feature_idx": ints,
            "num_threshold": floats,
            "missing_go_to_left": ints,
            "left": left,
            "right": right,
            "gain": floats,
            "depth": ints,
            "is_leaf": is_leaf,
            "bin_threshold": ints,
            "is_categorical": ints,
            "bitset_idx": ints,
        }

    return mutate


def _set_field_dtype(name: str, dtype: str) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for field in _tree(doc)["nodes"]["recarray"]["fields"]:
            if field[0] == name:
                field[1] = dtype

    return mutate


def _set_bitsets(binned_rows: int, raw_rows: int, words: int = 8) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for key, rows in (
            ("binned_left_cat_bitsets", binned_rows),
            ("raw_left_cat_bitsets", raw_rows),
        ):
            _tree(doc)[key] = {
                "ndarray": {"dtype": "uint32", "shape": [rows, words], "data": [[0] * words] * rows}
            }

    return mutate


def _state(**fields: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["model"]["state"].update(fields)

    return mutate


def _bin_mapper_state(**fields: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["model"]["state"]["_bin_mapper"]["state"].update(fields)

    return mutate


def _drop_tree(doc: dict) -> None:
    del doc["model"]["state"]["_predictors"][1][2]


def _duplicate_label(doc: dict) -> None:
    data = doc["model"]["state"]["_label_encoder"]["state"]["classes_"]["ndarray"]["data"]
    data[1] = data[0]


def _shorter_thresholds(doc: dict) -> None:
    thresholds = doc["model"]["state"]["_bin_mapper"]["state"]["bin_thresholds_"]
    nd = thresholds[0]["ndarray"]
    nd["data"] = nd["data"][:-1]
    nd["shape"] = [len(nd["data"])]


def _categories(values: list[float]) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        nd = doc["model"]["params"]["known_categories"][0]["ndarray"]
        nd["data"], nd["shape"] = values, [len(values)]

    return mutate


def _own_state(**fields: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["model"]["state"].update(fields)

    return mutate


def _uint_array(dtype: str, data: list[int]) -> dict:
    return {"ndarray": {"dtype": dtype, "shape": [len(data)], "data": data}}


def _loss(name: str, args: dict) -> Callable[[dict], None]:
    return _state(_loss={"loss": {"name": name, "args": args, "constant_hessian": False}})


def _baseline(shape: list[int]) -> Callable[[dict], None]:
    data = [[0.0] * shape[1] for _ in range(shape[0])]
    return _state(
        _baseline_prediction={"ndarray": {"dtype": "float64", "shape": shape, "data": data}}
    )


def _bin_mapper_is_label_encoder(doc: dict) -> None:
    state = doc["model"]["state"]
    state["_bin_mapper"] = copy.deepcopy(state["_label_encoder"])


N = _n_nodes(CLASSIFIER_DOC)

# id → (document, mutation, error class, exact "path: message" expected in the error)
CASES: dict[str, tuple[dict, Callable[[dict], None], str, str]] = {
    "child-out-of-range": (
        CLASSIFIER_DOC,
        _set_node(left=N + 5),
        "InvariantError",
        f"{TREE}.nodes: node 0: left child {N + 5} is out of range for {N} nodes",
    ),
    "cycle-through-the-root": (
        CLASSIFIER_DOC,
        _set_node(right=0),
        "InvariantError",
        f"{TREE}.nodes: node 0 has the root (node 0) as a child: the nodes would form a cycle",
    ),
    "cycle-apart-from-the-root": (
        # 0 → (1, 6); 2 → (3, 5); 3 → (4, 2): every node has one parent, but 2 ⇄ 3 loop
        CLASSIFIER_DOC,
        _replace_tree(
            left=[1, 0, 3, 4, 0, 0, 0], right=[6, 0, 5, 2, 0, 0, 0], is_leaf=[0, 1, 0, 0, 1, 1, 1]
        ),
        "InvariantError",
        f"{TREE}.nodes: node 2 is on a cycle, not reached from the root",
    ),
    "shared-child": (
        CLASSIFIER_DOC,
        _replace_tree(left=[1, 0, 0], right=[1, 0, 0], is_leaf=[0, 1, 1]),
        "InvariantError",
        f"{TREE}.nodes: node 1 is the child of more than one split node (shared or on a cycle)",
    ),
    "unreached-node": (
        CLASSIFIER_DOC,
        _replace_tree(left=[1, 0, 0, 0], right=[2, 0, 0, 0], is_leaf=[0, 1, 1, 1]),
        "InvariantError",
        f"{TREE}.nodes: node 3 is not reached from the root",
    ),
    "feature-idx-out-of-range": (
        CLASSIFIER_DOC,
        _set_node(feature_idx=4),
        "InvariantError",
        f"{TREE}.nodes: node 0: feature_idx 4 is out of range for 4 features",
    ),
    "negative-feature-idx": (
        CLASSIFIER_DOC,
        _set_node(feature_idx=-1),
        "InvariantError",
        f"{TREE}.nodes: node 0: feature_idx -1 is out of range for 4 features",
    ),
    "bin-threshold-beyond-the-bins": (
        CLASSIFIER_DOC,
        _set_node(feature_idx=0, bin_threshold=255),
        "InvariantError",
        f"{TREE}.nodes: node 0: bin_threshold 255 is beyond the 80 non-missing bins of feature 0",
    ),
    "nan-threshold": (
        CLASSIFIER_DOC,
        _set_node(num_threshold="NaN"),
        "InvariantError",
        f"{TREE}.nodes: node 0: num_threshold of a numeric split must not be NaN",
    ),
    "categorical-bitset-idx-out-of-range": (
        CLASSIFIER_DOC,
        _set_node(is_categorical=1, bitset_idx=3),
        "InvariantError",
        f"{TREE}.nodes: node 0: bitset_idx 3 is out of range for 0 categorical bitset rows",
    ),
    "categorical-split-on-a-numeric-feature": (
        CLASSIFIER_DOC,
        lambda doc: (_set_bitsets(1, 1)(doc), _set_node(is_categorical=1, bitset_idx=0)(doc)),
        "InvariantError",
        f"{TREE}.nodes: node 0: a categorical split on feature 0, which the bin mapper does not "
        "mark categorical",
    ),
    "is-leaf-not-0-or-1": (
        CLASSIFIER_DOC,
        _set_node(is_leaf=2),
        "InvariantError",
        f"{TREE}.nodes: node 0: is_leaf must be 0 or 1",
    ),
    "missing-go-to-left-not-0-or-1": (
        CLASSIFIER_DOC,
        _set_node(missing_go_to_left=7),
        "InvariantError",
        f"{TREE}.nodes: node 0: missing_go_to_left must be 0 or 1",
    ),
    "wrong-nodes-dtype": (
        CLASSIFIER_DOC,
        _set_field_dtype("feature_idx", "int32"),
        "SchemaError",
        f"{TREE}.nodes: nodes must have exactly the fields, dtypes and offsets of "
        "PREDICTOR_RECORD_DTYPE",
    ),
    "bitset-rows-of-7-words": (
        CLASSIFIER_DOC,
        _set_bitsets(1, 1, words=7),
        "SchemaError",
        f"{TREE}.binned_left_cat_bitsets: each bitset row must hold 8 uint32 words",
    ),
    "raw-and-binned-bitsets-disagree": (
        CLASSIFIER_DOC,
        _set_bitsets(2, 1),
        "SchemaError",
        f"{TREE}.raw_left_cat_bitsets: must have as many rows as binned_left_cat_bitsets",
    ),
    "iteration-missing-a-tree": (
        CLASSIFIER_DOC,
        _drop_tree,
        "InvariantError",
        "$.model.state._predictors[1]: holds 2 trees but n_trees_per_iteration_ is 3",
    ),
    "trees-per-iteration-vs-classes": (
        CLASSIFIER_DOC,
        _state(n_trees_per_iteration_=1),
        "InvariantError",
        "$.model.state.n_trees_per_iteration_: must be 3 for 3 classes",
    ),
    "baseline-prediction-shape": (
        CLASSIFIER_DOC,
        _baseline([1, 2]),
        "InvariantError",
        "$.model.state._baseline_prediction: shape[1] is 2 but n_trees_per_iteration_ is 3 "
        "(from $.model.state.n_trees_per_iteration_)",
    ),
    "classes-not-unique": (
        CLASSIFIER_DOC,
        _duplicate_label,
        "InvariantError",
        "$.model.state.classes_: class labels must be unique",
    ),
    "binomial-loss-for-3-classes": (
        CLASSIFIER_DOC,
        _loss("HalfBinomialLoss", {}),
        "InvariantError",
        "$.model.state._loss: a classifier of 3 classes uses HalfMultinomialLoss with n_classes=3",
    ),
    "bin-mapper-of-another-class": (
        CLASSIFIER_DOC,
        _bin_mapper_is_label_encoder,
        "InvariantError",
        "$.model.state._bin_mapper: must be a fitted "
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    ),
    "missing-values-bin-not-last": (
        CLASSIFIER_DOC,
        _bin_mapper_state(missing_values_bin_idx_=254),
        "InvariantError",
        "$.model.state._bin_mapper.state.missing_values_bin_idx_: must be n_bins - 1 = 255 "
        "(the last bin holds missing values)",
    ),
    "thresholds-vs-bins": (
        CLASSIFIER_DOC,
        _shorter_thresholds,
        "InvariantError",
        "$.model.state._bin_mapper.state.bin_thresholds_[0]: a numeric feature with 80 bins "
        "needs 79 thresholds",
    ),
    "too-few-threshold-arrays": (
        CLASSIFIER_DOC,
        lambda doc: doc["model"]["state"]["_bin_mapper"]["state"]["bin_thresholds_"].pop(),
        "InvariantError",
        "$.model.state._bin_mapper.state.bin_thresholds_: has 3 entries but there are 4 features",
    ),
    "n-features-vs-bin-mapper": (
        CLASSIFIER_DOC,
        _state(n_features_in_=5, _n_features=5),
        "InvariantError",
        "$.model.state._bin_mapper.state.is_categorical_: the bin mapper has 4 features but "
        "n_features_in_ is 5",
    ),
    "categories-not-integers": (
        BIN_MAPPER_DOC,
        _categories([0.0, 0.5, 2.0, 3.0, 4.0, 5.0]),
        "InvariantError",
        "$.model.state.bin_thresholds_[0]: categories must be increasing integers between 0 and 255",
    ),
    "category-beyond-255": (
        BIN_MAPPER_DOC,
        _categories([0.0, 1.0, 2.0, 3.0, 4.0, 300.0]),
        "InvariantError",
        "$.model.state.bin_thresholds_[0]: categories must be increasing integers between 0 and 255",
    ),
    "categories-vs-bins": (
        BIN_MAPPER_DOC,
        _categories([0.0, 1.0, 2.0]),
        "InvariantError",
        "$.model.state.bin_thresholds_[0]: a categorical feature with 6 bins needs 6 categories",
    ),
    "known-categories-of-a-numeric-feature": (
        BIN_MAPPER_DOC,
        _own_state(is_categorical_=_uint_array("uint8", [1, 1, 0])),
        "InvariantError",
        "$.model.params.known_categories: must hold one array per categorical feature and null "
        "for every other feature",
    ),
    "is-categorical-not-0-or-1": (
        BIN_MAPPER_DOC,
        _own_state(is_categorical_=_uint_array("uint8", [2, 0, 0])),
        "InvariantError",
        "$.model.state.is_categorical_: values must be 0 or 1",
    ),
    "no-bins-for-a-feature": (
        BIN_MAPPER_DOC,
        _own_state(n_bins_non_missing_=_uint_array("uint32", [6, 0, 80])),
        "InvariantError",
        "$.model.state.n_bins_non_missing_[1]: must be between 1 and n_bins - 1 = 255",
    ),
    "regressor-loss-vs-param": (
        REGRESSOR_DOC,
        _loss("HalfSquaredError", {}),
        "InvariantError",
        "$.model.state._loss: loss='poisson' uses HalfPoissonLoss, not HalfSquaredError",
    ),
    "regressor-with-3-trees-per-iteration": (
        REGRESSOR_DOC,
        _state(n_trees_per_iteration_=3),
        "SchemaError",
        "$.model.state.n_trees_per_iteration_: expected 1",
    ),
}


def test_the_fixture_trees_are_what_the_cases_assume() -> None:
    columns = _columns(CLASSIFIER_DOC)
    assert columns["is_leaf"][0] == 0 and N > 3
    bins = CLASSIFIER_DOC["model"]["state"]["_bin_mapper"]["state"]["n_bins_non_missing_"]
    assert bins["ndarray"]["data"][0] == 80
    assert len(CLASSIFIER_DOC["model"]["state"]["_predictors"][1]) == 3


def test_the_unmodified_files_load() -> None:
    for doc in (CLASSIFIER_DOC, REGRESSOR_DOC):
        model = milo_codec.loads(json.dumps(doc))
        model.predict(_hgb_X(5, seed=3))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    texts = {}
    for case, (doc, mutate, _, _) in CASES.items():
        doc = copy.deepcopy(doc)
        mutate(doc)
        texts[case] = json.dumps(doc)
    return _load_in_subprocess(texts, tmp_path_factory.mktemp("crafted"))


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_crafted_file_is_refused_cleanly_in_a_live_process(
    case: str, outcomes: dict[str, list[str]]
) -> None:
    _, _, error, expected = CASES[case]
    lines = outcomes[case]
    assert lines[0] == error, lines
    assert expected in [line.strip() for line in lines[1:]], lines


# ---------------------------------------------------------------------------
# The tree check is complete: whatever it accepts, the compiled code walks safely.

_FUZZ = textwrap.dedent(
    """
    import numpy as np
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from milo_codec.invariants.hist_gradient_boosting import tree_problem

    rng = np.random.RandomState(0)
    n_features, accepted, refused = 3, 0, 0
    is_categorical = np.array([0, 1, 0], dtype=np.uint8)
    n_bins_non_missing = np.array([5, 4, 255], dtype=np.uint32)
    known, f_idx_map = np.zeros((1, 8), dtype=np.uint32), np.array([0, 0, 0], dtype=np.uint32)
    known[0, 0] = 0b1111
    X = rng.randn(40, n_features) * 3
    X[:, 1] = rng.randint(-1, 6, size=40)
    X[rng.rand(40) < 0.2, 0] = np.nan
    X_binned = np.asfortranarray(rng.randint(0, 256, size=(40, n_features)).astype(np.uint8))
    for trial in range(3000):
        n_leaves = rng.randint(1, 7)
        n = 2 * n_leaves - 1
        nodes = np.zeros(n, dtype=PREDICTOR_RECORD_DTYPE)
        order = np.concatenate(([0], 1 + rng.permutation(n - 1)))  # any numbering, root 0
        free, leaves = list(order[1:]), [order[0]]
        nodes["is_leaf"] = 1
        while len(leaves) < n_leaves:  # split a random leaf into two fresh nodes
            k = leaves.pop(rng.randint(len(leaves)))
            a, b = free.pop(), free.pop()
            nodes[k]["is_leaf"], nodes[k]["left"], nodes[k]["right"] = 0, a, b
            leaves += [a, b]
        nodes["feature_idx"] = rng.randint(0, n_features, size=n)
        nodes["is_categorical"] = (nodes["feature_idx"] == 1) & (rng.rand(n) < 0.8)
        nodes["bin_threshold"] = rng.randint(0, 6, size=n)
        nodes["num_threshold"] = rng.randn(n)
        nodes["count"] = rng.randint(0, 10, size=n)
        nodes["missing_go_to_left"] = rng.randint(0, 2, size=n)
        n_bitsets = rng.randint(0, 3)
        nodes["bitset_idx"] = rng.randint(0, 3, size=n)
        # then break one field of one node at random, sometimes
        field = rng.choice(["left", "right", "feature_idx", "bitset_idx", "is_leaf",
                            "bin_threshold", "num_threshold", "is_categorical", None])
        if field is not None:
            k = rng.randint(n)
            value = {"num_threshold": np.nan}.get(field, rng.randint(-2, n + 3))
            try:
                nodes[k][field] = value
            except (OverflowError, ValueError):
                pass
        if tree_problem(nodes, n_bitsets, n_features, n_bins_non_missing, is_categorical):
            refused += 1
            continue
        accepted += 1
        bitsets = rng.randint(0, 2**32, size=(n_bitsets, 8), dtype=np.uint64).astype(np.uint32)
        p = TreePredictor(nodes, bitsets, bitsets.copy())
        p.predict(X, known, f_idx_map, 1)
        p.predict_binned(X_binned, 255, 1)
        try:
            p.compute_partial_dependence(np.ascontiguousarray(X[:3, :1]) , np.array([0]), np.zeros(3))
        except (ValueError, ZeroDivisionError):
            pass  # "Total weight should be 1.0" or a zero count: clean errors from sklearn
    print(accepted, refused)
    """
)


def test_whatever_the_tree_check_accepts_the_compiled_predictor_walks_safely() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FUZZ], capture_output=True, text=True, timeout=TIMEOUT * 3
    )
    assert result.returncode == 0, f"the process died: {result.returncode}\n{result.stderr}"
    accepted, refused = map(int, result.stdout.split())
    assert accepted > 500 and refused > 500


# ---------------------------------------------------------------------------
# A loaded model keeps boosting exactly like the original (warm start).


@pytest.mark.parametrize(
    "make",
    [
        lambda: (
            HistGradientBoostingClassifier(
                max_iter=3,
                max_leaf_nodes=6,
                min_samples_leaf=5,
                max_features=0.5,
                early_stopping=True,
                validation_fraction=0.25,
                n_iter_no_change=50,
                warm_start=True,
                random_state=0,
            ),
            _y_class(80, 3),
        ),
        lambda: (
            HistGradientBoostingRegressor(
                loss="quantile",
                quantile=0.7,
                max_iter=3,
                max_leaf_nodes=6,
                min_samples_leaf=5,
                max_features=0.5,
                warm_start=True,
                random_state=None,
            ),
            _y_reg(np.nan_to_num(_hgb_X())),
        ),
    ],
    ids=["classifier-early-stopping-subsampled", "regressor-quantile-unseeded"],
)
def test_warm_start_after_load_matches_the_original(make: Callable[[], tuple[Any, Any]]) -> None:
    original, y = make()
    X = _hgb_X()
    original.fit(X, y)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    for model in (original, loaded):
        model.set_params(max_iter=6).fit(X, y)
    assert original.n_iter_ == 6
    assert_identical(
        original.predict(_hgb_X(10, seed=4)), loaded.predict(_hgb_X(10, seed=4)), "predict()"
    )
    assert_identical(original._baseline_prediction, loaded._baseline_prediction, "baseline")
    assert_identical(original.train_score_, loaded.train_score_, "train_score_")
    assert_identical(original.validation_score_, loaded.validation_score_, "validation_score_")
    for i, (a, b) in enumerate(zip(original._predictors, loaded._predictors, strict=True)):
        for j, (p, q) in enumerate(zip(a, b, strict=True)):
            assert_identical(vars(p), vars(q), f"_predictors[{i}][{j}]")
    a, b = original._feature_subsample_rng, loaded._feature_subsample_rng
    assert_identical(a.bit_generator.state, b.bit_generator.state, "_feature_subsample_rng")


# ---------------------------------------------------------------------------
# The preprocessor of a categorical model: _raw_predict hands its output to the compiled walk
# unchecked, so it must output every feature the trees read. (Checked here on standalone
# ColumnTransformers: a categorical HGB file cannot be written yet, see the recipes.)


def _column_transformer(remainder: str = "drop", parts: str = "hgb") -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder

    mask = np.array([True, False, False])
    encoder = OneHotEncoder(sparse_output=False) if parts == "one-hot" else OrdinalEncoder()
    transformers = [("encoder", encoder, mask)]
    if parts != "narrow":
        transformers.append(("numerical", FunctionTransformer(), ~mask))
    X = np.c_[np.arange(12) % 3, np.random.RandomState(0).randn(12, 2)]
    return ColumnTransformer(transformers, remainder=remainder).fit(X)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, None),
        ({"remainder": "passthrough", "parts": "narrow"}, "its remainder must be 'drop'"),
        (
            {"parts": "one-hot"},
            "its fitted transformers must be an OrdinalEncoder, a FunctionTransformer or 'drop', "
            "written out (as HistGradientBoosting builds them)",
        ),
        (
            {"parts": "narrow"},
            "must take and output n_features_in_ = 3 columns (it takes 3 and outputs 1)",
        ),
    ],
    ids=["as-hgb-builds-it", "passthrough-remainder", "one-hot-part", "narrower-output"],
)
def test_the_preprocessor_outputs_every_feature_the_trees_read(
    kwargs: dict[str, str], expected: str | None
) -> None:
    from milo_codec import pipeline
    from milo_codec.invariants.hist_gradient_boosting import _preprocessor_problem

    node = pipeline.read(milo_codec.dumps(_column_transformer(**kwargs)))
    assert _preprocessor_problem(node, 3) == expected


def _chain_numbered_backwards(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A valid tree of depth (n - 1) / 2, not in pre-order: node 0 splits into n - 1 and
    n - 2, node n - 1 into n - 3 and n - 4, and so on down to a last split into leaves."""
    left, right = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    is_split = np.zeros(n, dtype=bool)
    parent, nxt = 0, n - 1
    while nxt >= 2:
        left[parent], right[parent], is_split[parent] = nxt, nxt - 1, True
        parent, nxt = nxt, nxt - 2
    return left, right, is_split


def _lines_run(function: Callable[..., Any], *args: Any) -> tuple[Any, int]:
    """``function(*args)`` and how many of its own lines ran (a count, not a time)."""
    code, lines = function.__code__, 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines
        if frame.f_code is not code:
            return None
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        return function(*args), lines
    finally:
        sys.settrace(None)


def test_trees_out_of_pre_order_are_checked_in_logarithmic_rounds() -> None:
    """A hostile predictor out of pre-order is checked for cycles in log2(n) vectorised rounds:
    a walk level by level took one round per level, a million for a chain of two million."""
    from milo_codec.invariants.hist_gradient_boosting import _reach_all_from_root

    left, right, is_split = _chain_numbered_backwards(100_001)
    missing, lines = _lines_run(_reach_all_from_root, left, right, is_split)
    assert missing is None
    assert lines < 100  # 17 rounds; a level walk runs 3 lines per level, 50,000 levels
    # 6 → (4, 3) and 4 → (2, 1) at the bottom; make 6 a leaf and 2 → (4, 3): every node still
    # has one parent, but 4 and 2 loop, with 3 and 1 below them, unreached from the root
    is_split[6] = False
    left[2], right[2], is_split[2] = 4, 3, True
    assert _reach_all_from_root(left, right, is_split) == 1
