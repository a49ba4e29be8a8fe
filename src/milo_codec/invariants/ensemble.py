"""Invariants of the sklearn.ensemble family (except HistGradientBoosting), listed in schemas
by x-milo-invariants.

An ensemble's predictions combine its members' outputs column by column, index arrays with
their class labels and feature subsets, and zip parallel per-member arrays: every such link
is checked here, across levels, before anything is built. Each member's *own* structure
(e.g. a tree's node arrays) is checked by the member's own schema and invariants, since the
document walk checks every nested model node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int
from milo_codec.objects.base import Pending
from milo_codec.paths import child

# ---------------------------------------------------------------------------
# Reading nested nodes


def _state(node: Any) -> dict[str, Any]:
    """A member's decoded fitted state ({} for an unfitted node or anything that is not a node)."""
    if isinstance(node, NodeModel) and node.state is not None:
        return node.state.fields_by_json_name()
    return {}


def _params(node: Any) -> dict[str, Any]:
    return node.params.fields_by_json_name() if isinstance(node, NodeModel) else {}


def _members(state: dict[str, Any]) -> list[Any]:
    m = state.get("estimators_")
    return list(m) if isinstance(m, list) else []


def _at(path: str, i: int) -> str:
    return child(f"{path}.state.estimators_", i)


def _count(params: dict, state: dict, path: str, field: str = "estimators_") -> list[Problem]:
    """A fitted ensemble holds exactly ``n_estimators`` members (what fit leaves behind)."""
    n, members = as_int(params.get("n_estimators")), state.get(field)
    if n is None or not isinstance(members, list) or len(members) == n:
        return []
    return [
        Problem(
            f"{path}.state.{field}",
            f"holds {len(members)} estimators but n_estimators is {n}",
        )
    ]


def _same_n_features(
    state: dict, path: str, expected: int | None, what: str = "n_features_in_"
) -> list[Problem]:
    """Every member saw ``expected`` features (or, with None, the same number as the first)."""
    out = []
    for i, m in enumerate(_members(state)):
        got = as_int(_state(m).get("n_features_in_"))
        if got is None:
            continue
        if expected is None:
            expected, what = got, "the first estimator's"
            continue
        if got != expected:
            out.append(
                Problem(
                    f"{_at(path, i)}.state.n_features_in_",
                    f"is {got} but the ensemble's {what} is {expected}",
                )
            )
    return out


def _encoded_classes(state: dict, path: str, n_classes: int, members: list[Any]) -> list[Problem]:
    """Members fitted on encoded labels hold classes_ 0..n_classes-1 (they index columns)."""
    out = []
    for i, m in members:
        classes = _state(m).get("classes_")
        if not isinstance(classes, np.ndarray):
            continue
        if not (
            classes.ndim == 1
            and classes.dtype.kind in "iuf"
            and classes.shape[0] == n_classes
            and np.array_equal(classes, np.arange(n_classes))
        ):
            out.append(
                Problem(
                    f"{_at(path, i)}.state.classes_",
                    f"must be the encoded labels 0..{n_classes - 1} of the ensemble's "
                    f"{n_classes} classes",
                )
            )
    return out


def _class_count(state: dict, path: str) -> list[Problem]:
    """A single-output classifier's n_classes_ is the length of its classes_ (predict_proba
    allocates that many columns: 10**9 had loaded and failed there with MemoryError)."""
    classes, count = state.get("classes_"), as_int(state.get("n_classes_"))
    if (
        isinstance(classes, np.ndarray)
        and classes.ndim == 1
        and count is not None
        and count != classes.shape[0]
    ):
        return [
            Problem(f"{path}.state.n_classes_", f"is {count} but classes_ holds {classes.shape[0]}")
        ]
    return []


def _embedding_width(state: dict, path: str) -> list[Problem]:
    """RandomTreesEmbedding's output width is its one-hot encoder's: one column per leaf."""
    encoder, width = state.get("one_hot_encoder_"), as_int(state.get("_n_features_out"))
    outs = _state(encoder).get("_n_features_outs") if isinstance(encoder, NodeModel) else None
    if width is None or not isinstance(outs, list) or any(as_int(n) is None for n in outs):
        return []
    total = sum(as_int(n) or 0 for n in outs)
    if width != total:
        return [
            Problem(
                f"{path}.state._n_features_out",
                f"is {width} but one_hot_encoder_ outputs {total} columns",
            )
        ]
    return []


