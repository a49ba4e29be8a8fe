"""Invariants of the sklearn.tree family, listed in schemas by x-milo-invariants.

A compiled ``Tree`` walks from node 0 along child indices until it meets a leaf, and reads
``X[i, feature]`` at every split, with no bounds checks. So before a tree is built, its
payload (objects/tree.py) must be a genuine binary tree: every child index in range, every
node reached exactly once from the root (a cycle would hang ``predict``, an out-of-range
index would read arbitrary memory), features inside the model's columns, and arrays whose
shapes agree with the counts the compiled code trusts.

``check_tree_payload`` is reusable by every family that holds trees (forests, gradient
boosting, isolation forests, AdaBoost, ...): give it the payload of a decoded ``tree`` (the
``.payload`` of its ``Pending``) and what the owning model says the tree must look like.
All checks are vectorised numpy; the graph check is pointer jumping (log2(node_count)
vectorised rounds), never recursion and never a per-node Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.objects.base import Pending

TREE_LEAF = -1  # sklearn.tree._tree.TREE_LEAF: both children of a leaf
TREE_UNDEFINED = -2  # sklearn.tree._tree.TREE_UNDEFINED: a leaf's feature


def check_tree_payload(
    payload: dict[str, Any],
    n_features_in: int | None,
    n_outputs: int | None,
    n_classes: Sequence[int] | np.ndarray | int | None,
    path: str,
) -> list[Problem]:
    """Problems of one decoded tree payload; ``path`` is its JSON path (``...tree_.tree``).

    ``n_features_in``, ``n_outputs`` and ``n_classes`` (one class count per output, or one
    count for every output: 1 for a regression tree) are what the owning model requires;
    ``None`` skips that comparison.
    """
    problems = _check_header(payload, n_features_in, n_outputs, n_classes, path)
    if problems:
        return problems  # the shapes below are derived from the header
    problems, depth = _check_structure(payload["nodes"], payload["max_depth"], path)
    if problems:
        return problems  # depth and split checks assume a tree
    return _check_nodes(payload, depth, path)


def _check_header(
    payload: dict[str, Any],
    n_features_in: int | None,
    n_outputs: int | None,
    n_classes: Sequence[int] | np.ndarray | int | None,
    path: str,
) -> list[Problem]:
    problems = []
    counts = payload["n_classes"]
    if n_features_in is not None and payload["n_features"] != n_features_in:
        problems.append(
            Problem(
                f"{path}.n_features",
                f"is {payload['n_features']} but the model has {n_features_in} features "
                "(n_features_in_)",
            )
        )
    if n_outputs is not None and payload["n_outputs"] != n_outputs:
        problems.append(
            Problem(
                f"{path}.n_outputs",
                f"is {payload['n_outputs']} but the model has {n_outputs} outputs (n_outputs_)",
            )
        )
    if counts.shape[0] != payload["n_outputs"]:
        problems.append(
            Problem(
                f"{path}.n_classes",
                f"has {counts.shape[0]} entries but n_outputs is {payload['n_outputs']}: one "
                "class count per output",
            )
        )
    elif (counts < 1).any():
        problems.append(Problem(f"{path}.n_classes", "every class count must be at least 1"))
    elif isinstance(n_classes, int):
        # One count for every output, never expanded into a list: n_outputs_ is the file's
        # number and sizes nothing until it has matched the payload's array.
        if (counts != n_classes).any():
            problems.append(
                Problem(
                    f"{path}.n_classes", f"is {counts.tolist()} but every output has {n_classes}"
                )
            )
    elif n_classes is not None and counts.tolist() != [int(c) for c in n_classes]:
        problems.append(
            Problem(
                f"{path}.n_classes",
                f"is {counts.tolist()} but the model's classes need {[int(c) for c in n_classes]}",
            )
        )
    if problems:
        return problems
    node_count, n_nodes = payload["node_count"], payload["nodes"].shape[0]
    if node_count != n_nodes:
        return [Problem(f"{path}.node_count", f"is {node_count} but nodes holds {n_nodes} nodes")]
    expected = (node_count, payload["n_outputs"], int(counts.max()))
    if payload["values"].shape != expected:
        return [
            Problem(
                f"{path}.values",
                f"has shape {list(payload['values'].shape)} but needs {list(expected)} "
                "(node_count, n_outputs, the largest class count)",
            )
        ]
    return []


_NO_DEPTH = np.zeros(0, dtype=np.int64)


def _column(path: str, name: str, i: int | None = None) -> str:
    where = f"{path}.nodes.recarray.columns.{name}"
    return where if i is None else f"{where}[{i}]"


def _check_structure(
    nodes: np.ndarray, stated_depth: int, path: str
) -> tuple[list[Problem], np.ndarray]:
    """Every node is reached exactly once from node 0: the node graph is a tree rooted at 0."""
    depth = _numbered_tree_depths(nodes, stated_depth)
    if depth is not None:
        return [], depth
    n = nodes.shape[0]
    left, right = nodes["left_child"], nodes["right_child"]
    problems = []
    for name, col in (("left_child", left), ("right_child", right)):
        bad = np.flatnonzero((col != TREE_LEAF) & ((col < 0) | (col >= n)))
        if bad.size:
            i = int(bad[0])
            problems.append(
                Problem(
                    _column(path, name, i),
                    f"node {i} has child {int(col[i])}, out of range: a child is a node index "
                    f"below {n}, or -1 (TREE_LEAF) for both children of a leaf",
                )
            )
    half = np.flatnonzero((left == TREE_LEAF) != (right == TREE_LEAF))
    if half.size:
        i = int(half[0])
        name = "right_child" if left[i] == TREE_LEAF else "left_child"
        problems.append(
            Problem(
                _column(path, name, i),
                f"node {i} has only one child: a leaf has -1 (TREE_LEAF) as both children",
            )
        )
    if problems:
        return problems, _NO_DEPTH

    index = np.arange(n)
    split = left != TREE_LEAF
    children = np.concatenate([left[split], right[split]])
    parents = np.concatenate([index[split], index[split]])
    counts = np.bincount(children, minlength=n)
    n_split = int(split.sum())

    def pointer(k: int) -> str:  # the column entry of the k-th (parent, child) link
        return _column(path, "left_child" if k < n_split else "right_child", int(parents[k]))

    if counts[0]:
        k = int(np.flatnonzero(children == 0)[0])
        problems.append(
            Problem(pointer(k), f"node {int(parents[k])} points back to node 0, the root: a cycle")
        )
    shared = np.flatnonzero(counts[1:] > 1) + 1
    if shared.size:
        j = int(shared[0])
        links = np.flatnonzero(children == j)
        owners = ", ".join(map(str, sorted(set(parents[links].tolist()))))
        problems.append(
            Problem(
                pointer(int(links[1])),
                f"node {j} is a child of more than one node ({owners}): every node must be "
                "reached exactly once from the root (a shared node or a cycle)",
            )
        )
    orphans = np.flatnonzero(counts[1:] == 0) + 1
    if orphans.size:
        problems.append(
            Problem(
                f"{path}.nodes",
                f"node {int(orphans[0])} is not reached from the root: no node has it as a child",
            )
        )
    if problems:
        return problems, _NO_DEPTH

    # Every node but the root now has exactly one parent; the graph is a tree unless some
    # nodes form a cycle of their own, which never reaches node 0.
    depth, reaches_root = _depths(left, right)
    lost = np.flatnonzero(~reaches_root)
    if lost.size:
        shown = ", ".join(map(str, lost[:5].tolist()))
        problem = Problem(
            f"{path}.nodes",
            f"nodes {shown}{', ...' if lost.size > 5 else ''} form a cycle that is not "
            "reached from the root",
        )
        return [problem], depth
    return [], depth


def _numbered_tree_depths(nodes: np.ndarray, stated_depth: int = 0) -> np.ndarray | None:
    """Each node's depth if the nodes form a tree numbered as scikit-learn's builders number
    them (every child after its parent), else None: the general check then finds the fault.

    A sufficient test, cheaper than the general one: if every link goes from a node to a later
    one, node 0 has no parent and each of the n - 1 others has one, following parents always
    ends at node 0, so the graph is a tree. Pointer jumping then stops as soon as every node's
    ancestor is the root (log2 of the depth rounds, not of the node count); the rounds that
    the tree's stated depth needs run without asking.
    """
    n = nodes.shape[0]
    left = np.ascontiguousarray(nodes["left_child"])
    split = left != TREE_LEAF
    parents = np.flatnonzero(split)
    if 2 * parents.shape[0] != n - 1:
        return None
    right = np.ascontiguousarray(nodes["right_child"])
    if not np.array_equal(split, right != TREE_LEAF):
        return None
    lefts, rights = left[parents], right[parents]
    if parents.shape[0] and not (
        (lefts > parents).all() and (rights > parents).all() and max(lefts.max(), rights.max()) < n
    ):
        return None
    reached = np.zeros(n, dtype=bool)
    reached[lefts] = True
    reached[rights] = True
    if np.count_nonzero(reached) != n - 1:  # n - 1 links, all to nodes 1..n-1: none shared
        return None
    ancestor = np.zeros(n, dtype=np.intp)  # the root is its own parent
    ancestor[lefts] = parents
    ancestor[rights] = parents
    depth = np.ones(n, dtype=np.int64)
    depth[0] = 0
    rounds = max(stated_depth, 0).bit_length()  # 2**rounds > stated_depth
    while rounds > 0 or ancestor.any():
        depth += depth[ancestor]
        ancestor = ancestor[ancestor]
        rounds -= 1
    return depth


def _depths(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each node's depth and whether it reaches node 0, given one parent per non-root node.

    Pointer jumping: ``ancestor`` is the 2^r-th ancestor (stopping at the root, its own
    parent) and ``depth`` the number of edges up to it; log2(n) vectorised rounds.
    """
    n = left.shape[0]
    index = np.arange(n)
    split = left != TREE_LEAF
    ancestor = np.zeros(n, dtype=np.intp)
    ancestor[left[split]] = index[split]
    ancestor[right[split]] = index[split]
    depth = (index != 0).astype(np.int64)
    for _ in range(max(1, (n - 1).bit_length())):
        depth = depth + depth[ancestor]
        ancestor = ancestor[ancestor]
    return depth, ancestor == 0


