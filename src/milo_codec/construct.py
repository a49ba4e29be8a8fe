"""Validated nodes → estimators. Runs only after the whole document passed schema and invariants."""

from __future__ import annotations

from typing import Any

import sklearn

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import ConstructionError


def build(node: NodeModel, path: str = "$.model") -> Any:
    codec = node.codec()
    cls = codec.estimator_class()  # bound in generated code, never read from the file
    params = {
        k: _resolve(v, f"{path}.params.{k}") for k, v in node.params.fields_by_json_name().items()
    }
    try:
        estimator = cls(**params)
    except Exception as e:
        raise ConstructionError(f"{path}: {codec.class_path}(**params) failed: {e}") from e
    if node.state is not None:
        state = {
            k: _resolve(v, f"{path}.state.{k}") for k, v in node.state.fields_by_json_name().items()
        }
        full = dict(vars(estimator))
        full.update(state)
        # The producing scikit-learn version was checked against this one before validation.
        full["_sklearn_version"] = sklearn.__version__
        try:
            estimator.__setstate__(full)
        except Exception as e:
            raise ConstructionError(f"{path}: restoring the fitted state failed: {e}") from e
    return estimator


def _resolve(value: Any, path: str) -> Any:
    if isinstance(value, NodeModel):
        return build(value, path)
    t = type(value)
    if t is list:
        return [_resolve(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if t is tuple:
        return tuple(_resolve(v, f"{path}[{i}]") for i, v in enumerate(value))
    if t is dict:
        return {k: _resolve(v, f"{path}[{k!r}]") for k, v in value.items()}
    return value