def _n_classes(state: dict) -> int | None:
    classes = state.get("classes_")
    if isinstance(classes, np.ndarray) and classes.ndim == 1:
        return int(classes.shape[0])
    return None


def _fitted(state: dict) -> bool:
    """Whether the node is fitted, and so holds every attribute its fit sets.

    An unfitted forest, bagging, boosting or stacking ensemble already holds what its __init__
    sets (estimator_params, ...), so its schema cannot require the fitted attributes; its
    dependentRequired ties each of them to estimators_ instead (checked before any invariant).
    """
    return "estimators_" in state


# ---------------------------------------------------------------------------
# Voting and stacking: named members


def _named(params: dict, state: dict, path: str) -> list[Problem]:
    """``estimators`` (name, estimator | "drop") ↔ ``estimators_`` ↔ ``named_estimators_``.

    named_estimators_ holds the very fitted members (written as aliases), in order, under
    their names; "drop" stays "drop".
    """
    spec = params.get("estimators")
    members = state.get("estimators_")
    named = state.get("named_estimators_")
    if not (isinstance(spec, list) and isinstance(members, list)):
        return []
    out: list[Problem] = []
    names = [e[0] for e in spec if isinstance(e, tuple) and len(e) == 2]
    kept = [e for e in spec if isinstance(e, tuple) and len(e) == 2 and e[1] != "drop"]
    if len(set(names)) != len(names):
        out.append(Problem(f"{path}.params.estimators", "estimator names must be unique"))
    if len(members) != len(kept):
        out.append(
            Problem(
                f"{path}.state.estimators_",
                f"holds {len(members)} estimators but estimators lists {len(kept)} "
                "that are not 'drop'",
            )
        )
        return out
    if not isinstance(named, dict):
        return out
    npath = f"{path}.state.named_estimators_"
    if list(named) != names:
        out.append(Problem(npath, f"keys must be the estimator names {names} in order"))
        return out
    i = 0
    for name, est in spec:
        value = named[name]
        if est == "drop":
            if value != "drop":
                out.append(Problem(child(npath, name), "must be 'drop' like its estimator"))
            continue
        if not _is_member(value, members[i]):
            out.append(
                Problem(
                    child(npath, name),
                    f"must be the fitted estimator itself: an alias of {_at(path, i)}",
                )
            )
        i += 1
    return out


def _is_member(value: Any, member: Any) -> bool:
    """Whether a named_estimators_ entry is ``estimators_[i]`` itself.

    run.py hands checks every alias resolved to its target, so an entry written as an alias of
    estimators_[i] (or of what that names, with cv="prefit") is the very same node object.
    """
    return isinstance(value, NodeModel) and value is member


def _member_nodes(state: dict) -> list[tuple[int, Any]]:
    return [(i, m) for i, m in enumerate(_members(state)) if isinstance(m, NodeModel)]


def voting(params: dict, state: dict, path: str) -> list[Problem]:
    out = _named(params, state, path)
    weights, spec = params.get("weights"), params.get("estimators")
    if (
        isinstance(weights, list | tuple | np.ndarray)
        and isinstance(spec, list)
        and len(weights) != len(spec)
    ):
        out.append(
            Problem(
                f"{path}.params.weights",
                f"has {len(weights)} weights but there are {len(spec)} estimators",
            )
        )
    out += _same_n_features(state, path, None)
    n = _n_classes(state)
    if n is not None:
        out += _encoded_classes(state, path, n, _member_nodes(state))
        le_classes = _state(state.get("le_")).get("classes_")
        if isinstance(le_classes, np.ndarray) and not (
            le_classes.shape == state["classes_"].shape
            and np.array_equal(le_classes, state["classes_"])
        ):
            out.append(Problem(f"{path}.state.le_.state.classes_", "must equal classes_"))
    return out


_STACK_METHODS = ("predict", "predict_proba", "decision_function")


