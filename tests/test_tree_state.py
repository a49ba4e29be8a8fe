"""The compiled tree inside every decision tree: faithful round trips, and crafted trees refused.

A ``sklearn.tree._tree.Tree`` follows child indices and reads feature columns without bounds
checks, so a crafted file could crash (out-of-range index), hang (a cycle) or mispredict
silently (a shared node). Each crafted file below is loaded in a separate process with a
timeout: the process must survive and print the expected milo_codec error, JSON path and all.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import editable_doc, load_in_children
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)
from sklearn.tree._tree import NODE_DTYPE

import milo_codec
from milo_codec.errors import Problem
from milo_codec.invariants.tree import _depths, _numbered_tree_depths, check_tree_payload
from milo_codec.objects.base import Pending
from milo_codec.objects.tree import KINDS

RNG = np.random.RandomState(0)
X = RNG.randn(60, 3)
Y = np.arange(60) % 3
TREE = "$.model.state.tree_.tree"
COLUMNS = f"{TREE}.nodes.recarray.columns"


# ---------------------------------------------------------------------------
# Round trips: the tree's whole state comes back byte for byte (padding included), which
# the generic equality (it compares a Tree by its constructor arguments) does not show.


def _state_bytes(tree: Any) -> dict[str, Any]:
    _, args, state = tree.__reduce__()
    return {
        "args": (args[0], args[1].tolist(), args[1].dtype.str, args[2]),
        "max_depth": state["max_depth"],
        "node_count": state["node_count"],
        "nodes": (state["nodes"].dtype, state["nodes"].tobytes()),
        "values": (state["values"].dtype, state["values"].shape, state["values"].tobytes()),
    }


X_NAN = np.where(RNG.rand(60, 3) < 0.2, np.nan, X)
FITS = {
    "classifier": lambda: DecisionTreeClassifier(random_state=0).fit(X, Y),
    "classifier-multioutput": lambda: DecisionTreeClassifier(random_state=0).fit(
        X, np.c_[Y, Y % 2]
    ),
    "classifier-nan": lambda: DecisionTreeClassifier(random_state=0).fit(X_NAN, Y),
    "extra-classifier": lambda: ExtraTreeClassifier(random_state=0).fit(X, Y),
    "regressor": lambda: DecisionTreeRegressor(random_state=0).fit(X, X[:, 0]),
    "regressor-nan": lambda: DecisionTreeRegressor(random_state=0).fit(X_NAN, X[:, 1]),
    "extra-regressor-multioutput": lambda: ExtraTreeRegressor(random_state=0).fit(X, X[:, :2]),
}


@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
def test_the_tree_comes_back_byte_for_byte(fit: Callable[[], Any]) -> None:
    original = fit()
    loaded = milo_codec.loads(milo_codec.dumps(original))
    assert _state_bytes(loaded.tree_) == _state_bytes(original.tree_)
    assert loaded.tree_.n_leaves == original.tree_.n_leaves
    assert np.array_equal(loaded.feature_importances_, original.feature_importances_)
    assert loaded.get_depth() == original.get_depth()


def test_missing_value_splits_keep_their_infinite_threshold() -> None:
    """A split that sends only missing values one way has threshold +inf in sklearn."""
    original = DecisionTreeRegressor(random_state=0).fit(X_NAN, X[:, 1])
    assert np.isinf(original.tree_.threshold).any()
    loaded = milo_codec.loads(milo_codec.dumps(original))
    assert np.array_equal(loaded.predict(X_NAN), original.predict(X_NAN))


def test_the_tree_is_built_only_after_the_invariants() -> None:
    """Decoding yields an inert payload; the Tree exists only once construction starts."""
    node = milo_codec.pipeline.read(milo_codec.dumps(FITS["classifier"]()))
    tree = node.state.fields_by_json_name()["tree_"]
    assert type(tree) is Pending
    assert set(tree.payload) == {
        "n_features",
        "n_classes",
        "n_outputs",
        "max_depth",
        "node_count",
        "nodes",
        "values",
    }
    assert tree.payload["nodes"].dtype == NODE_DTYPE


# ---------------------------------------------------------------------------
# Crafted files. The base model: a depth-4 classifier on 3 features and 3 classes, whose
# root's left child `a` and a's left child `c` are split nodes.


@pytest.fixture(scope="module")
def base_doc() -> dict:
    est = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, Y)
    doc = editable_doc(est)
    cols = _cols(doc)
    a = cols["left_child"][0]
    c = cols["left_child"][a]
    assert a > 0 and c > 0 and cols["left_child"][c] > 0, "the base tree must be deeper"
    return doc


def _tree(doc: dict) -> dict:
    return doc["model"]["state"]["tree_"]["tree"]


def _cols(doc: dict) -> dict:
    return _tree(doc)["nodes"]["recarray"]["columns"]


def _n(doc: dict) -> int:
    return _tree(doc)["node_count"]


def _leaf(doc: dict) -> int:
    return _cols(doc)["left_child"].index(-1)


def _right_split(doc: dict) -> int:
    """A split node in the root's right subtree."""
    cols = _cols(doc)
    r = cols["right_child"][0]
    assert cols["left_child"][r] != -1
    return r


