"""Crafted composite documents (Pipeline, FeatureUnion, ColumnTransformer, TransformedTargetRegressor)
are refused with the JSON path of the problem, before anything is built, in a process that survives.

Each crafted file starts as the dump of a real fitted model; one field is then changed.
Every load runs in a subprocess with a timeout: no crash, no hang, the exact error printed.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crafted import Outcome, editable_doc, load_in_children
from recipes_composite import RECIPES
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor, make_column_selector
from sklearn.linear_model import Ridge
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

import milo_codec

_CLASSES: dict[str, type] = {
    "Pipeline": Pipeline,
    "FeatureUnion": FeatureUnion,
    "ColumnTransformer": ColumnTransformer,
    "TransformedTargetRegressor": TransformedTargetRegressor,
}
_SCHEMAS = "https://milo-codec.invalid/schemas/sklearn/"


def _fitted(cls_name: str, recipe_id: str) -> Any:
    recipe = next(r for r in RECIPES[cls_name](_CLASSES[cls_name]) if r.id == recipe_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recipe.fit().estimator


def _doc(cls_name: str, recipe_id: str) -> dict:
    return editable_doc(_fitted(cls_name, recipe_id))


def _node(estimator: Any) -> dict:
    return json.loads(milo_codec.dumps(estimator))["model"]


# ---------------------------------------------------------------------------
# Crafting: each case names a recipe, a mutation of the dumped document, the error class and
# one expected problem line.


def _rename_step(d: dict) -> None:
    d["model"]["params"]["steps"][1]["tuple"][0] = "prep"


def _mismatched_steps(d: dict) -> None:
    # a Ridge fitted on 4 features after a scaler that outputs 3
    X = np.random.RandomState(0).randn(20, 4)
    d["model"]["params"]["steps"][2]["tuple"][1] = _node(Ridge().fit(X, X[:, 0]))


def _unknown_nested_schema(d: dict) -> None:
    d["model"]["params"]["steps"][1]["tuple"][1]["schema"] = (
        _SCHEMAS + "linear_model/LogisticRegression/v9.json"
    )


def _duplicate_transformer(d: dict) -> None:
    d["model"]["params"]["transformers"][1]["tuple"][0] = "cat"


def _fitted_names_differ(d: dict) -> None:
    d["model"]["state"]["transformers_"][0]["tuple"][0] = "categories"


def _index_out_of_range(d: dict) -> None:
    d["model"]["state"]["_columns"][2] = [3, 9]


def _fitted_index_out_of_range(d: dict) -> None:
    d["model"]["state"]["_transformer_to_input_indices"]["dict"]["ints"] = [3, 6]


def _unknown_column_name(d: dict) -> None:
    d["model"]["state"]["_columns"][1] = ["age", "salary"]


def _fitted_unknown_column_name(d: dict) -> None:
    d["model"]["state"]["transformers_"][1]["tuple"][2] = ["age", "salary"]


def _output_slice_too_wide(d: dict) -> None:
    d["model"]["state"]["output_indices_"]["dict"]["num"] = {"slice": [5, 50, None]}


def _output_slices_overlap(d: dict) -> None:
    d["model"]["state"]["output_indices_"]["dict"]["num"] = {"slice": [4, 6, None]}


def _transformer_fitted_on_other_width(d: dict) -> None:
    X = np.random.RandomState(0).randn(20, 3)
    d["model"]["state"]["transformers_"][1]["tuple"][1] = _node(StandardScaler().fit(X))


def _weight_for_unknown_transformer(d: dict) -> None:
    d["model"]["params"]["transformer_weights"]["dict"]["nope"] = 1.0


def _union_parts_disagree(d: dict) -> None:
    X = np.random.RandomState(0).randn(20, 4)
    d["model"]["params"]["transformer_list"][0]["tuple"][1] = _node(StandardScaler().fit(X))


def _wrong_fitted_transformer(d: dict) -> None:
    X = np.random.RandomState(0).randn(20, 1)
    d["model"]["state"]["transformer_"] = _node(MinMaxScaler().fit(X))


def _memory_path(d: dict) -> None:
    d["model"]["params"]["memory"] = "/tmp/cache"


def _format_string_lookup(d: dict) -> None:
    d["model"]["params"]["verbose_feature_names_out"] = "{feature_name.__class__}"


CASES: dict[str, tuple[str, str, Callable[[dict], None], str, str]] = {
    # Pipeline and FeatureUnion keep no state of their own: their checks read params.
    "duplicate-step-names": (
        "Pipeline",
        "column-transformer-dataframe",
        _rename_step,
        "InvariantError",
        "$.model.params.steps[1][0]: step name 'prep' is used twice",
    ),
    "mismatched-feature-counts-between-steps": (
        "Pipeline",
        "regressor",
        _mismatched_steps,
        "InvariantError",
        "$.model.params.steps[2][1]: step 'reg' was fitted on 4 features but step 'scale' "
        "outputs 10",
    ),
    "nested-model-with-unknown-schema": (
        "Pipeline",
        "column-transformer-dataframe",
        _unknown_nested_schema,
        "SchemaError",
        "$.model.params.steps[1].tuple[1].schema: unknown model schema "
        "'https://milo-codec.invalid/schemas/sklearn/linear_model/LogisticRegression/v9.json'",
    ),
    "union-weight-for-unknown-transformer": (
        "FeatureUnion",
        "transformer-weights",
        _weight_for_unknown_transformer,
        "InvariantError",
        "$.model.params.transformer_weights.nope: weights a transformer 'nope' that is not in "
        "transformer_list",
    ),
    "union-parts-fitted-on-different-widths": (
        "FeatureUnion",
        "dense",
        _union_parts_disagree,
        "InvariantError",
        "$.model.params.transformer_list[1][1]: transformer 'poly' was fitted on 3 features but "
        "'scale' on 4",
    ),
    "duplicate-transformer-names": (
        "ColumnTransformer",
        "dataframe-names",
        _duplicate_transformer,
        "InvariantError",
        "$.model.params.transformers[1][0]: transformer name 'cat' is used twice",
    ),
    "fitted-names-differ-from-params": (
        "ColumnTransformer",
        "dataframe-names",
        _fitted_names_differ,
        "InvariantError",
        "$.model.state.transformers_: names must be ['cat', 'num', 'remainder'], as the transformers param says",
    ),
    "column-index-beyond-n-features-in": (
        "ColumnTransformer",
        "positions-slice-mask",
        _index_out_of_range,
        "InvariantError",
        "$.model.state._columns[2]: column index 9 is out of range for 6 input features",
    ),
    "fitted-column-index-beyond-n-features-in": (
        "ColumnTransformer",
        "positions-slice-mask",
        _fitted_index_out_of_range,
        "InvariantError",
        "$.model.state._transformer_to_input_indices.ints: column index 6 is out of range for 6 "
        "input features",
    ),
    "column-name-not-in-feature-names-in": (
        "ColumnTransformer",
        "dataframe-names",
        _unknown_column_name,
        "InvariantError",
        "$.model.state._columns[1]: column 'salary' is not in feature_names_in_",
    ),
    "fitted-column-name-not-in-feature-names-in": (
        "ColumnTransformer",
        "dataframe-names",
        _fitted_unknown_column_name,
        "InvariantError",
        "$.model.state.transformers_[1][2]: column 'salary' is not in feature_names_in_",
    ),
    "output-slice-out-of-range": (
        "ColumnTransformer",
        "dataframe-names",
        _output_slice_too_wide,
        "InvariantError",
        "$.model.state.output_indices_.num: is 45 columns wide but transformer 'num' outputs 2",
    ),
    "output-slices-overlap": (
        "ColumnTransformer",
        "dataframe-names",
        _output_slices_overlap,
        "InvariantError",
        "$.model.state.output_indices_.num: starts at 4 but the previous output ends at 5 "
        "(slices must not overlap or leave gaps)",
    ),
    "transformer-fitted-on-more-columns-than-given": (
        "ColumnTransformer",
        "dataframe-names",
        _transformer_fitted_on_other_width,
        "InvariantError",
        "$.model.state.transformers_[1][1]: transformer 'num' was fitted on 3 features but is "
        "given 2 columns",
    ),
    "format-string-with-attribute-lookup": (
        "ColumnTransformer",
        "dataframe-names",
        _format_string_lookup,
        "SchemaError",
        "$.model.params.verbose_feature_names_out: ",
    ),
    "target-transformer-of-another-class": (
        "TransformedTargetRegressor",
        "transformer",
        _wrong_fitted_transformer,
        "InvariantError",
        "$.model.state.transformer_: must be a fitted sklearn.preprocessing.StandardScaler, not "
        "sklearn.preprocessing.MinMaxScaler",
    ),
    "pipeline-memory-names-a-cache-path": (
        "Pipeline",
        "regressor",
        _memory_path,
        "SchemaError",
        "$.model.params.memory: ",
    ),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every crafted document, and an untouched dump of each class, loaded in child processes."""
    docs: dict[str, Any] = {}
    for case, (cls_name, recipe_id, mutate, _, _) in CASES.items():
        doc = _doc(cls_name, recipe_id)
        mutate(doc)
        docs[case] = doc
    for cls_name, cls in _CLASSES.items():
        docs[f"untouched-{cls_name}"] = _doc(cls_name, RECIPES[cls_name](cls)[0].id)
    return load_in_children(docs, tmp_path_factory.mktemp("crafted-composites"))


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_document_is_refused_with_its_path(case: str, outcomes: dict[str, Outcome]) -> None:
    _, _, _, error, problem = CASES[case]
    out = outcomes[case]
    assert out.lines[0] == error, out
    assert any(line.strip().startswith(problem) for line in out.lines), out


