"""Walk a validated document and check every model node's invariants, collecting all problems."""

from __future__ import annotations

from typing import Any

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import InvariantError, Problem
from milo_codec.invariants.checks import CHECKS
from milo_codec.invariants.shapes import check_shapes


def check_document(root: NodeModel, path: str = "$.model") -> None:
    problems: list[Problem] = []
    _check_node(root, path, problems)
    if problems:
        raise InvariantError("The model's fields disagree with each other.", problems)


def _check_node(node: NodeModel, path: str, problems: list[Problem]) -> None:
    codec = node.codec()
    params = node.params.fields_by_json_name()
    for name, value in params.items():
        _walk(value, f"{path}.params.{name}", problems)
    if node.state is None:
        return
    state = node.state.fields_by_json_name()
    for name, value in state.items():
        _walk(value, f"{path}.state.{name}", problems)
    problems.extend(check_shapes(codec, params, state, path))
    for name in codec.invariants:
        problems.extend(CHECKS[name](params, state, path))


def _walk(value: Any, path: str, problems: list[Problem]) -> None:
    if isinstance(value, NodeModel):
        _check_node(value, path, problems)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _walk(v, f"{path}[{i}]", problems)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk(v, f"{path}[{k!r}]", problems)
