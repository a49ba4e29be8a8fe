"""Invariants of sklearn.preprocessing that symbolic shapes cannot express: the counts of
PolynomialFeatures and the splines of SplineTransformer.

PolynomialFeatures keeps no arrays, only counts: ``n_output_features_`` and ``_n_out_full``
size the array ``transform`` allocates (``_n_out_full`` columns per row), and fit derives
both from ``n_features_in_``, the degrees and the two flags. A file stating other counts
would make ``transform`` allocate what the file says or fill the wrong columns (found by
fuzzing: a count of 2**64 loaded and then failed in ``transform``). The counts are computed
as fit computes them, but never from binomials large enough to cost time: any count that
would exceed 2**64 is known to, from the size of one of its terms.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from milo_codec.codecs.base import NodeModel
from milo_codec.errors import Problem
from milo_codec.invariants.base import Check, as_int

_HUGE = 1 << 64  # counts above this are only known to be above it
_SMALL_K = 64  # comb(n, k) with n >= 2k and k >= 64 exceeds _HUGE
_INTP_MAX = int(np.iinfo(np.intp).max)  # fit refuses more output features


def _terms(n: int, min_degree: int, max_degree: int, interaction_only: bool) -> int | None:
    """The polynomial terms of degree min_degree..max_degree (the constant excluded) over n
    features, as ``PolynomialFeatures._num_combinations`` counts them; None when over _HUGE."""
    if interaction_only:
        lo, hi = max(1, min_degree), min(max_degree, n)
        if hi < lo:
            return 0
        # a run of more than 2 * 64 + 1 degrees within 1..n has one with 64 <= i <= n - 64
        if hi - lo + 1 > 2 * _SMALL_K + 1:
            return None
        total = 0
        for i in range(lo, hi + 1):
            k = min(i, n - i)
            if k >= _SMALL_K:
                return None
            total += math.comb(n, k)
            if total > _HUGE:
                return None
        return total
    # comb(n + d, d) - 1 terms of degree 1..d; with n, d >= 64 that is over _HUGE
    if min(n, max_degree) >= _SMALL_K:
        return None
    total = math.comb(n + max_degree, min(n, max_degree)) - 1
    if total > _HUGE:
        return None
    if min_degree > 0:
        below = min_degree - 1
        total -= math.comb(n + below, min(n, below)) - 1
    return total


def _degrees(degree: Any) -> tuple[int, int] | None:
    """(min_degree, max_degree) as fit reads the ``degree`` parameter."""
    one = as_int(degree)
    if one is not None:
        return 0, one
    if isinstance(degree, tuple | list | np.ndarray) and len(degree) == 2:
        low, high = as_int(degree[0]), as_int(degree[1])
        if low is not None and high is not None:
            return low, high
    return None


def polynomial_sizes(params: dict, state: dict, path: str) -> list[Problem]:
    """The degrees and output counts are those fit derives from degree, the flags and
    n_features_in_."""
    n = as_int(state.get("n_features_in_"))
    degrees = _degrees(params.get("degree"))
    stated = (as_int(state.get("_min_degree")), as_int(state.get("_max_degree")))
    if n is None or None in stated:
        return []
    if degrees is None:
        # fit accepts no other degree: the counts below could not be checked
        return [
            Problem(
                f"{path}.params.degree",
                f"is {params.get('degree')!r}: degree is an integer or two, "
                "(min_degree, max_degree)",
            )
        ]
    if stated != degrees:
        return [
            Problem(
                f"{path}.state._min_degree",
                f"_min_degree and _max_degree are {list(stated)} but degree = "
                f"{params.get('degree')!r} makes them {list(degrees)}",
            )
        ]
    min_degree, max_degree = degrees
    if not 0 <= min_degree <= max_degree:
        return [
            Problem(
                f"{path}.params.degree",
                f"degrees {list(degrees)} must satisfy 0 <= min_degree <= max_degree",
            )
        ]
    interaction_only = bool(params.get("interaction_only"))
    bias = 1 if bool(params.get("include_bias")) else 0
    out = []
    terms = _terms(n, min_degree, max_degree, interaction_only)
    want = None if terms is None else terms + bias
    if want is None or want > _INTP_MAX:
        out.append(
            Problem(
                f"{path}.state.n_output_features_",
                f"degrees {list(degrees)} over {n} features make more output features than "
                "scikit-learn can index: fit refuses such a model",
            )
        )
    elif state.get("n_output_features_") != want:
        out.append(
            Problem(
                f"{path}.state.n_output_features_",
                f"is {state.get('n_output_features_')!r} but degrees {list(degrees)} over {n} "
                f"features make {want}",
            )
        )
    full = _terms(n, 0, max_degree, interaction_only)
    stated_full = as_int(state.get("_n_out_full"))
    if full is None and (stated_full is None or stated_full <= _HUGE):
        out.append(
            Problem(
                f"{path}.state._n_out_full",
                f"is {state.get('_n_out_full')!r} but degrees up to {max_degree} over {n} "
                f"features make more than {_HUGE}",
            )
        )
    elif full is not None and stated_full != full + bias:
        out.append(
            Problem(
                f"{path}.state._n_out_full",
                f"is {state.get('_n_out_full')!r} but degrees up to {max_degree} over {n} "
                f"features make {full + bias}",
            )
        )
    return out


def spline_features(params: dict, state: dict, path: str) -> list[Problem]:
    """One B-spline per input feature, each of the parameter's degree with the basis that fit
    builds (an identity coefficient matrix, repeated for periodic splines), all of the same
    width; n_features_out_ as fit derives it. Transform reads the width from the first spline
    and allocates n_features_out_ columns (found by fuzzing: a spline missing loaded, then
    raised IndexError in transform)."""
    n = as_int(state.get("n_features_in_"))
    bsplines = state.get("bsplines_")
    degree = as_int(params.get("degree"))
    if n is None or degree is None or not isinstance(bsplines, list):
        return []
    where = f"{path}.state.bsplines_"
    if len(bsplines) != n:
        return [Problem(where, f"has {len(bsplines)} splines but n_features_in_ is {n}")]
    periodic = params.get("extrapolation") == "periodic"
    widths = []
    for i, spline in enumerate(bsplines):
        t, c, k = (getattr(spline, a, None) for a in ("t", "c", "k"))
        if not (isinstance(t, np.ndarray) and isinstance(c, np.ndarray) and c.ndim == 2):
            return [Problem(f"{where}[{i}]", "must be a B-spline with 2-D coefficients")]
        if k != degree:
            return [
                Problem(f"{where}[{i}]", f"has degree {k} but the degree parameter is {degree}")
            ]
        width = t.shape[0] - k - 1 - (k if periodic else 0)
        if c.shape != (width + (k if periodic else 0), width):
            return [
                Problem(
                    f"{where}[{i}]",
                    f"has coefficients of shape {list(c.shape)}; its {t.shape[0]} knots of "
                    f"degree {k} make {width} basis functions, as fit builds them",
                )
            ]
        widths.append(width)
    if len(set(widths)) > 1:
        i = next(i for i, w in enumerate(widths) if w != widths[0])
        return [
            Problem(
                f"{where}[{i}]",
                f"has {widths[i]} basis functions but bsplines_[0] has {widths[0]}: every "
                "feature has as many",
            )
        ]
    want = n * widths[0] - (0 if bool(params.get("include_bias")) else n)
    if state.get("n_features_out_") != want:
        return [
            Problem(
                f"{path}.state.n_features_out_",
                f"is {state.get('n_features_out_')!r} but {n} features of {widths[0]} basis "
                f"functions make {want}",
            )
        ]
    return []


def kbins_encoder(params: dict, state: dict, path: str) -> list[Problem]:
    """KBinsDiscretizer: a one-hot encoding keeps the OneHotEncoder fit builds over the bin
    numbers (transform hands it the bins), an ordinal one keeps none."""
    if "n_bins_" not in state:
        return []  # unfitted
    encoder = state.get("_encoder")
    onehot = params.get("encode") in ("onehot", "onehot-dense")
    if encoder is None:
        return [Problem(f"{path}.state", "a one-hot encoding needs _encoder")] if onehot else []
    if not onehot:
        return [Problem(f"{path}.state._encoder", "only a one-hot encoding has an encoder")]
    bins = state.get("n_bins_")
    fitted = isinstance(encoder, NodeModel) and encoder.state is not None
    cats = encoder.state.fields_by_json_name().get("categories_") if fitted else None
    if not (isinstance(bins, np.ndarray) and isinstance(cats, list)):
        return []
    if len(cats) != bins.shape[0] or not all(
        isinstance(c, np.ndarray) and c.shape == (int(n),) and (c == np.arange(n)).all()
        for c, n in zip(cats, bins, strict=False)
    ):
        return [
            Problem(
                f"{path}.state._encoder.state.categories_",
                "must be the bin numbers 0..n_bins_[i] - 1 of each feature",
            )
        ]
    return []


def label_binarizer_labels(params: dict, state: dict, path: str) -> list[Problem]:
    """fit refuses neg_label >= pos_label; transform checks it again."""
    neg, pos = as_int(params.get("neg_label")), as_int(params.get("pos_label"))
    if "classes_" in state and neg is not None and pos is not None and neg >= pos:
        return [Problem(f"{path}.params.neg_label", f"is {neg}, not below pos_label = {pos}")]
    return []


def multilabel_columns(params: dict, state: dict, path: str) -> list[Problem]:
    """MultiLabelBinarizer's ``_cached_dict``, once built, maps each label of ``classes_`` to
    its position, as transform builds it. transform writes a sparse matrix's column indices
    from it unchecked: a column past ``len(classes_)`` crashed the process when the result was
    made dense (found by setting a nested number to 10**9)."""
    cache, classes = state.get("_cached_dict"), state.get("classes_")
    if not isinstance(cache, dict) or not isinstance(classes, np.ndarray):
        return []
    where = f"{path}.state._cached_dict"
    if len(cache) != len(classes):
        return [Problem(where, f"has {len(cache)} labels but classes_ holds {len(classes)}")]
    for i, label in enumerate(classes.tolist()):
        try:
            column = cache.get(label)
        except TypeError:  # an unhashable label: classes_unique reports it
            return []
        if type(column) is not int or column != i:
            return [
                Problem(
                    where,
                    f"maps {label!r} to {column!r} but it is classes_[{i}]: each label's "
                    "column is its position in classes_",
                )
            ]
    return []


CHECKS: dict[str, Check] = {
    "multilabel_columns": multilabel_columns,
    "polynomial_sizes": polynomial_sizes,
    "spline_features": spline_features,
    "kbins_encoder": kbins_encoder,
    "label_binarizer_labels": label_binarizer_labels,
}
