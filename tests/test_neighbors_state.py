"""Neighbor models: search trees come back identical, and crafted state is refused cleanly.

Trees are rebuilt from their validated build inputs (see objects/neighbors.py), so the loaded
KDTree/BallTree must equal the original in every array and counter of ``__getstate__()``.
Every crafted file is loaded in a subprocess: the load must end in a milo_codec error naming
the JSON path, and the process must survive (no segfault, no hang).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from crafted import Outcome, editable_doc, load_in_children
from sklearn.metrics import DistanceMetric
from sklearn.neighbors import (
    BallTree,
    KDTree,
    KernelDensity,
    KNeighborsClassifier,
    LocalOutlierFactor,
    NearestCentroid,
    NearestNeighbors,
    NeighborhoodComponentsAnalysis,
    RadiusNeighborsClassifier,
)

import milo_codec
from milo_codec import UnsupportedModelError

RNG = np.random.RandomState(0)
X = RNG.randn(40, 4)
XQ = np.random.RandomState(1).randn(7, 4)
Y = np.arange(40) % 3


def _fit(est: Any, y: Any = Y) -> Any:
    return est.fit(X) if y is None else est.fit(X, y)


def _same_state(a: Any, b: Any, path: str = "state") -> None:
    """Pickled state of compiled objects, compared array for array and counter for counter."""
    if isinstance(a, tuple):
        assert type(b) is tuple and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same_state(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
    elif type(a).__module__.startswith("sklearn.metrics"):
        assert type(a) is type(b), path
        _same_state(tuple(a.__getstate__()), tuple(b.__getstate__()), f"{path}.metric")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


# ---------------------------------------------------------------------------
# Trees and query results come back identical


TREE_MODELS: dict[str, Callable[[], Any]] = {
    "kd_tree": lambda: _fit(KNeighborsClassifier(algorithm="kd_tree", leaf_size=3)),
    "ball_tree": lambda: _fit(KNeighborsClassifier(algorithm="ball_tree", leaf_size=2)),
    "kd_tree-chebyshev": lambda: _fit(NearestNeighbors(algorithm="kd_tree", p=np.inf), None),
    "ball_tree-mahalanobis": lambda: _fit(
        NearestNeighbors(
            algorithm="ball_tree", metric="mahalanobis", metric_params={"V": np.cov(X.T)}
        ),
        None,
    ),
    "ball_tree-weighted-minkowski": lambda: _fit(
        KNeighborsClassifier(
            algorithm="ball_tree", p=3, metric_params={"w": np.array([1.0, 2.0, 0.5, 1.0])}
        )
    ),
    "ball_tree-metric-object": lambda: _fit(
        KNeighborsClassifier(algorithm="ball_tree", metric=DistanceMetric.get_metric("manhattan"))
    ),
    "kde-sample-weight": lambda: KernelDensity(algorithm="ball_tree", leaf_size=3).fit(
        X, sample_weight=np.linspace(0.5, 2.0, 40)
    ),
    "lof-novelty": lambda: _fit(
        LocalOutlierFactor(n_neighbors=5, novelty=True, algorithm="kd_tree"), None
    ),
}


def _tree(model: Any) -> Any:
    return model.tree_ if isinstance(model, KernelDensity) else model._tree


@pytest.mark.parametrize("make", TREE_MODELS.values(), ids=TREE_MODELS.keys())
def test_loaded_tree_is_identical_in_every_array_and_counter(make: Callable[[], Any]) -> None:
    model = make()
    if hasattr(model, "kneighbors"):
        model.kneighbors(XQ, n_neighbors=3)  # queries move the counters: they must come back
    loaded = milo_codec.loads(milo_codec.dumps(model))
    _same_state(tuple(_tree(model).__getstate__()), tuple(_tree(loaded).__getstate__()))
    if hasattr(model, "_fit_X"):
        # the tree indexes the model's own training data, as in the original
        assert _tree(loaded).__getstate__()[0] is loaded._fit_X


@pytest.mark.parametrize("make", TREE_MODELS.values(), ids=TREE_MODELS.keys())
def test_every_query_gives_the_same_answer(make: Callable[[], Any]) -> None:
    model = make()
    loaded = milo_codec.loads(milo_codec.dumps(model))
    for name, call in {
        "kneighbors": lambda m: m.kneighbors(XQ, n_neighbors=3),
        "kneighbors_graph": lambda m: m.kneighbors_graph(XQ, n_neighbors=3).toarray(),
        "radius_neighbors": lambda m: m.radius_neighbors(XQ, radius=1.5, sort_results=True),
        "radius_neighbors_graph": lambda m: m.radius_neighbors_graph(XQ, radius=1.5).toarray(),
        "predict": lambda m: m.predict(XQ),
        "predict_proba": lambda m: m.predict_proba(XQ),
        "score_samples": lambda m: m.score_samples(XQ),
        "decision_function": lambda m: m.decision_function(XQ),
        "tree.query_radius": lambda m: _tree(m).query_radius(XQ, r=1.0, count_only=True),
        "tree.kernel_density": lambda m: _tree(m).kernel_density(XQ, h=0.7),
        "tree.two_point_correlation": lambda m: _tree(m).two_point_correlation(XQ, r=[0.5, 1.5]),
    }.items():
        if not hasattr(model, name.split(".")[0]) and not name.startswith("tree."):
            continue
        try:
            expected = call(model)
        except (ValueError, TypeError, AttributeError) as e:
            with pytest.raises(type(e)):
                call(loaded)
            continue
        got = call(loaded)
        for a, b in (
            zip(expected, got, strict=True) if isinstance(expected, tuple) else [(expected, got)]
        ):
            if a.dtype == object:
                assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b, strict=True)), name
            else:
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_a_loaded_model_writes_the_same_document() -> None:
    model = TREE_MODELS["ball_tree-mahalanobis"]()
    text = milo_codec.dumps(model)
    assert milo_codec.dumps(milo_codec.loads(text)) == text


# ---------------------------------------------------------------------------
# Dump refuses what the format cannot hold


def _my_metric(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).sum())


def test_a_callable_metric_is_refused_naming_the_value() -> None:
    model = _fit(KNeighborsClassifier(algorithm="brute", metric=_my_metric))
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert str(e.value).startswith(
        "$.model.params.metric: the callable test_neighbors_state._my_metric cannot be written"
    )


def test_a_callable_distance_metric_is_refused_naming_the_allowed_metrics() -> None:
    tree = BallTree(X, metric=DistanceMetric.get_metric("pyfunc", func=_my_metric))
    model = _fit(KNeighborsClassifier(algorithm="ball_tree"))
    model._tree = tree
    with pytest.raises(UnsupportedModelError) as e:
        milo_codec.dumps(model)
    assert str(e.value) == (
        "$.model.state._tree.ball_tree.dist_metric: cannot write a value of type "
        "sklearn.metrics._dist_metrics.PyFuncDistance64 (distance metrics other than euclidean, "
        "manhattan, chebyshev, minkowski, seuclidean, mahalanobis, hamming, canberra, "
        "braycurtis, jaccard, dice, rogerstanimoto, russellrao, sokalmichener, sokalsneath, "
        "haversine (this one calls test_neighbors_state._my_metric) are not supported by the "
        "milo format)."
    )


def test_a_tree_that_this_scikit_learn_would_not_build_is_refused() -> None:
    model = _fit(KNeighborsClassifier(algorithm="kd_tree", leaf_size=3))
    state = list(model._tree.__getstate__())
    state[1] = state[1][::-1].copy()  # same points, another order: not what a build gives
    forged = KDTree.__new__(KDTree)
    forged.__setstate__(tuple(state))
    model._tree = forged
    with pytest.raises(UnsupportedModelError, match="whose structure is not what this"):
        milo_codec.dumps(model)


# ---------------------------------------------------------------------------
# Crafted files: a clean error with the JSON path, in a process that survives

_BASE: dict[str, Callable[[], Any]] = {
    "knn-kd": lambda: _fit(KNeighborsClassifier(algorithm="kd_tree", leaf_size=3)),
    "knn-ball-mahalanobis": lambda: _fit(
        KNeighborsClassifier(
            algorithm="ball_tree", metric="mahalanobis", metric_params={"VI": np.eye(4)}
        )
    ),
    "knn-multioutput": lambda: _fit(KNeighborsClassifier(), np.c_[Y, np.arange(40) % 2]),
    "radius": lambda: _fit(RadiusNeighborsClassifier(radius=2.0)),
    "kde": lambda: KernelDensity(algorithm="kd_tree").fit(X, sample_weight=np.ones(40)),
    "lof": lambda: _fit(LocalOutlierFactor(n_neighbors=5), None),
    "centroid": lambda: _fit(NearestCentroid()),
    "nca": lambda: _fit(NeighborhoodComponentsAnalysis(n_components=2, random_state=0, max_iter=5)),
}
_DOCS: dict[str, dict] = {}


def _doc(base: str) -> dict:
    if base not in _DOCS:
        _DOCS[base] = editable_doc(_BASE[base]())
    return json.loads(json.dumps(_DOCS[base]))


def _nd(dtype: str, a: Any) -> dict:
    a = np.asarray(a)
    return {"ndarray": {"dtype": dtype, "shape": list(a.shape), "data": a.tolist()}}


def _set_y(s: dict, value: int, column: int | None = None) -> None:
    data = s["_y"]["ndarray"]["data"]
    if column is None:
        data[3] = value
    else:
        data[3][column] = value


def _drop_column(s: dict) -> None:
    nd = s["_fit_X"]["ndarray"]
    nd["data"] = [row[:-1] for row in nd["data"]]
    nd["shape"][1] -= 1


def _mahalanobis(s: dict) -> dict:
    return s["_tree"]["ball_tree"]["dist_metric"]["distance_metric"]  # type: ignore[no-any-return]


# (id, base model, mutation of the state (or of the whole model node), exact error lines)
CRAFTED: list[tuple[str, str, Callable[[dict], Any], list[str]]] = [
    (
        "label-index-out-of-range",
        "knn-kd",
        lambda s: _set_y(s, 3),
        ["$.model.state._y: labels must index classes_ (0 <= _y < 3); found 0..3"],
    ),
    (
        "negative-label-index",
        "knn-kd",
        lambda s: _set_y(s, -1),
        ["$.model.state._y: labels must index classes_ (0 <= _y < 3); found -1..2"],
    ),
    (
        "multioutput-label-out-of-range-in-second-output",
        "knn-multioutput",
        lambda s: _set_y(s, 2, column=1),
        ["$.model.state._y: labels[:, 1] must index classes_ (0 <= _y < 2); found 0..2"],
    ),
    (
        "classes-not-unique",
        "knn-kd",
        lambda s: s["classes_"]["ndarray"]["data"].__setitem__(2, 0),
        ["$.model.state.classes_: class labels must be unique"],
    ),
    (
        "n_neighbors-larger-than-fitted-samples",
        "knn-kd",
        lambda s: (
            s.update(n_samples_fit_=4)
            or s["_fit_X"]["ndarray"].update(shape=[4, 4], data=s["_fit_X"]["ndarray"]["data"][:4])
            or s["_y"]["ndarray"].update(shape=[4], data=[0, 1, 2, 0])
        ),
        ["$.model.params.n_neighbors: is 5 but the model was fitted on 4 samples (n_samples_fit_)"],
    ),
    (
        "fit_X-with-wrong-number-of-columns",
        "knn-kd",
        _drop_column,
        [
            "$.model.state._fit_X: shape[1] is 3 but n_features_in_ is 4 "
            "(from $.model.state.n_features_in_)",
            "$.model.state._tree.kd_tree.data: has 3 columns but n_features_in_ is 4",
        ],
    ),
    (
        "unknown-metric-name",
        "knn-kd",
        lambda s: s.update(effective_metric_="my_metric"),
        ["$.model.state.effective_metric_: "],
    ),
    (
        "unknown-metric-in-the-tree",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"]["dist_metric"]["distance_metric"].update(metric="pyfunc"),
        ["$.model.state._tree.kd_tree.dist_metric.distance_metric.metric: "],
    ),
    (
        "negative-radius",
        "radius",
        lambda s: None,  # the mutation is on params, see _MODEL_MUTATIONS
        ["$.model.params.radius: "],
    ),
    (
        "tree-structure-supplied",  # idx_array / node arrays are never read: no key for them
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"].update(idx_array=_nd("int64", [0, 0, 1])),
        [
            "$.model.state._tree.kd_tree.idx_array: unknown field; remove it "
            "(fields are fixed by the schema)"
        ],
    ),
    (
        "tree-data-not-the-training-data",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"].update(data=_nd("float64", np.zeros((40, 4)))),
        ["$.model.state._tree.kd_tree.data: must equal the model's _fit_X (as float64)"],
    ),
    (
        "tree-data-with-nan",
        "kde",
        lambda s: s["tree_"]["kd_tree"]["data"]["ndarray"]["data"][0].__setitem__(0, "NaN"),
        ["$.model.state.tree_.kd_tree: data must be finite"],
    ),
    (
        "tree-leaf_size-zero",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"].update(leaf_size=0),
        ["$.model.state._tree.kd_tree.leaf_size: Input should be greater than or equal to 1"],
    ),
    (
        "tree-leaf_size-not-the-models",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"].update(leaf_size=7),
        ["$.model.state._tree.kd_tree.leaf_size: is 7 but the model's leaf_size is 3"],
    ),
    (
        "tree-kind-not-the-fit-method",
        "knn-kd",
        lambda s: s.update(_fit_method="ball_tree"),
        ["$.model.state._tree: must be a ball_tree when _fit_method is ball_tree"],
    ),
    (
        "tree-metric-not-the-models",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"]["dist_metric"]["distance_metric"].update(
            metric="manhattan", p=1.0
        ),
        [
            "$.model.state._tree.kd_tree.dist_metric.distance_metric.metric: is manhattan but "
            "the model's metric is euclidean"
        ],
    ),
    (
        "haversine-in-a-kd_tree",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"]["dist_metric"]["distance_metric"].update(
            metric="haversine"
        ),
        [
            "$.model.state._tree.kd_tree: a kd_tree supports the metrics euclidean, manhattan, "
            "chebyshev, minkowski, not haversine"
        ],
    ),
    (
        "mahalanobis-matrix-for-other-features",
        "knn-ball-mahalanobis",
        lambda s: _mahalanobis(s).update(mat=_nd("float64", np.eye(3))),
        [
            "$.model.state._tree.ball_tree.dist_metric.distance_metric: mahalanobis is for 3 "
            "features but the data has 4",
        ],
    ),
    (
        "mahalanobis-matrix-not-square",
        "knn-ball-mahalanobis",
        lambda s: _mahalanobis(s).update(mat=_nd("float64", np.ones((4, 3)))),
        [
            "$.model.state._tree.ball_tree.dist_metric.distance_metric: mahalanobis needs a "
            "square matrix VI in mat"
        ],
    ),
    (
        "metric-p-not-the-metrics",
        "knn-ball-mahalanobis",
        lambda s: _mahalanobis(s).update(p=3.0),
        ["$.model.state._tree.ball_tree.dist_metric.distance_metric: mahalanobis has p = 2.0"],
    ),
    (
        "metric-matrix-fortran-ordered",
        "knn-ball-mahalanobis",
        lambda s: _mahalanobis(s)["mat"]["ndarray"].update(order="F"),
        [
            "$.model.state._tree.ball_tree.dist_metric.distance_metric: vec and mat must be "
            "C-contiguous (no order)"
        ],
    ),
    (
        "sample_weight-of-wrong-length",
        "kde",
        lambda s: s["tree_"]["kd_tree"].update(sample_weight=_nd("float64", np.ones(39))),
        ["$.model.state.tree_.kd_tree: sample_weight has 39 entries but data has 40 samples"],
    ),
    (
        "negative-sample_weight",
        "kde",
        lambda s: s["tree_"]["kd_tree"].update(sample_weight=_nd("float64", -np.ones(40))),
        ["$.model.state.tree_.kd_tree: sample_weight must be finite and non-negative"],
    ),
    (
        "query-counter-out-of-C-int-range",
        "knn-kd",
        lambda s: s["_tree"]["kd_tree"].update(n_calls=2**31),
        ["$.model.state._tree.kd_tree.n_calls: Input should be less than or equal to 2147483647"],
    ),
    (
        "lof-arrays-shorter-than-the-samples",
        "lof",
        lambda s: s["_lrd"]["ndarray"].update(shape=[39], data=s["_lrd"]["ndarray"]["data"][:39]),
        [
            "$.model.state._lrd: shape[0] is 39 but n_samples_fit_ is 40 "
            "(from $.model.state.n_samples_fit_)"
        ],
    ),
    (
        "lof-more-neighbors-than-samples",
        "lof",
        lambda s: s.update(n_neighbors_=40),
        ["$.model.state.n_neighbors_: is 40 but n_neighbors = 5 over 40 samples makes it 5"],
    ),
    (
        "centroids-of-wrong-shape",
        "centroid",
        lambda s: s["centroids_"]["ndarray"].update(
            shape=[2, 4], data=s["centroids_"]["ndarray"]["data"][:2]
        ),
        [
            "$.model.state.centroids_: shape[0] is 2 but n_classes is 3 "
            "(from $.model.state.classes_.shape[0])"
        ],
    ),
    (
        "nca-components-of-wrong-shape",
        "nca",
        lambda s: s["components_"]["ndarray"].update(
            shape=[1, 4], data=s["components_"]["ndarray"]["data"][:1]
        ),
        [
            "$.model.state.components_: has 1 rows but n_components is 2 "
            "(at most n_features_in_ = 4)"
        ],
    ),
]
_MODEL_MUTATIONS: dict[str, Callable[[dict], Any]] = {
    "negative-radius": lambda m: m["params"].update(radius=-1.0),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every crafted document, and each untouched base, loaded in child processes, once."""
    docs: dict[str, Any] = {}
    for case, base, mutate, _ in CRAFTED:
        doc = _doc(base)
        mutate(doc["model"]["state"])
        _MODEL_MUTATIONS.get(case, lambda m: None)(doc["model"])
        docs[case] = doc
    for base in _BASE:
        docs[f"untouched-{base}"] = _doc(base)
    return load_in_children(docs, tmp_path_factory.mktemp("crafted-neighbors"))


@pytest.mark.parametrize(
    ("base", "mutate", "expected"),
    [pytest.param(b, m, e, id=i) for i, b, m, e in CRAFTED],
)
def test_crafted_state_is_refused_with_its_path(
    request: pytest.FixtureRequest,
    base: str,
    mutate: Callable[[dict], Any],
    expected: list[str],
    outcomes: dict[str, Outcome],
) -> None:
    out = outcomes[request.node.callspec.id]
    assert out.lines[0] in ("SchemaError", "InvariantError"), out
    lines = [line.strip() for line in out.lines[1:]]
    for want in expected:
        assert any(line.startswith(want) for line in lines), f"{want!r} not in:\n{out.message}"


def test_an_untouched_file_loads_in_the_subprocess(outcomes: dict[str, Outcome]) -> None:
    """The control: the same route loads the unmodified documents."""
    for base in _BASE:
        assert outcomes[f"untouched-{base}"].status == "loaded", base
