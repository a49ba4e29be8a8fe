"""Invariants of HistGradientBoostingClassifier/Regressor and their _BinMapper.

The compiled predictors (sklearn/ensemble/_hist_gradient_boosting/_predictor.pyx) walk each
tree with ``while True: node = nodes[node_idx]`` and no bounds checks, read
``X[row, node.feature_idx]``, and index bitset rows by ``node.bitset_idx`` and by
``f_idx_map[node.feature_idx]`` (the bin mapper's categorical features). So before any
predictor is built, every tree must be a tree (children in range, each node reached exactly
once from node 0, no cycle), and every index a split uses must be in range of the model's
features, bins and bitsets. Checks are vectorised per tree; only trees that are not in
scikit-learn's own pre-order layout take a level-by-level walk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.objects.base import Pending
from milo_codec.paths import child

BIN_MAPPER = "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper"
LABEL_ENCODER = "sklearn.preprocessing.LabelEncoder"
COLUMN_TRANSFORMER = "sklearn.compose.ColumnTransformer"
ORDINAL_ENCODER = "sklearn.preprocessing.OrdinalEncoder"
FUNCTION_TRANSFORMER = "sklearn.preprocessing.FunctionTransformer"

# the loss object each regressor ``loss`` option builds
_REGRESSION_LOSSES = {
    "squared_error": "HalfSquaredError",
    "absolute_error": "AbsoluteError",
    "poisson": "HalfPoissonLoss",
    "gamma": "HalfGammaLoss",
    "quantile": "PinballLoss",
}


def _class_path(node: Any) -> str | None:
    return node.codec().class_path if isinstance(node, NodeModel) else None


def _fitted(node: Any, class_path: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A nested node's params and state, if it is a fitted model of exactly that class."""
    if not isinstance(node, NodeModel) or node.state is None or _class_path(node) != class_path:
        return None
    return node.params.fields_by_json_name(), node.state.fields_by_json_name()


def _is_array(v: Any, kind: str, ndim: int = 1) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind in kind and v.ndim == ndim


# ---------------------------------------------------------------------------
# _BinMapper


def hgb_bin_mapper(params: dict[str, Any], state: dict[str, Any], path: str) -> list[Problem]:
    """Bins and categories agree: predictions index bins, bitsets and thresholds by them."""
    where = f"{path}.state"
    is_cat, n_bins_nm = state["is_categorical_"], state["n_bins_non_missing_"]
    thresholds = state["bin_thresholds_"]
    n_bins = params["n_bins"]
    n_features = is_cat.shape[0]
    problems = []
    if state["missing_values_bin_idx_"] != n_bins - 1:
        problems.append(
            Problem(
                f"{where}.missing_values_bin_idx_",
                f"must be n_bins - 1 = {n_bins - 1} (the last bin holds missing values)",
            )
        )
    if not np.isin(is_cat, (0, 1)).all():
        problems.append(Problem(f"{where}.is_categorical_", "values must be 0 or 1"))
    if len(thresholds) != n_features:
        problems.append(
            Problem(
                f"{where}.bin_thresholds_",
                f"has {len(thresholds)} entries but there are {n_features} features",
            )
        )
    if n_bins_nm.shape[0] != n_features or problems:
        return problems  # per-feature checks below need the arrays to line up
    bad = np.flatnonzero((n_bins_nm < 1) | (n_bins_nm > n_bins - 1))
    if bad.size:
        f = int(bad[0])
        problems.append(
            Problem(
                f"{where}.n_bins_non_missing_[{f}]",
                f"must be between 1 and n_bins - 1 = {n_bins - 1}",
            )
        )
        return problems
    known = params.get("known_categories")
    if known is not None and (
        not isinstance(known, list)
        or len(known) != n_features
        or any((k is None) == bool(c) for k, c in zip(known, is_cat.tolist(), strict=True))
    ):
        problems.append(
            Problem(
                f"{path}.params.known_categories",
                "must hold one array per categorical feature and null for every other feature",
            )
        )
    for f, value in enumerate(thresholds):
        t_path = f"{where}.bin_thresholds_[{f}]"
        # an alias (a categorical feature's thresholds are its known_categories array) reaches
        # this check already resolved by run.py: its content is checked like any array's
        if not isinstance(value, np.ndarray):
            problems.append(Problem(t_path, "expected an array"))
            continue
        t = value
        n = int(n_bins_nm[f])
        if is_cat[f]:
            # raw category values: set in 256-bit bitsets, so integers in [0, 255], sorted
            if t.shape[0] != n:
                problems.append(
                    Problem(t_path, f"a categorical feature with {n} bins needs {n} categories")
                )
            elif not (
                np.isfinite(t).all()
                and (t == np.round(t)).all()
                and (t >= 0).all()
                and (t <= 255).all()
                and (np.diff(t) > 0).all()
            ):
                problems.append(
                    Problem(t_path, "categories must be increasing integers between 0 and 255")
                )
        elif t.shape[0] != n - 1:
            problems.append(
                Problem(t_path, f"a numeric feature with {n} bins needs {n - 1} thresholds")
            )
        elif np.isnan(t).any():
            problems.append(Problem(t_path, "thresholds must not be NaN"))
    return problems


