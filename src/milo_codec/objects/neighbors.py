"""Object kinds of the neighbors family: ``KDTree``/``BallTree`` and their ``DistanceMetric``.

Trees are rebuilt, not restored
-------------------------------
A ``KDTree``/``BallTree`` is a Cython object whose queries walk ``node_data``/``idx_array``
and read ``data`` rows without bounds checks. Two ways to bring one back were measured
(``tools``-style script: medians of 7 runs on the 2-core test machine, float64 data, leaf_size 30):

==========================  ============  =========================  ==================
tree, n × d                  rebuild       decode + permutation check  extra file bytes
==========================  ============  =========================  ==================
KDTree   20,000 × 8           13.6 ms        6.7 ms                    471,535 (+15 %)
BallTree 20,000 × 8           10.4 ms        5.4 ms                    303,100 (+10 %)
KDTree  100,000 × 3           44.0 ms       36.8 ms                  1,227,174 (+20 %)
BallTree 100,000 × 3          50.1 ms       30.3 ms                    973,973 (+16 %)
==========================  ============  =========================  ==================

(decoding ``_fit_X`` itself takes 31.7 ms and 171 ms for those two sizes). Restoring is at
most ~2x cheaper for the structure, but it writes 10–20 % more, and every index in it
(``idx_array`` a permutation, ``idx_start <= idx_end`` inside range, leaf flags, bounds shape)
would have to be proved before compiled code may follow it. Rebuilding runs scikit-learn's
own deterministic build (``nth_element`` partitions, no randomness) on the validated
training data with the same ``leaf_size`` and metric, so the structure cannot be forged: a
file only carries what the tree was built *from*. So the payload is the build inputs —
``data`` (normally an alias of the estimator's ``_fit_X``, so the rebuilt tree shares it as
the original does), ``leaf_size``, ``dist_metric``, ``sample_weight`` — plus the four query
counters (``n_trims``, ``n_leaves``, ``n_splits``, ``n_calls``), which change with every query
and are set back after the build so ``__getstate__()`` comes back identical.

``dump`` rebuilds the tree once and refuses to write it unless the rebuild reproduces
``idx_array``, ``node_data`` and ``node_bounds`` bit for bit (a tree unpickled from another
scikit-learn build, say, would not); ``load`` builds it only at construction (``build=``),
after the invariants (``invariants/neighbors.py``) tied ``data`` to ``_fit_X`` and the
metric to the estimator's ``effective_metric_``.

Distance metrics are restored
-----------------------------
A ``DistanceMetric`` is small, and rebuilding one from the user's arguments would recompute
derived values (Mahalanobis ``VI = inv(V)``) whose last bits depend on the LAPACK build; so
its exact pickled state ``(p, vec, mat)`` is written, for metrics from a closed list only.
A callable metric (``PyFuncDistance``) is refused at dump.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, instance_of

# Canonical name → class name of every metric a KDTree/BallTree accepts, except "pyfunc".
METRIC_CLASSES: dict[str, str] = {
    "euclidean": "EuclideanDistance64",
    "manhattan": "ManhattanDistance64",
    "chebyshev": "ChebyshevDistance64",
    "minkowski": "MinkowskiDistance64",
    "seuclidean": "SEuclideanDistance64",
    "mahalanobis": "MahalanobisDistance64",
    "hamming": "HammingDistance64",
    "canberra": "CanberraDistance64",
    "braycurtis": "BrayCurtisDistance64",
    "jaccard": "JaccardDistance64",
    "dice": "DiceDistance64",
    "rogerstanimoto": "RogersTanimotoDistance64",
    "russellrao": "RussellRaoDistance64",
    "sokalmichener": "SokalMichenerDistance64",
    "sokalsneath": "SokalSneathDistance64",
    "haversine": "HaversineDistance64",
}
KD_TREE_METRICS = ("euclidean", "manhattan", "chebyshev", "minkowski")

# p of the metrics whose p is fixed by their class (the KD-tree bounds read it).
_FIXED_P = {"manhattan": 1.0, "chebyshev": math.inf}

INTP_MAX = int(np.iinfo(np.intp).max)
_C_INT = (-(2**31), 2**31 - 1)  # the tree's counters are C ints (n_calls may wrap around)
_COUNTERS = ("n_trims", "n_leaves", "n_splits", "n_calls")


@functools.cache
def _metric_types() -> dict[type, str]:
    from sklearn.metrics import _dist_metrics as dm

    return {getattr(dm, cls): name for name, cls in METRIC_CLASSES.items()}


@functools.cache
def _tree_types() -> dict[str, type]:
    from sklearn.neighbors import BallTree, KDTree

    return {"kd_tree": KDTree, "ball_tree": BallTree}


def _fail(message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("milo", message, context or None)


def _then(check: Any, schema: core_schema.CoreSchema) -> core_schema.CoreSchema:
    return core_schema.no_info_after_validator_function(check, schema)


# ---------------------------------------------------------------------------
# DistanceMetric


_is_distance_metric = instance_of("sklearn.metrics._dist_metrics", "DistanceMetric")


def _encode_metric(m: Any, encode: Encode, path: str) -> Any:
    name = _metric_types().get(type(m))
    if name is None:
        state = m.__getstate__()
        what = f"calls {_qualname(state[3])}" if len(state) > 3 else f"is {type(m).__name__}"
        raise TypeError(
            f"distance metrics other than {', '.join(METRIC_CLASSES)} (this one {what})"
        )
    p, vec, mat = m.__getstate__()
    return {
        "metric": name,
        "p": encode(float(p), f"{path}.p"),
        "vec": encode(vec, f"{path}.vec"),
        "mat": encode(mat, f"{path}.mat"),
    }


def _qualname(f: Any) -> str:
    mod = getattr(f, "__module__", None) or type(f).__module__
    return f"{mod}.{getattr(f, '__qualname__', type(f).__qualname__)}"


_PLACEHOLDER_VEC = np.zeros(1)
_PLACEHOLDER_MAT = np.zeros((1, 1))


def _placeholder(a: np.ndarray, like: np.ndarray) -> bool:
    return a.shape == like.shape and bool((a == like).all())


def check_metric_payload(p: dict) -> str | None:
    """What is wrong with a metric payload on its own (None: nothing), before anything is built.

    The compiled metric reads ``vec``/``mat`` in C-order with the query's feature count;
    the model invariants compare those sizes with the data, this checks everything else.
    """
    name, power, vec, mat = p["metric"], p["p"], p["vec"], p["mat"]
    if not (np.isfinite(vec).all() and np.isfinite(mat).all()):
        return "vec and mat must be finite"
    if not (vec.flags.c_contiguous and mat.flags.c_contiguous):
        return "vec and mat must be C-contiguous (no order)"
    uses_vec = name in ("minkowski", "seuclidean")
    if not uses_vec and not _placeholder(vec, _PLACEHOLDER_VEC):
        return f"{name} has no vector parameter: vec must be [0.0]"
    if name != "mahalanobis" and not _placeholder(mat, _PLACEHOLDER_MAT):
        return f"{name} has no matrix parameter: mat must be [[0.0]]"
    if name == "minkowski":
        if not (0 < power < math.inf):
            return "minkowski needs a finite p > 0"
        if (vec < 0).any():
            return "minkowski weights (vec) must be non-negative"
    elif power != _FIXED_P.get(name, 2.0):
        return f"{name} has p = {_FIXED_P.get(name, 2.0)}"
    if name == "seuclidean" and vec.shape[0] < 1:
        return "seuclidean needs one variance per feature in vec"
    if name == "mahalanobis" and mat.shape[0] != mat.shape[1]:
        return "mahalanobis needs a square matrix VI in mat"
    return None


def metric_size(p: dict) -> int | None:
    """The number of features a metric payload is tied to (None: any)."""
    name = p["metric"]
    if name == "mahalanobis":
        return int(p["mat"].shape[0])
    if name == "seuclidean" or (name == "minkowski" and p["vec"].shape[0] > 0):
        return int(p["vec"].shape[0])
    if name == "haversine":
        return 2
    return None


def _metric_decoder() -> core_schema.CoreSchema:
    fields = {
        "metric": core_schema.typed_dict_field(core_schema.literal_schema(list(METRIC_CLASSES))),
        "p": core_schema.typed_dict_field(
            k.OneOf((k.Float(), k.NonFinite(allowed=("Infinity",)))).core()
        ),
        "vec": core_schema.typed_dict_field(k.NDArray(allowed=(("float64", 1),)).schema()),
        "mat": core_schema.typed_dict_field(k.NDArray(allowed=(("float64", 2),)).schema()),
    }

    def check(p: dict) -> dict:
        problem = check_metric_payload(p)
        if problem:
            raise _fail(problem)
        return p  # inert: built by _build_metric at construction

    return _then(check, k.closed_object(fields))


def _build_metric(p: dict) -> Any:
    problem = check_metric_payload(p)
    if problem:
        raise ValueError(problem)
    from sklearn.metrics import _dist_metrics as dm

    cls = getattr(dm, METRIC_CLASSES[p["metric"]])
    metric = cls.__new__(cls)  # what unpickling does: __cinit__ placeholders, then the state
    metric.__setstate__((p["p"], p["vec"], p["mat"]))
    return metric


# ---------------------------------------------------------------------------
# KDTree / BallTree


_in_ball_tree = instance_of("sklearn.neighbors._ball_tree", "BinaryTree32", "BinaryTree64")
_in_kd_tree = instance_of("sklearn.neighbors._kd_tree", "BinaryTree32", "BinaryTree64")


def _is_binary_tree(v: Any) -> bool:
    return _in_ball_tree(v) or _in_kd_tree(v)


def _tree_kind_of(v: Any) -> str | None:
    for tag, cls in _tree_types().items():
        if type(v) is cls:
            return tag
    return None


def _matches_tree(tag: str) -> Any:
    def matches(v: Any) -> bool:
        if not _is_binary_tree(v):
            return False
        # Other tree classes (KDTree32, BallTree64 used directly, ...) go to the kd_tree kind,
        # whose encoder refuses them by name.
        return (_tree_kind_of(v) or "kd_tree") == tag

    return matches


def _encode_tree(tree: Any, encode: Encode, path: str) -> Any:
    tag = _tree_kind_of(tree)
    if tag is None:
        raise TypeError(
            f"search trees other than sklearn.neighbors.KDTree and BallTree (float64) "
            f"— this one is {type(tree).__name__}"
        )
    if vars(tree):
        raise TypeError(f"{type(tree).__name__} objects with extra attributes")
    (data, _, _, _, leaf_size, _, _, *counters, dist_metric, sample_weight) = tree.__getstate__()
    _check_rebuild_reproduces(tree, tag)
    payload: dict[str, Any] = {
        "data": encode(data, f"{path}.data"),
        "leaf_size": int(leaf_size),
        "dist_metric": encode(dist_metric, f"{path}.dist_metric"),
        "sample_weight": encode(sample_weight, f"{path}.sample_weight"),
    }
    payload.update({name: int(c) for name, c in zip(_COUNTERS, counters, strict=True)})
    return payload


def _check_rebuild_reproduces(tree: Any, tag: str) -> None:
    """A tree is written as its build inputs only if building from them gives the same tree."""
    data, idx, nodes, bounds, leaf_size, *_, dist_metric, sample_weight = tree.__getstate__()
    try:
        again = type(tree)(data, leaf_size, metric=dist_metric, sample_weight=sample_weight)
    except Exception as e:
        raise TypeError(f"{type(tree).__name__} objects that cannot be rebuilt ({e})") from None
    _, idx2, nodes2, bounds2, *_ = again.__getstate__()
    if not all(
        a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        for a, b in ((idx, idx2), (nodes, nodes2), (bounds, bounds2))
    ):
        raise TypeError(
            f"{type(tree).__name__} objects whose structure is not what this scikit-learn builds "
            "from their data (e.g. unpickled from another release)"
        )


_DATA = k.OneOf((k.NDArray(allowed=(("float64", 2),)), k.Alias(arrays=(("float64", 2),))))


def check_tree_payload(tag: str, p: dict) -> str | None:
    """What is wrong with a tree payload on its own (None: nothing); aliases are not resolved."""
    metric = p["dist_metric"]
    name = metric.payload["metric"] if hasattr(metric, "payload") else _metric_types()[type(metric)]
    if tag == "kd_tree" and name not in KD_TREE_METRICS:
        return f"a kd_tree supports the metrics {', '.join(KD_TREE_METRICS)}, not {name}"
    data, weight = p["data"], p["sample_weight"]
    if isinstance(data, np.ndarray):
        if data.shape[0] < 1 or data.shape[1] < 1:
            return "data must hold at least one sample and one feature"
        if not np.isfinite(data).all():
            return "data must be finite"
    if weight is not None:
        if not (np.isfinite(weight).all() and (weight >= 0).all()):
            return "sample_weight must be finite and non-negative"
        if isinstance(data, np.ndarray) and weight.shape[0] != data.shape[0]:
            return (
                f"sample_weight has {weight.shape[0]} entries but data has {data.shape[0]} samples"
            )
    return None


def _tree_decoder(tag: str) -> Any:
    def decoder() -> core_schema.CoreSchema:
        counter = core_schema.int_schema(strict=True, ge=_C_INT[0], le=_C_INT[1])
        fields = {
            "data": core_schema.typed_dict_field(_DATA.core()),
            "leaf_size": core_schema.typed_dict_field(
                core_schema.int_schema(strict=True, ge=1, le=INTP_MAX)
            ),
            "dist_metric": core_schema.typed_dict_field(
                k.Registered(name="distance_metric").schema()
            ),
            "sample_weight": core_schema.typed_dict_field(
                k.OneOf((k.Null(), k.NDArray(allowed=(("float64", 1),)))).core()
            ),
            **{name: core_schema.typed_dict_field(counter) for name in _COUNTERS},
        }

        def check(p: dict) -> dict:
            problem = check_tree_payload(tag, p)
            if problem:
                raise _fail(problem)
            return p  # inert: built by _build_tree at construction

        return _then(check, k.closed_object(fields))

    return decoder


def _build_tree(tag: str) -> Any:
    def build(p: dict) -> Any:
        # Aliases are resolved and the metric is built: check the whole payload once more, so
        # a schema that forgot its invariants still cannot hand compiled code a bad tree.
        problem = check_tree_payload(tag, p)
        data, weight, metric = p["data"], p["sample_weight"], p["dist_metric"]
        if problem is None and not (
            type(data) is np.ndarray and data.dtype == np.float64 and data.ndim == 2
        ):
            problem = "data must be a 2-D float64 array"
        if problem is None and weight is not None and weight.shape[0] != data.shape[0]:
            problem = "sample_weight must have one entry per sample"
        if problem:
            raise ValueError(problem)
        cls = _tree_types()[tag]
        tree = cls(data, p["leaf_size"], metric=metric, sample_weight=weight)
        state = tree.__getstate__()
        # The counters of the original, and ``data`` itself rather than the view the
        # constructor's check_array may make of it (decoded arrays carry an explicit
        # little-endian dtype), so the tree shares the model's _fit_X as the original did.
        counters = (p[name] for name in _COUNTERS)
        tree.__setstate__((data, *state[1:7], *counters, *state[11:]))
        return tree

    return build


KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        tag="distance_metric",
        schema_file="common/neighbors/v1.json",
        matches=_is_distance_metric,
        encode=_encode_metric,
        decoder=_metric_decoder,
        build=_build_metric,
    ),
    *(
        ObjectKind(
            tag=tag,
            schema_file="common/neighbors/v1.json",
            matches=_matches_tree(tag),
            encode=_encode_tree,
            decoder=_tree_decoder(tag),
            build=_build_tree(tag),
        )
        for tag in ("kd_tree", "ball_tree")
    ),
)