def stacking(params: dict, state: dict, path: str) -> list[Problem]:
    if not _fitted(state):
        return []
    out = _named(params, state, path)
    out += _same_n_features(state, path, None)
    members = _members(state)
    methods, outs = state.get("stack_method_"), state.get("_n_feature_outs")
    for name, value in (("stack_method_", methods), ("_n_feature_outs", outs)):
        if isinstance(value, list) and len(value) != len(members):
            out.append(
                Problem(
                    f"{path}.state.{name}",
                    f"has {len(value)} entries but there are {len(members)} estimators",
                )
            )
            return out
    n = _n_classes(state)
    if n is not None:
        out += _encoded_classes(state, path, n, _member_nodes(state))
        final_classes = _state(state.get("final_estimator_")).get("classes_")
        if isinstance(final_classes, np.ndarray) and not (
            final_classes.ndim == 1 and np.array_equal(final_classes, np.arange(n))
        ):
            out.append(
                Problem(
                    f"{path}.state.final_estimator_.state.classes_",
                    f"must be the encoded labels 0..{n - 1} of the ensemble's {n} classes",
                )
            )
    # The final estimator reads the members' stacked outputs (then X itself, with passthrough).
    if not (isinstance(outs, list) and members):
        return out
    if isinstance(methods, list):
        out += _stack_widths(methods, outs, n, path)
    width = sum(int(k) for k in outs)
    if params.get("passthrough") is True:
        first = as_int(_state(members[0]).get("n_features_in_"))
        if first is None:
            return out
        width += first
    final = as_int(_state(state.get("final_estimator_")).get("n_features_in_"))
    if final is not None and final != width:
        out.append(
            Problem(
                f"{path}.state.final_estimator_.state.n_features_in_",
                f"is {final} but the stacked input has {width} columns "
                f"(_n_feature_outs {outs}"
                + (" plus the passthrough features)" if params.get("passthrough") else ")"),
            )
        )
    return out


def _stack_widths(methods: list, outs: list, n_classes: int | None, path: str) -> list[Problem]:
    """How many columns each member adds: one prediction, or one column per class (a binary
    problem keeps one probability and has one decision value)."""
    out = []
    for i, (method, width) in enumerate(zip(methods, outs, strict=True)):
        if method == "predict":
            expected = 1
        elif n_classes is None:
            continue  # a regressor's members only predict
        elif method == "predict_proba":
            expected = 1 if n_classes == 2 else n_classes
        else:  # decision_function
            expected = 1 if n_classes <= 2 else n_classes
        if width != expected:
            out.append(
                Problem(
                    child(f"{path}.state._n_feature_outs", i),
                    f"is {width} but {method} of a member gives {expected} column(s)",
                )
            )
    return out


# ---------------------------------------------------------------------------
# Bagging and isolation forest: members on feature subsets


def _feature_subsets(state: dict, path: str) -> list[Problem]:
    """Member i sees X[:, estimators_features_[i]]: indices in range, widths that agree."""
    feats, members = state.get("estimators_features_"), _members(state)
    n_features = as_int(state.get("n_features_in_"))
    if not isinstance(feats, list):
        return []
    fpath = f"{path}.state.estimators_features_"
    if len(feats) != len(members):
        return [Problem(fpath, f"has {len(feats)} entries but there are {len(members)} estimators")]
    out = []
    max_features = as_int(state.get("_max_features"))
    for i, (f, m) in enumerate(zip(feats, members, strict=True)):
        if not isinstance(f, np.ndarray) or f.ndim != 1:
            continue
        if n_features is not None and f.size and (f.min() < 0 or f.max() >= n_features):
            out.append(
                Problem(
                    child(fpath, i),
                    f"feature indices must be in [0, {n_features}) (n_features_in_)",
                )
            )
            continue
        if max_features is not None and f.shape[0] != max_features:
            out.append(
                Problem(
                    child(fpath, i),
                    f"holds {f.shape[0]} features but _max_features is {max_features}",
                )
            )
        got = as_int(_state(m).get("n_features_in_"))
        if got is not None and got != f.shape[0]:
            out.append(
                Problem(
                    f"{_at(path, i)}.state.n_features_in_",
                    f"is {got} but the estimator is given {f.shape[0]} features "
                    f"(estimators_features_[{i}])",
                )
            )
    return out


