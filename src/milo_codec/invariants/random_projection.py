"""Random projections keep the n_components parameter itself as ``_n_features_out``.

``get_feature_names_out`` counts its names from it, so it must be what fit stored: the
parameter, which may be ``"auto"`` (scikit-learn then fails there itself, and so does the
loaded model, as faithfully).
"""

from __future__ import annotations

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int


def n_features_out_is_the_parameter(params: dict, state: dict, path: str) -> list[Problem]:
    if "_n_features_out" not in state:
        return []
    out, asked = state["_n_features_out"], params.get("n_components")
    same = (
        out == asked
        if isinstance(asked, str)
        else (as_int(out) is not None and as_int(out) == as_int(asked))
    )
    if same:
        return []
    return [
        Problem(
            f"{path}.state._n_features_out",
            f"is {out!r} but fit stores the n_components parameter, {asked!r}",
        )
    ]


def sparse_components(params: dict, state: dict, path: str) -> list[Problem]:
    """A sparse projection's components_ is (n_components_, n_features_in_), as its dense
    sibling's shape symbols say."""
    comp = state.get("components_")
    want = (as_int(state.get("n_components_")), as_int(state.get("n_features_in_")))
    shape = getattr(comp, "shape", None)
    if None in want or not isinstance(shape, tuple) or shape == want:
        return []
    return [
        Problem(
            f"{path}.state.components_",
            f"has shape {list(shape)} but n_components_ and n_features_in_ make {list(want)}",
        )
    ]


CHECKS: dict[str, Check] = {
    "n_features_out_is_the_parameter": n_features_out_is_the_parameter,
    "sparse_components": sparse_components,
}
