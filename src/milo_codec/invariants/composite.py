"""Invariants of the sklearn.pipeline and sklearn.compose family, listed in schemas by x-milo-invariants.

Composites hold other model nodes (each already checked against its own schema and
invariants); these checks tie the levels together: names that address the parts are unique,
the fitted parts are the ones the parameters describe, column selections resolve inside the
columns the model was fitted on, output slices tile the output, and every part was fitted on
as many features as the level feeding it produces.

Pipeline and FeatureUnion keep no fitted attribute of their own (their state is null; the
fitted parts live in params), so their checks read params only.

A feature count is compared only where it is known for certain: from a part's own state
(``n_features_in_``, ``n_output_features_``...), from a ColumnTransformer's
``output_indices_``, or for the transformers listed in ``_ONE_TO_ONE`` whose output has one
column per input column. Anything else (e.g. OneHotEncoder's width) is left unlinked rather
than guessed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int

_ONE_TO_ONE = {
    f"sklearn.preprocessing.{name}"
    for name in (
        "StandardScaler",
        "MinMaxScaler",
        "MaxAbsScaler",
        "RobustScaler",
        "Normalizer",
        "Binarizer",
        "PowerTransformer",
        "QuantileTransformer",
        "OrdinalEncoder",
        # every allow-listed func is an element-wise numpy ufunc; None is the identity
        "FunctionTransformer",
    )
}
_OUTPUT_WIDTH_ATTRS = ("n_output_features_", "n_features_out_", "_n_features_out")


# ---------------------------------------------------------------------------
# Reading nested nodes


def _fields(node: NodeModel) -> tuple[dict[str, Any], dict[str, Any] | None]:
    params = node.params.fields_by_json_name()
    state = node.state.fields_by_json_name() if node.state is not None else None
    return params, state


def _class(node: NodeModel) -> str:
    return node.codec().class_path


def _pairs(items: Any) -> list[tuple]:
    """(name, part, ...) tuples of a steps/transformers list; anything else is left out."""
    if not isinstance(items, list):
        return []
    return [t for t in items if isinstance(t, tuple) and t and isinstance(t[0], str)]


def n_features_in(node: Any) -> int | None:
    """How many input features a fitted node was fitted on, when it says so."""
    if not isinstance(node, NodeModel):
        return None
    params, state = _fields(node)
    if state is not None and as_int(state.get("n_features_in_")) is not None:
        return as_int(state["n_features_in_"])
    cls = _class(node)
    if cls == "sklearn.pipeline.Pipeline":
        for _, step in _pairs(params.get("steps")):
            if isinstance(step, NodeModel):
                return n_features_in(step)
    if cls == "sklearn.pipeline.FeatureUnion":
        for _, part in _pairs(params.get("transformer_list")):
            if isinstance(part, NodeModel):
                return n_features_in(part)
    if cls == "sklearn.compose.TransformedTargetRegressor" and state is not None:
        return n_features_in(state.get("regressor_"))
    return None


def output_width(node: Any) -> int | None:
    """How many columns a fitted transformer node outputs, when that is certain."""
    if not isinstance(node, NodeModel):
        return None
    params, state = _fields(node)
    cls = _class(node)
    if cls == "sklearn.pipeline.Pipeline":
        width = None
        for _, step in _pairs(params.get("steps")):
            if isinstance(step, NodeModel):
                width = output_width(step)
        return width
    if cls == "sklearn.pipeline.FeatureUnion":
        return _union_width(params)
    if state is None:
        return None
    if cls == "sklearn.compose.ColumnTransformer":
        slices = state.get("output_indices_")
        if isinstance(slices, dict):
            stops = [s.stop for s in slices.values() if type(s) is slice and type(s.stop) is int]
            return max(stops, default=0) if len(stops) == len(slices) else None
        return None
    for attr in _OUTPUT_WIDTH_ATTRS:
        if as_int(state.get(attr)) is not None:
            return as_int(state[attr])
    if cls == "sklearn.preprocessing.KBinsDiscretizer":
        if params.get("encode") == "ordinal":
            return as_int(state.get("n_features_in_"))
        bins = state.get("n_bins_")
        if isinstance(bins, np.ndarray) and bins.dtype.kind in "iu" and bins.ndim == 1:
            return int(bins.sum())
        return None
    if cls in _ONE_TO_ONE:
        return as_int(state.get("n_features_in_"))
    return None


def _union_width(params: dict[str, Any]) -> int | None:
    parts = _pairs(params.get("transformer_list"))
    n_in = next((n_features_in(p) for _, p in parts if isinstance(p, NodeModel)), None)
    total = 0
    for _, part in parts:
        width = 0 if part == "drop" else n_in if part == "passthrough" else output_width(part)
        if width is None:
            return None
        total += width
    return total


# ---------------------------------------------------------------------------
# Names


_LISTS = {"steps": "step", "transformer_list": "transformer", "transformers": "transformer"}


def names_unique(params: dict, state: dict, path: str) -> list[Problem]:
    """Parts are addressed by name (set_params, named_steps, output_indices_): names must be
    unique, free of '__' (the nested-parameter separator) and not shadow a constructor parameter."""
    problems = []
    for field, what in _LISTS.items():
        if field not in params:
            continue
        seen: set[str] = set()
        for i, item in enumerate(params[field]):
            if not (isinstance(item, tuple) and item and isinstance(item[0], str)):
                continue
            name, where = item[0], f"{path}.params.{field}[{i}][0]"
            if name in seen:
                problems.append(Problem(where, f"{what} name {name!r} is used twice"))
            elif "__" in name:
                problems.append(Problem(where, f"{what} name {name!r} must not contain '__'"))
            elif name in params:
                problems.append(
                    Problem(where, f"{what} name {name!r} is also a constructor parameter")
                )
            seen.add(name)
    return problems


def _weights_name_parts(params: dict, field: str, path: str) -> list[Problem]:
    weights = params.get("transformer_weights")
    if not isinstance(weights, dict):
        return []
    names = {t[0] for t in _pairs(params.get(field))}
    return [
        Problem(
            f"{path}.params.transformer_weights.{key}",
            f"weights a transformer {key!r} that is not in {field}",
        )
        for key in weights
        if key not in names
    ]


# ---------------------------------------------------------------------------
# Pipeline and FeatureUnion (params only)


def pipeline_features(params: dict, state: dict, path: str) -> list[Problem]:
    """Each step was fitted on as many features as the step before it outputs."""
    problems = []
    width, source = None, None
    for i, item in enumerate(params.get("steps", [])):
        if not (isinstance(item, tuple) and len(item) == 2):
            continue
        name, step = item
        if not isinstance(step, NodeModel):
            continue  # passthrough / None / alias: the width flows through unchanged
        n_in = n_features_in(step)
        if width is not None and n_in is not None and n_in != width:
            problems.append(
                Problem(
                    f"{path}.params.steps[{i}][1]",
                    f"step {name!r} was fitted on {n_in} features but step {source!r} "
                    f"outputs {width}",
                )
            )
        width, source = output_width(step), name
    return problems


def union_features(params: dict, state: dict, path: str) -> list[Problem]:
    """Every part of a union sees the same input, so was fitted on as many features."""
    problems = _weights_name_parts(params, "transformer_list", path)
    first: tuple[str, int] | None = None
    for i, item in enumerate(params.get("transformer_list", [])):
        if not (isinstance(item, tuple) and len(item) == 2):
            continue
        n_in = n_features_in(item[1])
        if n_in is None:
            continue
        if first is None:
            first = (item[0], n_in)
        elif n_in != first[1]:
            problems.append(
                Problem(
                    f"{path}.params.transformer_list[{i}][1]",
                    f"transformer {item[0]!r} was fitted on {n_in} features but "
                    f"{first[0]!r} on {first[1]}",
                )
            )
    return problems


# ---------------------------------------------------------------------------
# ColumnTransformer


class _Unresolvable(Exception):
    pass


def resolve_columns(spec: Any, n: int, names: np.ndarray | None, most: int) -> list[int]:
    """The input positions a column specification selects (sklearn's _get_column_indices);
    a slice selecting more than ``most`` is refused before its positions are listed, since
    ``n`` (n_features_in_) is a number the file chooses."""
    if type(spec) is slice:
        if not all(p is None or type(p) is int for p in (spec.start, spec.stop, spec.step)):
            raise _Unresolvable("a slice of columns must hold integers")
        if spec.step == 0:
            raise _Unresolvable("a slice step must not be zero")
        selected = range(n)[spec]
        if len(selected) > most:
            raise _Unresolvable(f"selects {len(selected):,} columns, more than were fitted")
        return list(selected)
    if isinstance(spec, np.ndarray):
        if spec.ndim != 1:
            raise _Unresolvable("an array of columns must be one-dimensional")
        items = spec.tolist()
    elif isinstance(spec, list):
        items = [x.item() if isinstance(x, np.generic) else x for x in spec]
    else:
        items = [spec.item() if isinstance(spec, np.generic) else spec]
    kinds = {type(x) for x in items}
    if not items:
        return []
    if kinds == {bool}:
        if len(items) != n:
            raise _Unresolvable(f"a boolean mask of {len(items)} columns for {n} input features")
        return [i for i, keep in enumerate(items) if keep]
    if kinds == {int}:
        bad = [i for i in items if not -n <= i < n]
        if bad:
            raise _Unresolvable(f"column index {bad[0]} is out of range for {n} input features")
        return [i % n for i in items]
    if kinds == {str}:
        if names is None:
            raise _Unresolvable("columns named by string need feature_names_in_")
        where = {name: i for i, name in enumerate(names.tolist()) if type(name) is str}
        missing = [c for c in items if c not in where]
        if missing:
            raise _Unresolvable(f"column {missing[0]!r} is not in feature_names_in_")
        return [where[c] for c in items]
    raise _Unresolvable("columns must be all names, all positions or a boolean mask")


def column_transformer(params: dict, state: dict, path: str) -> list[Problem]:
    problems = _weights_name_parts(params, "transformers", path)
    n = as_int(state.get("n_features_in_"))
    if n is None:
        return problems
    names = state.get("feature_names_in_")
    names = names if isinstance(names, np.ndarray) else None
    declared = [t[0] for t in _pairs(params.get("transformers"))]
    indices = state.get("_transformer_to_input_indices")
    indices = indices if isinstance(indices, dict) else {}
    st = f"{path}.state"

    # 1. the indices each transformer reads lie inside the input
    if list(indices) != [*declared, "remainder"]:
        problems.append(
            Problem(
                f"{st}._transformer_to_input_indices",
                f"keys must be the transformer names then 'remainder': {[*declared, 'remainder']}",
            )
        )
        return problems
    for key, idx in indices.items():
        bad = [i for i in idx if not 0 <= int(i) < n]
        if bad:
            problems.append(
                Problem(
                    f"{st}._transformer_to_input_indices.{key}",
                    f"column index {int(bad[0])} is out of range for {n} input features",
                )
            )
    if problems:
        return problems
    expected = {k: [int(i) for i in v] for k, v in indices.items()}

    # 2. every column specification resolves to exactly those indices
    def check_spec(spec: Any, key: str, where: str) -> None:
        try:
            got = resolve_columns(spec, n, names, len(expected[key]))
        except _Unresolvable as e:
            problems.append(Problem(where, str(e)))
            return
        if got != expected[key]:
            problems.append(
                Problem(where, f"selects columns {got} but {key!r} was fitted on {expected[key]}")
            )

    columns = state.get("_columns")
    if not isinstance(columns, list) or len(columns) != len(declared):
        problems.append(Problem(f"{st}._columns", f"must list {len(declared)} column selections"))
    else:
        for i, (key, spec) in enumerate(zip(declared, columns, strict=True)):
            check_spec(spec, key, f"{st}._columns[{i}]")
    remainder = state.get("_remainder")
    remainder_columns = remainder[2] if isinstance(remainder, tuple) and len(remainder) == 3 else []
    if not isinstance(remainder_columns, list):
        # sklearn always keeps the remainder's columns as a list (names, positions or a mask)
        problems.append(Problem(f"{st}._remainder[2]", "must be a list of columns"))
        return problems
    check_spec(remainder_columns, "remainder", f"{st}._remainder[2]")

    # 3. the fitted transformers are the declared ones (plus the remainder when it has columns)
    fitted = _pairs(state.get("transformers_"))
    want = [*declared, "remainder"] if remainder_columns else declared
    if [t[0] for t in fitted] != want:
        problems.append(
            Problem(f"{st}.transformers_", f"names must be {want}, as the transformers param says")
        )
        return problems
    for i, (key, part, spec) in enumerate(t for t in fitted if len(t) == 3):
        check_spec(spec, key, f"{st}.transformers_[{i}][2]")
        n_in = n_features_in(part)
        if n_in is not None and n_in != len(expected[key]):
            problems.append(
                Problem(
                    f"{st}.transformers_[{i}][1]",
                    f"transformer {key!r} was fitted on {n_in} features but is given "
                    f"{len(expected[key])} columns",
                )
            )
    problems.extend(_output_indices(state, fitted, [*declared, "remainder"], st))
    return problems


def _output_indices(state: dict, fitted: list[tuple], keys: list[str], st: str) -> list[Problem]:
    """output_indices_ slices tile the output in order, each as wide as its transformer's output."""
    slices = state.get("output_indices_")
    if not isinstance(slices, dict):
        return []
    where = f"{st}.output_indices_"
    if sorted(slices) != sorted(keys):
        return [Problem(where, f"keys must be the transformer names and 'remainder': {keys}")]
    problems = []
    parts = {t[0]: t[1] for t in fitted}
    for key, s in slices.items():
        if not (type(s.start) is int and type(s.stop) is int and s.step is None):
            problems.append(Problem(f"{where}.{key}", "must be slice(start, stop) of integers"))
        elif not 0 <= s.start <= s.stop:
            problems.append(Problem(f"{where}.{key}", "needs 0 <= start <= stop"))
    if problems:
        return problems
    end = 0
    for key, s in sorted(((k, s) for k, s in slices.items() if s.stop > s.start), key=_start):
        if s.start != end:
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"starts at {s.start} but the previous output ends at {end} "
                    "(slices must not overlap or leave gaps)",
                )
            )
        end = s.stop
        part = parts.get(key)
        if part == "drop":
            problems.append(Problem(f"{where}.{key}", "a dropped transformer outputs no columns"))
        width = output_width(part)
        if width is not None and width != s.stop - s.start:
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"is {s.stop - s.start} columns wide but transformer {key!r} outputs {width}",
                )
            )
    names_out = state.get("_transformers_feature_names_out")
    if isinstance(names_out, np.ndarray) and names_out.shape != (end,):
        problems.append(
            Problem(
                f"{st}._transformers_feature_names_out",
                f"has {names_out.shape[0] if names_out.ndim else 0} names for {end} output columns",
            )
        )
    return problems