def _check_nodes(payload: dict[str, Any], depth: np.ndarray, path: str) -> list[Problem]:
    """Per-node fields of a well-formed tree: features, thresholds, counts, depth."""
    nodes = payload["nodes"]
    split = nodes["left_child"] != TREE_LEAF
    n_features = payload["n_features"]
    problems = []

    def first(mask: np.ndarray, name: str, message: str) -> None:
        if mask.any():  # cheaper than finding where, in the usual case of nothing wrong
            i = int(np.flatnonzero(mask)[0])
            value = nodes[name][i].item()
            problems.append(Problem(_column(path, name, i), message.format(i=i, value=value)))

    feature = nodes["feature"]
    first(
        split & ((feature < 0) | (feature >= n_features)),
        "feature",
        "node {i} splits on feature {value}, but the tree has "
        f"{n_features} features (0 to {n_features - 1})",
    )
    first(
        ~split & (feature != TREE_UNDEFINED),
        "feature",
        "node {i} is a leaf and its feature must be -2 (TREE_UNDEFINED), not {value}",
    )
    # +Infinity is a real threshold: the split that sends only missing values to one side.
    threshold = nodes["threshold"]
    first(
        split & (np.isnan(threshold) | (threshold == -np.inf)),
        "threshold",
        "node {i} splits at {value}: a split threshold must be a number or +Infinity",
    )
    first(
        nodes["n_node_samples"] < 0,
        "n_node_samples",
        "node {i} has {value} samples: a sample count cannot be negative",
    )
    first(
        nodes["missing_go_to_left"] > 1,
        "missing_go_to_left",
        "node {i} has missing_go_to_left {value}: it must be 0 or 1",
    )
    actual = int(depth.max())
    if payload["max_depth"] != actual:
        problems.append(
            Problem(
                f"{path}.max_depth",
                f"is {payload['max_depth']} but the deepest node is at depth {actual}",
            )
        )
    return problems