def _resize_values(doc: dict, node_count: int, n_classes: int) -> None:
    values = _tree(doc)["values"]["ndarray"]
    values["shape"] = [node_count, 1, n_classes]
    values["data"] = [[[0.5] * n_classes] for _ in range(node_count)]


# Each case: how to mutate the base document → (error class, the exact problem line).
Case = Callable[[dict], tuple[str, str]]


def child_out_of_range(doc: dict) -> tuple[str, str]:
    n = _n(doc)
    _cols(doc)["left_child"][0] = n + 5
    return "InvariantError", (
        f"{COLUMNS}.left_child[0]: node 0 has child {n + 5}, out of range: a child is a node "
        f"index below {n}, or -1 (TREE_LEAF) for both children of a leaf"
    )


def child_negative(doc: dict) -> tuple[str, str]:
    n = _n(doc)
    _cols(doc)["right_child"][0] = -7
    return "InvariantError", (
        f"{COLUMNS}.right_child[0]: node 0 has child -7, out of range: a child is a node "
        f"index below {n}, or -1 (TREE_LEAF) for both children of a leaf"
    )


def leaf_with_one_child(doc: dict) -> tuple[str, str]:
    leaf = _leaf(doc)
    _cols(doc)["right_child"][leaf] = 1
    return "InvariantError", (
        f"{COLUMNS}.right_child[{leaf}]: node {leaf} has only one child: a leaf has -1 "
        "(TREE_LEAF) as both children"
    )


def cycle_to_ancestor(doc: dict) -> tuple[str, str]:
    """c's left child points back up to its parent a: predict would loop forever."""
    cols = _cols(doc)
    a = cols["left_child"][0]
    c = cols["left_child"][a]
    cols["left_child"][c] = a
    return "InvariantError", (
        f"{COLUMNS}.left_child[{c}]: node {a} is a child of more than one node (0, {c}): every "
        "node must be reached exactly once from the root (a shared node or a cycle)"
    )


def cycle_to_root(doc: dict) -> tuple[str, str]:
    cols = _cols(doc)
    a = cols["left_child"][0]
    cols["right_child"][a] = 0
    return "InvariantError", (
        f"{COLUMNS}.right_child[{a}]: node {a} points back to node 0, the root: a cycle"
    )


def detached_cycle(doc: dict) -> tuple[str, str]:
    """Every node keeps exactly one parent, but a and c now only reach each other."""
    cols = _cols(doc)
    a = cols["left_child"][0]
    c = cols["left_child"][a]
    g = cols["left_child"][c]
    cols["left_child"][0], cols["left_child"][c] = g, a
    return "InvariantError", (
        f"{TREE}.nodes: nodes {', '.join(map(str, _unreached(cols)[:5]))}"
        f"{', ...' if len(_unreached(cols)) > 5 else ''} form a cycle that is not reached "
        "from the root"
    )