def _start(item: tuple[str, slice]) -> int:
    return int(item[1].start)


# ---------------------------------------------------------------------------
# TransformedTargetRegressor


def transformed_target(params: dict, state: dict, path: str) -> list[Problem]:
    """The fitted regressor and transformer are what the parameters ask for, and fitted."""
    problems: list[Problem] = []
    st = f"{path}.state"
    regressor, transformer = state.get("regressor_"), state.get("transformer_")
    want_regressor = (
        _class(params["regressor"])
        if isinstance(params.get("regressor"), NodeModel)
        else "sklearn.linear_model.LinearRegression"
    )
    want_transformer = (
        _class(params["transformer"])
        if isinstance(params.get("transformer"), NodeModel)
        else "sklearn.preprocessing.FunctionTransformer"
    )
    for attr, node, want in (
        ("regressor_", regressor, want_regressor),
        ("transformer_", transformer, want_transformer),
    ):
        if not isinstance(node, NodeModel):
            continue
        if _class(node) != want:
            problems.append(Problem(f"{st}.{attr}", f"must be a fitted {want}, not {_class(node)}"))
        elif node.state is None:
            problems.append(Problem(f"{st}.{attr}", "must be fitted"))
    if problems:
        return problems
    n_targets = n_features_in(transformer)
    if state.get("_training_dim") == 1 and n_targets not in (None, 1):
        problems.append(
            Problem(f"{st}.transformer_", f"was fitted on {n_targets} targets but y was 1-d")
        )
    names = state.get("feature_names_in_")
    n_in = n_features_in(regressor)
    if isinstance(names, np.ndarray) and n_in is not None and names.shape != (n_in,):
        problems.append(
            Problem(
                f"{st}.feature_names_in_",
                f"has {names.shape[0] if names.ndim else 0} names but the regressor was "
                f"fitted on {n_in} features",
            )
        )
    return problems


CHECKS: dict[str, Check] = {
    "composite_names_unique": names_unique,
    "composite_pipeline_features": pipeline_features,
    "composite_union_features": union_features,
    "composite_column_transformer": column_transformer,
    "composite_transformed_target": transformed_target,
}

PARAMS_CHECKS = frozenset(
    {"composite_names_unique", "composite_pipeline_features", "composite_union_features"}
)
"""Checks that read params only. Pipeline and FeatureUnion keep their fitted parts in params
and (apart from a set_output configuration) no state, so these must also run on nodes whose
state is null: invariants/run.py runs them there."""