# ---------------------------------------------------------------------------
# The model: its parts agree with each other


def _bin_mapper_facts(state: dict[str, Any]) -> dict[str, Any] | None:
    """The bin mapper's per-feature arrays, if it is a fitted _BinMapper with aligned arrays."""
    fields = _fitted(state.get("_bin_mapper"), BIN_MAPPER)
    if fields is None:
        return None
    bm_params, bm_state = fields
    is_cat, n_bins_nm = bm_state["is_categorical_"], bm_state["n_bins_non_missing_"]
    if is_cat.shape != n_bins_nm.shape or len(bm_state["bin_thresholds_"]) != is_cat.shape[0]:
        return None
    return {"params": bm_params, "is_categorical": is_cat, "n_bins_non_missing": n_bins_nm}


def _loss_problems(params: dict[str, Any], state: dict[str, Any], path: str) -> list[Problem]:
    loss = state["_loss"]
    name = type(loss).__name__
    where = f"{path}.state._loss"
    classes = state.get("classes_")
    if isinstance(classes, np.ndarray):  # a classifier
        n_classes = classes.shape[0]
        if n_classes <= 2 and name != "HalfBinomialLoss":
            return [Problem(where, f"a classifier of {n_classes} classes uses HalfBinomialLoss")]
        if n_classes > 2 and (name != "HalfMultinomialLoss" or loss.n_classes != n_classes):
            return [
                Problem(
                    where,
                    f"a classifier of {n_classes} classes uses HalfMultinomialLoss "
                    f"with n_classes={n_classes}",
                )
            ]
        return []
    expected = _REGRESSION_LOSSES.get(params["loss"])
    if name != expected:
        return [Problem(where, f"loss={params['loss']!r} uses {expected}, not {name}")]
    if name == "PinballLoss" and loss.closs.quantile != params["quantile"]:
        return [Problem(where, "its quantile must be params.quantile")]
    return []


def _preprocessor_problem(node: Any, n_features: int) -> str | None:
    """The preprocessor must output exactly the columns the trees index, no fewer.

    ``_raw_predict`` passes the preprocessor's output to the compiled walk without checking
    its width, so a narrower output would be read out of bounds. The width is certain only for
    the parts HGB itself builds (an OrdinalEncoder and a FunctionTransformer, each one column
    out per column in, tied to output_indices_ by the ColumnTransformer's own invariants).
    """
    from milo_codec.invariants import composite

    fields = _fitted(node, COLUMN_TRANSFORMER)
    if fields is None:
        return f"must be null or a fitted {COLUMN_TRANSFORMER}"
    ct_params, ct_state = fields
    if ct_params.get("remainder") != "drop":
        return "its remainder must be 'drop'"
    for item in ct_state.get("transformers_") or []:
        part = item[1] if isinstance(item, tuple) and len(item) == 3 else None
        if part != "drop" and _class_path(part) not in (ORDINAL_ENCODER, FUNCTION_TRANSFORMER):
            return (
                "its fitted transformers must be an OrdinalEncoder, a FunctionTransformer or "
                "'drop', written out (as HistGradientBoosting builds them)"
            )
    width, n_in = composite.output_width(node), composite.n_features_in(node)
    if width != n_features or n_in != n_features:
        return (
            f"must take and output n_features_in_ = {n_features} columns "
            f"(it takes {n_in} and outputs {width})"
        )
    return None