def bagging(params: dict, state: dict, path: str) -> list[Problem]:
    if not _fitted(state):
        return []
    if "classes_" in state:
        wrong = _class_count(state, path)
        if wrong:
            return wrong
    out = _count(params, state, path)
    out += _feature_subsets(state, path)
    seeds = state.get("_seeds")
    if isinstance(seeds, np.ndarray) and seeds.shape[0] > len(_members(state)):
        # a warm-started fit keeps only the seeds of its last batch of members
        out.append(Problem(f"{path}.state._seeds", "has more seeds than there are estimators"))
    n = as_int(state.get("n_classes_"))
    if n is not None:
        out += _subset_classes(state, path, n)
    return out


def _subset_classes(state: dict, path: str, n: int) -> list[Problem]:
    """A bagged classifier indexes probability columns with each member's classes_: a member
    trained on a sample missing a class holds a subset of 0..n-1, increasing."""
    out = []
    for i, m in _member_nodes(state):
        classes = _state(m).get("classes_")
        if not isinstance(classes, np.ndarray):
            continue
        if not (
            classes.ndim == 1
            and classes.dtype.kind in "iuf"
            and classes.size
            and np.all(classes == np.round(classes))
            and classes.min() >= 0
            and classes.max() < n
            and np.all(np.diff(classes) > 0)
        ):
            out.append(
                Problem(
                    f"{_at(path, i)}.state.classes_",
                    f"must be increasing encoded labels within 0..{n - 1} "
                    f"(the ensemble's {n} classes)",
                )
            )
    return out


def isolation_forest(params: dict, state: dict, path: str) -> list[Problem]:
    if not _fitted(state):
        return []
    out = _count(params, state, path)
    out += _feature_subsets(state, path)
    members = _members(state)
    for name in ("_average_path_length_per_tree", "_decision_path_lengths"):
        v = state.get(name)
        if not isinstance(v, list | tuple):
            continue
        if len(v) != len(members):
            out.append(
                Problem(
                    f"{path}.state.{name}",
                    f"has {len(v)} entries but there are {len(members)} estimators",
                )
            )
            continue
        # scoring indexes these with the leaf each sample reaches: one value per tree node
        for i, (a, m) in enumerate(zip(v, members, strict=True)):
            nodes = _node_count(m)
            if isinstance(a, np.ndarray) and nodes is not None and a.shape != (nodes,):
                out.append(
                    Problem(
                        child(f"{path}.state.{name}", i),
                        f"has shape {list(a.shape)} but estimators_[{i}] has {nodes} nodes",
                    )
                )
    return out


def _node_count(member: Any) -> int | None:
    tree = _state(member).get("tree_")
    if type(tree) is Pending and isinstance(tree.payload, dict):
        return as_int(tree.payload.get("node_count"))
    return None


# ---------------------------------------------------------------------------
# Forests


def forest(params: dict, state: dict, path: str) -> list[Problem]:
    """Every tree saw the forest's features and outputs (and, for a classifier, classes)."""
    if not _fitted(state):
        return []
    out = _count(params, state, path)
    if "one_hot_encoder_" in state:  # RandomTreesEmbedding
        out += _embedding_width(state, path)
    out += _same_n_features(state, path, as_int(state.get("n_features_in_")))
    n_outputs = as_int(state.get("n_outputs_"))
    n_classes = state.get("n_classes_")
    for i, m in _member_nodes(state):
        s = _state(m)
        got = as_int(s.get("n_outputs_"))
        if n_outputs is not None and got is not None and got != n_outputs:
            out.append(
                Problem(
                    f"{_at(path, i)}.state.n_outputs_",
                    f"is {got} but the forest's n_outputs_ is {n_outputs}",
                )
            )
        if n_classes is not None and "n_classes_" in s:
            mine = s["n_classes_"]
            expected = [int(k) for k in np.atleast_1d(n_classes)]
            if expected and [int(k) for k in np.atleast_1d(mine)] != expected:
                out.append(
                    Problem(
                        f"{_at(path, i)}.state.n_classes_",
                        f"must be the forest's n_classes_ {expected if len(expected) > 1 else expected[0]}",
                    )
                )
    return out


# ---------------------------------------------------------------------------
# Boosting