def _unreached(cols: dict) -> list[int]:
    seen, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for child in (cols["left_child"][i], cols["right_child"][i]):
            if child != -1 and child not in seen:
                seen.add(child)
                todo.append(child)
    return [i for i in range(len(cols["left_child"])) if i not in seen]


def shared_node(doc: dict) -> tuple[str, str]:
    """Two parents share one subtree; the subtree it replaced is orphaned."""
    cols = _cols(doc)
    a = cols["left_child"][0]
    r = _right_split(doc)
    cols["left_child"][r] = a
    return "InvariantError", (
        f"{COLUMNS}.left_child[{r}]: node {a} is a child of more than one node (0, {r}): every "
        "node must be reached exactly once from the root (a shared node or a cycle)"
    )


def feature_out_of_range(doc: dict) -> tuple[str, str]:
    _cols(doc)["feature"][0] = 3
    return "InvariantError", (
        f"{COLUMNS}.feature[0]: node 0 splits on feature 3, but the tree has 3 features (0 to 2)"
    )


def feature_negative(doc: dict) -> tuple[str, str]:
    _cols(doc)["feature"][0] = -2
    return "InvariantError", (
        f"{COLUMNS}.feature[0]: node 0 splits on feature -2, but the tree has 3 features (0 to 2)"
    )


def leaf_with_a_feature(doc: dict) -> tuple[str, str]:
    leaf = _leaf(doc)
    _cols(doc)["feature"][leaf] = 0
    return "InvariantError", (
        f"{COLUMNS}.feature[{leaf}]: node {leaf} is a leaf and its feature must be -2 "
        "(TREE_UNDEFINED), not 0"
    )


def tree_wider_than_model(doc: dict) -> tuple[str, str]:
    _tree(doc)["n_features"] = 4
    return "InvariantError", (
        f"{TREE}.n_features: is 4 but the model has 3 features (n_features_in_)"
    )


def nan_threshold(doc: dict) -> tuple[str, str]:
    _cols(doc)["threshold"][0] = "NaN"
    return "InvariantError", (
        f"{COLUMNS}.threshold[0]: node 0 splits at nan: a split threshold must be a number "
        "or +Infinity"
    )


def values_missing_a_node(doc: dict) -> tuple[str, str]:
    n = _n(doc)
    _resize_values(doc, n - 1, 3)
    return "InvariantError", (
        f"{TREE}.values: has shape [{n - 1}, 1, 3] but needs [{n}, 1, 3] (node_count, "
        "n_outputs, the largest class count)"
    )


def values_with_too_few_classes(doc: dict) -> tuple[str, str]:
    n = _n(doc)
    _resize_values(doc, n, 2)
    return "InvariantError", (
        f"{TREE}.values: has shape [{n}, 1, 2] but needs [{n}, 1, 3] (node_count, "
        "n_outputs, the largest class count)"
    )


def node_count_too_large(doc: dict) -> tuple[str, str]:
    n = _n(doc)
    _tree(doc)["node_count"] = n + 1
    return "InvariantError", f"{TREE}.node_count: is {n + 1} but nodes holds {n} nodes"


def max_depth_wrong(doc: dict) -> tuple[str, str]:
    _tree(doc)["max_depth"] = 9
    return "InvariantError", f"{TREE}.max_depth: is 9 but the deepest node is at depth 4"


def negative_sample_count(doc: dict) -> tuple[str, str]:
    _cols(doc)["n_node_samples"][1] = -3
    return "InvariantError", (
        f"{COLUMNS}.n_node_samples[1]: node 1 has -3 samples: a sample count cannot be negative"
    )


def missing_go_to_left_not_boolean(doc: dict) -> tuple[str, str]:
    _cols(doc)["missing_go_to_left"][0] = 2
    return "InvariantError", (
        f"{COLUMNS}.missing_go_to_left[0]: node 0 has missing_go_to_left 2: it must be 0 or 1"
    )


