"""Walk a validated document and check every model node's invariants, collecting all problems.

The walk also checks shared references: an ``{"alias": path}`` must name an array or a
model node written *earlier* in the document (so rebuilding never meets a cycle).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel, UnfittedState
from milo_codec.errors import InvariantError, Problem
from milo_codec.invariants.base import WALK_TARGETS
from milo_codec.invariants.checks import CHECKS, PARAMS_CHECKS
from milo_codec.invariants.shapes import check_shapes
from milo_codec.objects import all_leaves, is_leaf, kind_for
from milo_codec.objects.base import AliasRef, Pending
from milo_codec.paths import child


class _Walk:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # addressable arrays and finished model nodes so far, by path
        self.targets: dict[str, Any] = {}

    def node(self, node: NodeModel, path: str) -> None:
        codec = node.codec()
        params = node.params.fields_by_json_name()
        self.members(params, f"{path}.params")
        if node.state is not None and not isinstance(node.state, UnfittedState):
            state = node.state.fields_by_json_name()
            self.members(state, f"{path}.state")
            # checks see the shared object itself wherever a value is an alias
            params = self.resolved(params)
            state = self.resolved(state)
            self.problems.extend(check_shapes(codec, params, state, path))
            for name in codec.invariants:
                self.problems.extend(CHECKS[name](params, state, path))
        else:
            # No fitted state of its own (Pipeline and FeatureUnion keep their fitted parts in
            # params): only the checks that read params alone apply.
            for name in codec.invariants:
                if name in PARAMS_CHECKS:
                    self.problems.extend(CHECKS[name](self.resolved(params), {}, path))
        self.targets[path] = node  # only once complete: an alias inside it cannot point to it

    def members(self, fields: dict[str, Any], path: str) -> None:
        for name, value in fields.items():
            if not is_leaf(type(value)):  # most parameters are: no path to spell for them
                self.value(value, child(path, name))

    def resolved(self, value: Any) -> Any:
        """``value`` with every alias (in lists, tuples and dicts) replaced by its target."""
        t = type(value)
        if t is AliasRef:
            return self.targets.get(value.path, value)
        if (t is dict or t is list) and all_leaves(_values(value)):
            return value  # e.g. a vocabulary: nothing inside can be an alias
        if t is list:
            return [self.resolved(v) for v in value]
        if t is tuple:
            return tuple(self.resolved(v) for v in value)
        if isinstance(value, dict):
            items = {k: self.resolved(v) for k, v in value.items()}
            return items if t is dict else t(**items)  # a Bunch stays a Bunch
        return value

    def value(self, value: Any, path: str, addressable: bool = True) -> None:
        t = type(value)
        if is_leaf(t) or ((t is dict or t is list) and all_leaves(_values(value))):
            return
        if isinstance(value, NodeModel):
            self.node(value, path)
        elif t is AliasRef:
            if value.path not in self.targets:
                self.problems.append(
                    Problem(
                        path,
                        f"alias {value.path!r} does not name an array or model written before it",
                    )
                )
            elif not value.accepts(self.targets[value.path]):
                self.problems.append(
                    Problem(path, f"alias {value.path!r} names a value this field cannot hold")
                )
        elif t is np.ndarray:
            if addressable:
                self.targets[path] = value
            if value.dtype.kind == "O":  # elements are addressed like list items: path[i][j]
                for idx, v in np.ndenumerate(value):
                    self.value(v, path + "".join(f"[{i}]" for i in idx), addressable)
        elif t is Pending:
            self.value(value.payload, f"{path}.{value.kind.tag}", value.kind.addressable)
            if addressable:
                self.targets[path] = value
        elif addressable and kind_for(value) is not None:
            self.targets[path] = value
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                self.value(v, child(path, i), addressable)
        elif isinstance(value, dict):
            for k, v in value.items():
                keyed = addressable and type(k) is str
                self.value(v, child(path, k) if type(k) is str else f"{path}[{k!r}]", keyed)


def check_document(root: NodeModel, path: str = "$.model") -> None:
    walk = _Walk()
    token = WALK_TARGETS.set(walk.targets)
    try:
        walk.node(root, path)
    finally:
        WALK_TARGETS.reset(token)
    if walk.problems:
        raise InvariantError("The model's fields disagree with each other.", walk.problems)


def _values(container: dict | list) -> Any:
    return container.values() if type(container) is dict else container
