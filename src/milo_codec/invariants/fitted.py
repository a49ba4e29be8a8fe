"""What a nested estimator node was fitted on, seen through the wrappers that keep no state.

Meta-estimators compare their members' fitted facts (classes_, n_features_in_) with their
own. A Pipeline keeps its fitted steps in params (its state is null) and answers with its
final step's labels; a FrozenEstimator holds a fitted estimator as its parameter. Both are
looked through here, so a fitted pipeline or frozen model counts as fitted.
"""

from __future__ import annotations

from typing import Any

from milo_codec.codecs.base import NodeModel
from milo_codec.invariants.base import resolve_alias
from milo_codec.invariants.composite import n_features_in
from milo_codec.objects.base import AliasRef

_PIPELINE = "sklearn.pipeline.Pipeline"
_FROZEN = "sklearn.frozen.FrozenEstimator"


def _node(value: Any) -> NodeModel | None:
    if type(value) is AliasRef:
        value = resolve_alias(value.path)
    return value if isinstance(value, NodeModel) else None


def fitted_state(node: Any) -> dict[str, Any] | None:
    """The fitted state that answers for ``node`` (None when it is not fitted)."""
    node = _node(node)
    if node is None:
        return None
    cls = node.codec().class_path
    params = node.params.fields_by_json_name()
    if cls == _FROZEN:
        return fitted_state(params.get("estimator"))
    if cls == _PIPELINE:
        steps = params.get("steps")
        last = steps[-1] if isinstance(steps, list) and steps else None
        if not (isinstance(last, tuple) and len(last) == 2):
            return None
        state = fitted_state(last[1])
        if state is None:
            return None
        # the pipeline reads its first step's input width, its final step's labels
        n_in = n_features_in(node)
        return {**state, "n_features_in_": n_in} if n_in is not None else state
    if node.state is None:
        return None
    # a member's own fields may be aliases (a VotingClassifier's classes_ is its encoder's)
    return {
        name: resolve_alias(v.path) if type(v) is AliasRef else v
        for name, v in node.state.fields_by_json_name().items()
    }