@pytest.mark.parametrize("cls_name", list(_CLASSES))
def test_an_untouched_dump_loads_in_the_same_harness(
    cls_name: str, outcomes: dict[str, Outcome]
) -> None:
    assert outcomes[f"untouched-{cls_name}"].status == "loaded", outcomes[f"untouched-{cls_name}"]


# ---------------------------------------------------------------------------
# What dump refuses, and why


def test_a_pipeline_with_memory_is_refused_at_dump(tmp_path: Path) -> None:
    """A cache location would let a file choose where a refit writes; the schema holds null only."""
    X = np.random.RandomState(0).randn(20, 3)
    pipe = Pipeline([("scale", StandardScaler()), ("reg", Ridge())], memory=str(tmp_path))
    pipe.fit(X, X[:, 0])
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(pipe)
    assert str(e.value).startswith(
        "Pipeline produced a document its own schema refuses, so nothing was written:"
    )
    assert "$.model.params.memory: " in str(e.value)


def _columns_callable(df: Any) -> list[str]:
    return ["a"]


def test_a_custom_columns_callable_is_refused_at_dump() -> None:
    """Only make_column_selector is written (by what it selects on); other callables are code."""
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    ct = ColumnTransformer([("num", StandardScaler(), _columns_callable)]).fit(df)
    with pytest.raises(milo_codec.UnsupportedModelError) as e:
        milo_codec.dumps(ct)
    assert str(e.value).startswith("$.model.params.transformers[0][2]: the callable ")
    # the same model with the columns the callable chose is written
    fixed = ColumnTransformer([("num", StandardScaler(), ct._columns[0])]).fit(df)
    assert type(milo_codec.loads(milo_codec.dumps(fixed))) is ColumnTransformer


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("pattern", "x" * 1001, "at most 1000 characters"),
        ("dtype_include", "number; import os", "should match pattern"),
        ("dtype_include", {"type": "os.system"}, "expected one of"),
        ("dtype_exclude", {"function": "numpy.log"}, "expected"),
    ],
    ids=["pattern-too-long", "dtype-name-not-a-name", "type-outside-table", "function"],
)
def test_a_crafted_column_selector_is_refused(field: str, value: Any, message: str) -> None:
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    ct = ColumnTransformer(
        [("num", StandardScaler(), make_column_selector(dtype_include=np.number))]
    ).fit(df)
    doc = editable_doc(ct)
    doc["model"]["params"]["transformers"][0]["tuple"][2]["column_selector"][field] = value
    with pytest.raises(milo_codec.SchemaError) as e:
        milo_codec.loads(json.dumps(doc))
    assert "$.model.params.transformers[0].tuple[2].column_selector." + field in str(e.value)
    assert message in str(e.value)