def _expected_classes(state: dict[str, Any]) -> list[int] | None:
    """Class counts per output from ``classes_`` (an array, or a list of arrays per output)."""
    classes = state.get("classes_")
    if isinstance(classes, np.ndarray):
        return [classes.shape[0]] if classes.ndim == 1 else None
    if isinstance(classes, list) and all(
        isinstance(c, np.ndarray) and c.ndim == 1 for c in classes
    ):
        return [c.shape[0] for c in classes]
    return None


def tree_structure(params: dict, state: dict, path: str) -> list[Problem]:
    """``tree_`` is a well-formed tree over ``n_features_in_`` features, ``n_outputs_`` outputs
    and, for a classifier, the classes in ``classes_`` (a regression tree has 1 per output).

    An unfitted regression tree holds only class_weight; its schema's dependentRequired makes a
    fitted one hold n_features_in_, n_outputs_, max_features_ and tree_ together."""
    tree = state.get("tree_")
    if type(tree) is not Pending:
        return []
    n_outputs = state.get("n_outputs_")
    n_outputs = n_outputs if type(n_outputs) is int else None
    problems = []
    n_classes: list[int] | int | None
    if "classes_" in state:
        n_classes = _expected_classes(state)
        if n_classes is not None:
            problems.extend(_check_n_classes_attr(state, n_classes, n_outputs, path))
    else:
        n_classes = 1  # a regression tree: one value per output
    n_features_in = state.get("n_features_in_")
    problems.extend(
        check_tree_payload(
            tree.payload,
            n_features_in if type(n_features_in) is int else None,
            n_outputs,
            n_classes,
            f"{path}.state.tree_.tree",
        )
    )
    # Checked with its owner's shapes: construction need not check the payload again.
    tree.checked = not problems
    return problems


def _check_n_classes_attr(
    state: dict, n_classes: list[int], n_outputs: int | None, path: str
) -> list[Problem]:
    """A classifier's ``classes_`` and ``n_classes_`` agree with each other and ``n_outputs_``."""
    problems = []
    if n_outputs is not None and len(n_classes) != n_outputs:
        problems.append(
            Problem(
                f"{path}.state.classes_",
                f"holds labels for {len(n_classes)} outputs but n_outputs_ is {n_outputs}",
            )
        )
    attr = state.get("n_classes_")
    single = isinstance(state.get("classes_"), np.ndarray)
    if isinstance(attr, np.ndarray):
        stated = attr.tolist() if attr.ndim == 1 else None
    elif isinstance(attr, int | np.integer):
        stated = [int(attr)]
    else:
        stated = None
    if stated is not None and (stated != n_classes or single != (not isinstance(attr, np.ndarray))):
        problems.append(
            Problem(
                f"{path}.state.n_classes_",
                f"is {stated if not single else stated[0]} but classes_ holds "
                f"{n_classes[0] if single else n_classes} labels",
            )
        )
    return problems


CHECKS: dict[str, Check] = {"tree_structure": tree_structure}