def hgb_model(params: dict[str, Any], state: dict[str, Any], path: str) -> list[Problem]:
    """Bin mapper, label encoder, preprocessor, loss and sizes agree with each other."""
    where = f"{path}.state"
    problems = []
    bm = _fitted(state["_bin_mapper"], BIN_MAPPER)
    if bm is None:
        problems.append(Problem(f"{where}._bin_mapper", f"must be a fitted {BIN_MAPPER}"))
    elif bm[0]["n_bins"] != params["max_bins"] + 1:
        problems.append(Problem(f"{where}._bin_mapper.params.n_bins", "must be max_bins + 1"))
    preprocessor = state["_preprocessor"]
    if preprocessor is not None:
        problem = _preprocessor_problem(preprocessor, state["n_features_in_"])
        if problem:
            problems.append(Problem(f"{where}._preprocessor", problem))
    categorical = [
        state[k] is None for k in ("is_categorical_", "_preprocessor", "_is_categorical_remapped")
    ]
    if len(set(categorical)) != 1:
        problems.append(
            Problem(
                f"{where}._preprocessor",
                "is_categorical_, _preprocessor and _is_categorical_remapped must all be null "
                "(no categorical features) or all be set",
            )
        )
    n = state["n_features_in_"]
    if state["_n_features"] != n:
        problems.append(Problem(f"{where}._n_features", f"must equal n_features_in_ ({n})"))
    facts = _bin_mapper_facts(state)
    if facts is not None:
        is_cat = facts["is_categorical"]
        if is_cat.shape[0] != n:
            problems.append(
                Problem(
                    f"{where}._bin_mapper.state.is_categorical_",
                    f"the bin mapper has {is_cat.shape[0]} features but n_features_in_ is {n}",
                )
            )
        else:
            remapped = state["_is_categorical_remapped"]
            expected = (
                np.zeros(n, dtype=bool) if remapped is None else np.asarray(remapped, dtype=bool)
            )
            if expected.shape != is_cat.shape or not np.array_equal(expected, is_cat != 0):
                problems.append(
                    Problem(
                        f"{where}._bin_mapper.state.is_categorical_",
                        "must mark exactly the features of _is_categorical_remapped "
                        "(none without categorical features)",
                    )
                )
    n_trees = state["n_trees_per_iteration_"]
    classes = state.get("classes_")
    if isinstance(classes, np.ndarray):
        encoder = _fitted(state.get("_label_encoder"), LABEL_ENCODER)
        enc_classes = encoder[1].get("classes_") if encoder is not None else None
        if not (
            isinstance(enc_classes, np.ndarray)
            and enc_classes.dtype == classes.dtype
            and np.array_equal(enc_classes, classes)
        ):
            problems.append(
                Problem(
                    f"{where}._label_encoder",
                    f"must be a fitted {LABEL_ENCODER} whose classes_ are classes_",
                )
            )
        expected_trees = 1 if classes.shape[0] <= 2 else classes.shape[0]
        if n_trees != expected_trees:
            problems.append(
                Problem(
                    f"{where}.n_trees_per_iteration_",
                    f"must be {expected_trees} for {classes.shape[0]} classes",
                )
            )
    problems.extend(_loss_problems(params, state, path))
    return problems


# ---------------------------------------------------------------------------
# The trees


def _check_binary(nodes: np.ndarray, name: str) -> str | None:
    bad = np.flatnonzero(nodes[name] > 1)
    if bad.size:
        return f"node {int(bad[0])}: {name} must be 0 or 1"
    return None


def _reach_all_from_root(left: np.ndarray, right: np.ndarray, is_split: np.ndarray) -> int | None:
    """The first node not reached from node 0, or None if all are.

    Only used when each node already has exactly one parent but the tree is not in pre-order,
    where a cycle apart from the root cannot be ruled out otherwise. Pointer jumping, as for
    scikit-learn's trees (invariants/tree.py): each round takes every node to the ancestor
    twice as far up, the root being its own parent, so log2(n) vectorised rounds settle every
    node on the root or on its cycle, however deep the tree (a walk level by level would take
    one round per level: a million for a hostile chain).
    """
    n = is_split.shape[0]
    split = np.flatnonzero(is_split)
    ancestor = np.zeros(n, dtype=np.intp)
    ancestor[left[split]] = split
    ancestor[right[split]] = split
    for _ in range(max(1, (n - 1).bit_length())):
        ancestor = ancestor[ancestor]
    missing = np.flatnonzero(ancestor != 0)
    return int(missing[0]) if missing.size else None