def adaboost(params: dict, state: dict, path: str) -> list[Problem]:
    """One weight and one error per boosting round; rounds may stop early (fewer members)."""
    if not _fitted(state):
        return []
    if "classes_" in state:
        wrong = _class_count(state, path)
        if wrong:
            return wrong
    out: list[Problem] = []
    n, members = as_int(params.get("n_estimators")), _members(state)
    for name in ("estimator_weights_", "estimator_errors_"):
        v = state.get(name)
        if isinstance(v, np.ndarray) and n is not None and v.shape != (n,):
            out.append(
                Problem(
                    f"{path}.state.{name}",
                    f"has shape {list(v.shape)} but there are n_estimators = {n} rounds",
                )
            )
    if n is not None and len(members) > n:
        out.append(
            Problem(
                f"{path}.state.estimators_",
                f"holds {len(members)} estimators but n_estimators is {n}",
            )
        )
    if not members:
        # boosting stops early only after its first round; predict takes a median over members
        out.append(Problem(f"{path}.state.estimators_", "a fitted AdaBoost has at least one"))
    out += _same_n_features(state, path, as_int(state.get("n_features_in_")))
    classes = state.get("classes_")
    if isinstance(classes, np.ndarray):
        # AdaBoost fits its members on the original labels and compares their predictions
        for i, m in _member_nodes(state):
            mine = _state(m).get("classes_")
            if isinstance(mine, np.ndarray) and not (
                mine.shape == classes.shape and np.array_equal(mine, classes)
            ):
                out.append(
                    Problem(f"{_at(path, i)}.state.classes_", "must equal the ensemble's classes_")
                )
    return out


def gradient_boosting(params: dict, state: dict, path: str) -> list[Problem]:
    """estimators_ is an (n_estimators_, n_trees_per_iteration_) grid of regression trees."""
    if not _fitted(state):
        return []
    out: list[Problem] = []
    grid = state.get("estimators_")
    n_stages = as_int(state.get("n_estimators_"))
    k = as_int(state.get("n_trees_per_iteration_"))
    if isinstance(grid, np.ndarray):
        if n_stages is not None and k is not None and grid.shape != (n_stages, k):
            out.append(
                Problem(
                    f"{path}.state.estimators_",
                    f"has shape {list(grid.shape)} but n_estimators_ = {n_stages} stages of "
                    f"n_trees_per_iteration_ = {k} trees need [{n_stages}, {k}]",
                )
            )
            return out
        n_features = as_int(state.get("n_features_in_"))
        for (i, j), tree in np.ndenumerate(grid):
            got = as_int(_state(tree).get("n_features_in_"))
            if n_features is not None and got is not None and got != n_features:
                out.append(
                    Problem(
                        f"{path}.state.estimators_[{i}][{j}].state.n_features_in_",
                        f"is {got} but the ensemble's n_features_in_ is {n_features}",
                    )
                )
    n_est = as_int(params.get("n_estimators"))
    if n_stages is not None and n_est is not None and n_stages > n_est:
        out.append(
            Problem(
                f"{path}.state.n_estimators_",
                f"is {n_stages} but at most n_estimators = {n_est} stages are fitted",
            )
        )
    n_classes = as_int(state.get("n_classes_"))
    if n_classes is not None and k is not None and k != (1 if n_classes <= 2 else n_classes):
        out.append(
            Problem(
                f"{path}.state.n_trees_per_iteration_",
                f"is {k} but {n_classes} classes need {1 if n_classes <= 2 else n_classes}",
            )
        )
    init = state.get("init_")
    init_classes = _state(init).get("classes_")
    if (
        n_classes is not None
        and isinstance(init_classes, np.ndarray)
        and not (
            init_classes.shape == (n_classes,)
            and np.array_equal(init_classes, np.arange(n_classes))
        )
    ):
        out.append(
            Problem(
                f"{path}.state.init_.state.classes_",
                f"must be the encoded labels 0..{n_classes - 1} of the ensemble's "
                f"{n_classes} classes",
            )
        )
    return out


CHECKS: dict[str, Check] = {
    "ensemble_voting": voting,
    "ensemble_stacking": stacking,
    "ensemble_bagging": bagging,
    "ensemble_isolation_forest": isolation_forest,
    "ensemble_forest": forest,
    "ensemble_adaboost": adaboost,
    "ensemble_gradient_boosting": gradient_boosting,
}