def n_classes_disagrees_with_classes(doc: dict) -> tuple[str, str]:
    _tree(doc)["n_classes"]["ndarray"]["data"] = [4]
    return "InvariantError", (f"{TREE}.n_classes: is [4] but the model's classes need [3]")


def n_classes_per_output_count(doc: dict) -> tuple[str, str]:
    _tree(doc)["n_classes"]["ndarray"].update(shape=[2], data=[3, 3])
    return "InvariantError", (
        f"{TREE}.n_classes: has 2 entries but n_outputs is 1: one class count per output"
    )


def n_outputs_disagrees_with_model(doc: dict) -> tuple[str, str]:
    _tree(doc)["n_outputs"] = 2
    return "InvariantError", f"{TREE}.n_outputs: is 2 but the model has 1 outputs (n_outputs_)"


def n_classes_attribute_disagrees(doc: dict) -> tuple[str, str]:
    doc["model"]["state"]["n_classes_"] = {"int64": 4}
    return "InvariantError", "$.model.state.n_classes_: is 4 but classes_ holds 3 labels"


def node_dtype_field_renamed(doc: dict) -> tuple[str, str]:
    rec = _tree(doc)["nodes"]["recarray"]
    rec["fields"][3][0] = "thresh"
    rec["columns"]["thresh"] = rec["columns"].pop("threshold")
    return "SchemaError", f"{TREE}.nodes: {_node_dtype_message()}"


def node_dtype_offsets_swapped(doc: dict) -> tuple[str, str]:
    rec = _tree(doc)["nodes"]["recarray"]
    rec["offsets"][3], rec["offsets"][4] = rec["offsets"][4], rec["offsets"][3]
    return "SchemaError", f"{TREE}.nodes: {_node_dtype_message()}"


def node_dtype_narrow_index(doc: dict) -> tuple[str, str]:
    rec = _tree(doc)["nodes"]["recarray"]
    rec["fields"][0][1] = "int32"
    return "SchemaError", f"{TREE}.nodes: {_node_dtype_message()}"


def no_nodes(doc: dict) -> tuple[str, str]:
    _tree(doc)["node_count"] = 0
    return "SchemaError", f"{TREE}.node_count: Input should be greater than or equal to 1"


def _node_dtype_message() -> str:
    from milo_codec.objects.tree import node_dtype_message

    return node_dtype_message()


CASES: list[Case] = [
    child_out_of_range,
    child_negative,
    leaf_with_one_child,
    cycle_to_ancestor,
    cycle_to_root,
    detached_cycle,
    shared_node,
    feature_out_of_range,
    feature_negative,
    leaf_with_a_feature,
    tree_wider_than_model,
    nan_threshold,
    values_missing_a_node,
    values_with_too_few_classes,
    node_count_too_large,
    max_depth_wrong,
    negative_sample_count,
    missing_go_to_left_not_boolean,
    n_classes_disagrees_with_classes,
    n_classes_per_output_count,
    n_outputs_disagrees_with_model,
    n_classes_attribute_disagrees,
    node_dtype_field_renamed,
    node_dtype_offsets_swapped,
    node_dtype_narrow_index,
    no_nodes,
]


