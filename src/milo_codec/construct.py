"""Validated nodes → estimators. Runs only after the whole document passed schema and invariants."""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import ConstructionError
from milo_codec.objects import all_leaves, is_leaf, kind_for
from milo_codec.objects.base import AliasRef, Pending
from milo_codec.paths import child


class _Builder:
    """Builds in document order, remembering addressable objects so aliases share them."""

    def __init__(self) -> None:
        self.built: dict[str, Any] = {}

    def node(self, node: NodeModel, path: str) -> Any:
        codec = node.codec()
        cls = codec.estimator_class()  # bound in generated code, never read from the file
        params = self.members(node.params.fields_by_json_name(), f"{path}.params")
        try:
            estimator = cls(**params)
        except Exception as e:
            raise ConstructionError(f"{path}: {codec.class_path}(**params) failed: {e}") from e
        if node.state is not None:
            state = self.members(node.state.fields_by_json_name(), f"{path}.state")
            full = dict(vars(estimator))
            full.update(state)
            import sklearn  # loaded already: the estimator's class is scikit-learn's

            # The producing scikit-learn version was checked against this one before validation.
            full["_sklearn_version"] = sklearn.__version__
            try:
                estimator.__setstate__(full)
            except Exception as e:
                raise ConstructionError(f"{path}: restoring the fitted state failed: {e}") from e
        self.built[path] = estimator
        return estimator

    def members(self, fields: dict[str, Any], path: str) -> dict[str, Any]:
        # Leaves (most parameters) are taken as they are, without spelling their paths.
        return {
            k: v if is_leaf(type(v)) else self.value(v, child(path, k)) for k, v in fields.items()
        }

    def value(self, value: Any, path: str, addressable: bool = True) -> Any:
        t = type(value)
        if is_leaf(t):
            return value
        if t is dict and all_leaves(value.values()):
            return dict(value)
        if t is list and all_leaves(value):
            return list(value)
        if isinstance(value, NodeModel):
            return self.node(value, path)
        if t is AliasRef:
            return self.built[value.path]  # checked to exist and precede during invariants
        if t is np.ndarray:
            if value.dtype.kind == "O":  # elements may be model nodes or aliases: path[i][j]
                out = np.empty(value.shape, dtype=object)
                for idx, v in np.ndenumerate(value):
                    out[idx] = self.value(v, path + "".join(f"[{i}]" for i in idx), addressable)
                value = (
                    np.asfortranarray(out)
                    if value.flags.f_contiguous and not value.flags.c_contiguous
                    else out
                )
            if addressable:
                self.built[path] = value
            return value
        if t is Pending:
            payload = self.value(value.payload, f"{path}.{value.kind.tag}", value.kind.addressable)
            build = (value.checked and value.kind.build_checked) or value.kind.build
            assert build is not None
            try:
                obj = build(payload)
            except Exception as e:
                raise ConstructionError(f"{path}: rebuilding {value.kind.tag} failed: {e}") from e
            if addressable:
                self.built[path] = obj
            return obj
        if addressable and kind_for(value) is not None:
            self.built[path] = value
            return value
        if t is list:
            return [self.value(v, child(path, i), addressable) for i, v in enumerate(value)]
        if t is tuple:
            return tuple(self.value(v, child(path, i), addressable) for i, v in enumerate(value))
        if isinstance(value, dict):
            items = {
                k: self.value(
                    v,
                    child(path, k) if type(k) is str else f"{path}[{k!r}]",
                    addressable and type(k) is str,
                )
                for k, v in value.items()
            }
            return items if t is dict else t(**items)  # a Bunch stays a Bunch
        return value


def build(node: NodeModel, path: str = "$.model") -> Any:
    return _Builder().node(node, path)