def tree_problem(
    nodes: np.ndarray,
    n_bitsets: int,
    n_features: int,
    n_bins_non_missing: np.ndarray | None,
    is_categorical: np.ndarray | None,
) -> str | None:
    """The first reason these nodes cannot be walked safely, or None."""
    for name in ("is_leaf", "missing_go_to_left", "is_categorical"):
        problem = _check_binary(nodes, name)
        if problem:
            return problem
    n = nodes.shape[0]
    is_split = nodes["is_leaf"] == 0
    split_idx = np.flatnonzero(is_split)
    left_all = nodes["left"].astype(np.int64)
    right_all = nodes["right"].astype(np.int64)
    for name, children in (("left", left_all[is_split]), ("right", right_all[is_split])):
        bad = np.flatnonzero(children >= n)
        if bad.size:
            i = int(bad[0])
            return (
                f"node {int(split_idx[i])}: {name} child {int(children[i])} is out of range "
                f"for {n} nodes"
            )
    children = np.concatenate((left_all[is_split], right_all[is_split]))
    parents = np.concatenate((split_idx, split_idx))
    to_root = np.flatnonzero(children == 0)
    if to_root.size:
        return (
            f"node {int(parents[to_root[0]])} has the root (node 0) as a child: "
            "the nodes would form a cycle"
        )
    counts = np.bincount(children, minlength=n)
    shared = np.flatnonzero(counts[1:] > 1)
    if shared.size:
        return (
            f"node {int(shared[0]) + 1} is the child of more than one split node "
            "(shared or on a cycle)"
        )
    unreached = np.flatnonzero(counts[1:] == 0)
    if unreached.size:
        return f"node {int(unreached[0]) + 1} is not reached from the root"
    # Every node but the root now has exactly one parent. In scikit-learn's pre-order layout
    # children follow their parent, which rules out cycles; otherwise walk from the root.
    in_pre_order = bool(
        (left_all[is_split] > split_idx).all() and (right_all[is_split] > split_idx).all()
    )
    if not in_pre_order:
        missing = _reach_all_from_root(left_all, right_all, is_split)
        if missing is not None:
            return f"node {missing} is on a cycle, not reached from the root"
    feature = nodes["feature_idx"][is_split]
    bad = np.flatnonzero((feature < 0) | (feature >= n_features))
    if bad.size:
        i = int(bad[0])
        return (
            f"node {int(split_idx[i])}: feature_idx {int(feature[i])} is out of range "
            f"for {n_features} features"
        )
    categorical = nodes["is_categorical"][is_split] == 1
    numeric = ~categorical
    num_threshold = nodes["num_threshold"][is_split]
    bad = np.flatnonzero(numeric & np.isnan(num_threshold))
    if bad.size:
        return f"node {int(split_idx[bad[0]])}: num_threshold of a numeric split must not be NaN"
    bitset_idx = nodes["bitset_idx"][is_split]
    bad = np.flatnonzero(categorical & (bitset_idx >= n_bitsets))
    if bad.size:
        i = int(bad[0])
        return (
            f"node {int(split_idx[i])}: bitset_idx {int(bitset_idx[i])} is out of range "
            f"for {n_bitsets} categorical bitset rows"
        )
    if n_bins_non_missing is not None and is_categorical is not None:
        bins = n_bins_non_missing[feature]
        bin_threshold = nodes["bin_threshold"][is_split]
        bad = np.flatnonzero(numeric & (bin_threshold >= bins))
        if bad.size:
            i = int(bad[0])
            return (
                f"node {int(split_idx[i])}: bin_threshold {int(bin_threshold[i])} is beyond the "
                f"{int(bins[i])} non-missing bins of feature {int(feature[i])}"
            )
        bad = np.flatnonzero(categorical & (is_categorical[feature] == 0))
        if bad.size:
            i = int(bad[0])
            return (
                f"node {int(split_idx[i])}: a categorical split on feature {int(feature[i])}, "
                "which the bin mapper does not mark categorical"
            )
    return None


def hgb_predictors(params: dict[str, Any], state: dict[str, Any], path: str) -> list[Problem]:
    """n_iter_ lists of n_trees_per_iteration_ trees, each safe for the compiled predictors."""
    where = child(f"{path}.state", "_predictors")
    n_trees = state["n_trees_per_iteration_"]
    facts = _bin_mapper_facts(state)
    n_features = state["n_features_in_"]
    n_bins_nm = is_cat = None
    if facts is not None and facts["is_categorical"].shape[0] == n_features:
        n_bins_nm, is_cat = facts["n_bins_non_missing"], facts["is_categorical"]
    problems = []
    for i, iteration in enumerate(state["_predictors"]):
        if len(iteration) != n_trees:
            problems.append(
                Problem(
                    child(where, i),
                    f"holds {len(iteration)} trees but n_trees_per_iteration_ is {n_trees}",
                )
            )
            continue
        for j, predictor in enumerate(iteration):
            if not isinstance(predictor, Pending):
                continue  # the schema admits only hgb_predictor objects here
            p = predictor.payload
            problem = tree_problem(
                p["nodes"], p["binned_left_cat_bitsets"].shape[0], n_features, n_bins_nm, is_cat
            )
            if problem:
                problems.append(
                    Problem(f"{child(child(where, i), j)}.hgb_predictor.nodes", problem)
                )
    return problems


CHECKS: dict[str, Check] = {
    "hgb_bin_mapper": hgb_bin_mapper,
    "hgb_model": hgb_model,
    "hgb_predictors": hgb_predictors,
}