def test_the_required_hard_case_round_trips_bit_exactly() -> None:
    """ColumnTransformer(OneHotEncoder on string categories, StandardScaler) → LogisticRegression,
    fitted on a DataFrame: every inference output of the pipeline and of its column transformer."""
    from equality import assert_identical
    from recipes_composite import _frame

    pipe = _fitted("Pipeline", "column-transformer-dataframe")
    loaded = milo_codec.loads(milo_codec.dumps(pipe))
    X = _frame(n=25, seed=7)
    X.loc[0, "city"] = "berlin"  # unseen category: handle_unknown="ignore" on both
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        assert_identical(getattr(pipe, method)(X), getattr(loaded, method)(X), method, False)
    prep, prep_loaded = pipe.named_steps["prep"], loaded.named_steps["prep"]
    assert_identical(prep.transform(X), prep_loaded.transform(X), "transform", False)
    assert_identical(
        prep.get_feature_names_out(), prep_loaded.get_feature_names_out(), "names", False
    )
    assert_identical(pipe.classes_, loaded.classes_, "classes_")


def test_pandas_output_with_estimators_in_a_column_transformer() -> None:
    from recipes_composite import _frame

    ct = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False), ["city"]), ("num", StandardScaler(), ["age"])]
    ).set_output(transform="pandas")
    ct.fit(_frame())
    milo_codec.loads(milo_codec.dumps(ct))


@pytest.mark.parametrize(
    "estimator",
    [
        Pipeline([("scale", StandardScaler()), ("skip", "passthrough"), ("reg", Ridge())]),
        FeatureUnion([("scale", StandardScaler()), ("gone", "drop")], transformer_weights=None),
        ColumnTransformer(
            [("cat", OneHotEncoder(), ["city"]), ("mask", "drop", np.array([True, False]))],
            remainder=MinMaxScaler(),
            verbose=2,
        ),
        TransformedTargetRegressor(func=np.log1p, inverse_func=np.expm1),
    ],
    ids=lambda e: type(e).__name__,
)
def test_unfitted_composites_round_trip(estimator: Any) -> None:
    from equality import assert_identical

    loaded = milo_codec.loads(milo_codec.dumps(estimator))
    assert type(loaded) is type(estimator)
    assert_identical(estimator.get_params(deep=False), loaded.get_params(deep=False), "params")
    assert_identical(vars(estimator), vars(loaded), "__dict__")