@pytest.fixture(scope="module")
def outcomes(base_doc: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every crafted document (and the unmodified one) loaded in child processes, once."""
    docs: dict[str, Any] = {"unmodified": base_doc}
    for case in CASES:
        doc = copy.deepcopy(base_doc)
        case(doc)
        docs[case.__name__] = doc
    return load_in_children(docs, tmp_path_factory.mktemp("crafted-trees"))


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_a_crafted_tree_is_refused_cleanly(
    base_doc: dict, outcomes: dict[str, Any], case: Case
) -> None:
    error, line = case(copy.deepcopy(base_doc))
    out = outcomes[case.__name__]
    assert out.lines[0] == error, out
    assert f"  {line}" in out.lines, out


def test_the_unmodified_base_document_loads(outcomes: dict[str, Any]) -> None:
    assert outcomes["unmodified"].status == "loaded", outcomes["unmodified"]


def test_a_regression_tree_has_one_class_per_output() -> None:
    doc = editable_doc(DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0]))
    _tree(doc)["n_classes"]["ndarray"]["data"] = [2]
    with pytest.raises(milo_codec.InvariantError) as e:
        milo_codec.loads(json.dumps(doc))
    assert f"{TREE}.n_classes: is [2] but every output has 1" in str(e.value)


def test_a_regression_tree_output_count_sizes_nothing_before_it_matches(tmp_path: Path) -> None:
    """n_outputs_ = 10**9 on a regression tree once made the check build a list of 10**9
    class counts (8 GB, over a minute) before comparing it with the tree. In a child under a
    2 GB address-space limit, so that the old behaviour fails as a LimitError instead of
    exhausting the machine."""
    doc = editable_doc(DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0]))
    doc["model"]["state"]["n_outputs_"] = 10**9
    out = load_in_children({"huge": doc}, tmp_path, rlimit=2 << 30)["huge"]
    assert out.lines[0] == "InvariantError", out
    assert (
        f"  {TREE}.n_outputs: is 1 but the model has 1000000000 outputs (n_outputs_)" in out.lines
    )


# ---------------------------------------------------------------------------
# The reusable check, directly: other families (forests, boosting) call it on their trees.


def _payload(est: Any) -> dict:
    _, (n_features, n_classes, n_outputs), state = est.tree_.__reduce__()
    return {
        "n_features": n_features,
        "n_classes": n_classes,
        "n_outputs": n_outputs,
        "max_depth": state["max_depth"],
        "node_count": state["node_count"],
        "nodes": state["nodes"].copy(),
        "values": state["values"].copy(),
    }


def test_check_tree_payload_accepts_real_trees() -> None:
    for fit in FITS.values():
        est = fit()
        classes = getattr(est, "classes_", None)
        if classes is None:
            n_classes: list[int] = [1] * est.n_outputs_
        elif isinstance(classes, list):
            n_classes = [len(c) for c in classes]
        else:
            n_classes = [len(classes)]
        assert check_tree_payload(_payload(est), 3, est.n_outputs_, n_classes, "$.t") == []


def test_check_tree_payload_compares_with_the_owning_model() -> None:
    payload = _payload(DecisionTreeClassifier(random_state=0).fit(X, Y))
    assert check_tree_payload(payload, 4, 1, [3], "$.t") == [
        Problem("$.t.n_features", "is 3 but the model has 4 features (n_features_in_)")
    ]


def _renumbered(payload: dict) -> dict:
    """The same tree with nodes 1..n-1 numbered in reverse: children come before parents."""
    nodes, n = payload["nodes"], payload["node_count"]
    new_id = np.r_[0, n - np.arange(1, n)]  # old index -> new index
    order = np.argsort(new_id)  # new index -> old index
    out = nodes[order].copy()
    for name in ("left_child", "right_child"):
        col = out[name]
        col[col >= 0] = new_id[col[col >= 0]]
    return {**payload, "nodes": out, "values": payload["values"][order].copy()}


@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
def test_the_quick_structure_check_agrees_with_the_general_one(fit: Callable[[], Any]) -> None:
    """Trees numbered as scikit-learn numbers them (children after parents) take a shortcut;
    it must find the same depths as the general check."""
    payload = _payload(fit())
    nodes = payload["nodes"]
    general, reaches_root = _depths(nodes["left_child"], nodes["right_child"])
    assert reaches_root.all()
    # The stated depth only spares checks: a wrong one (too small, too large) finds the same.
    for stated in (payload["max_depth"], 0, 3 * payload["max_depth"] + 5):
        quick = _numbered_tree_depths(nodes, stated)
        assert quick is not None and quick.tolist() == general.tolist()


def test_a_tree_numbered_otherwise_is_still_accepted() -> None:
    """The shortcut is only a shortcut: a well-formed tree numbered in another order goes to
    the general check, which accepts it."""
    est = DecisionTreeClassifier(random_state=0).fit(X, Y)
    payload = _renumbered(_payload(est))
    assert _numbered_tree_depths(payload["nodes"]) is None
    assert check_tree_payload(payload, 3, 1, [3], "$.t") == []


def _chain(n: int) -> dict:
    """The deepest tree there is: every split's right child is a leaf, depth (n - 1) / 2."""
    nodes = np.zeros(n, dtype=NODE_DTYPE)
    split = np.arange(0, n - 1, 2)
    nodes["left_child"] = -1
    nodes["right_child"] = -1
    nodes["feature"] = -2
    nodes["threshold"] = -2.0
    nodes["left_child"][split] = split + 2
    nodes["right_child"][split] = split + 1
    nodes["feature"][split] = 0
    nodes["threshold"][split] = 0.5
    return {
        "n_features": 1,
        "n_classes": np.array([1]),
        "n_outputs": 1,
        "max_depth": (n - 1) // 2,
        "node_count": n,
        "nodes": nodes,
        "values": np.zeros((n, 1, 1)),
    }


def test_a_very_deep_tree_is_checked_without_recursion_and_quickly() -> None:
    payload = _chain(400_001)
    start = time.perf_counter()
    assert check_tree_payload(payload, 1, 1, [1], "$.t") == []
    assert time.perf_counter() - start < 10
    payload["nodes"]["left_child"][-3] = 2  # the last split points back near the top
    problems = check_tree_payload(payload, 1, 1, [1], "$.t")
    assert problems and "more than one node" in problems[0].message


def test_build_refuses_a_malformed_tree_even_without_the_invariant() -> None:
    """A schema that forgets tree_structure still cannot hand compiled code a cycle."""
    (kind,) = KINDS
    assert kind.build is not None
    payload = _chain(7)
    payload["nodes"]["left_child"][2] = 0
    with pytest.raises(ValueError, match="points back to node 0, the root"):
        kind.build(payload)


# ---------------------------------------------------------------------------
# Unfitted trees, trees seeded with a RandomState (as GradientBoosting builds them), and a
# fitted state missing part of itself.

CLASSES = [DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor]


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_an_unfitted_tree_round_trips(cls: type) -> None:
    """An unfitted regression tree already holds class_weight = None as state."""
    original = cls(max_depth=3, random_state=0)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    assert type(loaded) is cls
    assert vars(loaded) == vars(original)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_a_tree_seeded_with_a_random_state_round_trips(cls: type) -> None:
    y = Y if cls in (DecisionTreeClassifier, ExtraTreeClassifier) else X[:, 0]
    original = cls(random_state=np.random.RandomState(3)).fit(X, y)
    loaded = milo_codec.loads(milo_codec.dumps(original))
    assert loaded.random_state.get_state()[1].tolist() == (
        original.random_state.get_state()[1].tolist()
    )
    assert _state_bytes(loaded.tree_) == _state_bytes(original.tree_)


def test_a_fitted_regression_tree_needs_its_whole_state() -> None:
    """An unfitted regression tree holds class_weight, so its schema cannot require the fitted
    attributes; its dependentRequired ties them to n_features_in_ instead."""
    doc = editable_doc(DecisionTreeRegressor(max_depth=2).fit(X, X[:, 0]))
    del doc["model"]["state"]["tree_"]
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert [str(p) for p in e.value.problems] == [
        "$.model.state.tree_: is missing: a fitted model that has n_features_in_ has it too"
    ]


def test_any_json_schema_validator_refuses_another_node_layout(base_doc: dict) -> None:
    """The node layout is a constant of the common schema, not only of milo_codec's decoder."""
    from jsonschema import Draft202012Validator
    from test_schemas import registry

    validator = Draft202012Validator(
        {"$ref": "https://milo-codec.invalid/schemas/common/tree/v1.json#/$defs/tree"},
        registry=registry(),
    )
    tree = copy.deepcopy(base_doc["model"]["state"]["tree_"])
    assert list(validator.iter_errors(tree)) == []
    tree["tree"]["nodes"]["recarray"]["offsets"][3] = 32
    assert [e.json_path for e in validator.iter_errors(tree)] == ["$.tree.nodes.recarray.offsets"]
