"""Invariants of the sklearn.neural_network family, listed in schemas by x-milo-invariants.

An MLP is a chain of weight matrices: ``coefs_[i]`` maps layer ``i`` (``layer_units[i]``
units) to layer ``i + 1``, ``intercepts_[i]`` biases layer ``i + 1``. Prediction, ``partial_fit``
and a ``warm_start`` fit all assume that chain (and the optimizer's per-weight arrays) line
up; a broken one would fail deep inside numpy, or worse, silently broadcast. The number of
layers is small (one matrix per layer), so plain loops over layers are fine here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from milo_codec.errors import Problem
from milo_codec.invariants.base import Check
from milo_codec.objects.neural_network import payload_arrays


def _arrays(value: Any) -> list[np.ndarray] | None:
    if isinstance(value, list) and all(type(a) is np.ndarray for a in value):
        return value
    return None


def _hidden_layer_sizes(value: Any) -> list[int] | None:
    """The parameter as scikit-learn reads it: an int is one layer, else any sequence."""
    if type(value) is int or isinstance(value, np.integer):
        return [int(value)]
    if isinstance(value, list | tuple | np.ndarray):
        return [int(v) for v in value]
    return None


def mlp_layers(params: dict, state: dict, path: str) -> list[Problem]:
    """``n_layers_``, ``coefs_``, ``intercepts_`` (and the best-so-far copies) form one chain."""
    at = f"{path}.state"
    coefs, intercepts = _arrays(state.get("coefs_")), _arrays(state.get("intercepts_"))
    if coefs is None or intercepts is None:
        return []
    problems = []
    n_layers = state.get("n_layers_")
    if n_layers != len(coefs) + 1:
        problems.append(
            Problem(
                f"{at}.n_layers_",
                f"is {n_layers} but coefs_ holds {len(coefs)} matrices (n_layers_ - 1 expected)",
            )
        )
    if len(intercepts) != len(coefs):
        problems.append(
            Problem(
                f"{at}.intercepts_",
                f"holds {len(intercepts)} vectors but coefs_ holds {len(coefs)} matrices",
            )
        )
    n_features, n_outputs = state.get("n_features_in_"), state.get("n_outputs_")
    if coefs and coefs[0].shape[0] != n_features:
        problems.append(
            Problem(
                f"{at}.coefs_[0]",
                f"has {coefs[0].shape[0]} rows but n_features_in_ is {n_features}",
            )
        )
    for i in range(1, len(coefs)):
        if coefs[i].shape[0] != coefs[i - 1].shape[1]:
            problems.append(
                Problem(
                    f"{at}.coefs_[{i}]",
                    f"has {coefs[i].shape[0]} rows but coefs_[{i - 1}] has "
                    f"{coefs[i - 1].shape[1]} columns",
                )
            )
    if coefs and coefs[-1].shape[1] != n_outputs:
        problems.append(
            Problem(
                f"{at}.coefs_[{len(coefs) - 1}]",
                f"has {coefs[-1].shape[1]} columns but n_outputs_ is {n_outputs}",
            )
        )
    for i, (c, b) in enumerate(zip(coefs, intercepts, strict=False)):
        if b.shape[0] != c.shape[1]:
            problems.append(
                Problem(
                    f"{at}.intercepts_[{i}]",
                    f"has length {b.shape[0]} but coefs_[{i}] has {c.shape[1]} columns",
                )
            )
    hidden = _hidden_layer_sizes(params.get("hidden_layer_sizes"))
    units = [c.shape[1] for c in coefs[:-1]]
    if hidden is not None and hidden != units:
        problems.append(
            Problem(
                f"{path}.params.hidden_layer_sizes",
                f"is {hidden} but the hidden layers of coefs_ have {units} units",
            )
        )
    # The best weights so far replace coefs_ when early stopping ends a fit.
    for name, ref_name, ref in (
        ("_best_coefs", "coefs_", coefs),
        ("_best_intercepts", "intercepts_", intercepts),
    ):
        best = _arrays(state.get(name))
        if best is not None and [a.shape for a in best] != [a.shape for a in ref]:
            problems.append(Problem(f"{at}.{name}", f"shapes differ from those of {ref_name}"))
    return problems


def mlp_optimizer_state(params: dict, state: dict, path: str) -> list[Problem]:
    """Every per-weight array of the optimizer has the shape of its weight (coefs_ + intercepts_)."""
    optimizer = payload_arrays(state.get("_optimizer"))
    coefs, intercepts = _arrays(state.get("coefs_")), _arrays(state.get("intercepts_"))
    if optimizer is None or coefs is None or intercepts is None:
        return []
    tag, lists = optimizer
    weights = [a.shape for a in coefs + intercepts]
    problems = []
    for name, arrays in lists.items():
        at = f"{path}.state._optimizer.{tag}.{name}"
        if len(arrays) != len(weights):
            problems.append(
                Problem(
                    at, f"holds {len(arrays)} arrays but the network has {len(weights)} weights"
                )
            )
            continue
        for i, (a, shape) in enumerate(zip(arrays, weights, strict=True)):
            if a.shape != shape:
                weight = f"coefs_[{i}]" if i < len(coefs) else f"intercepts_[{i - len(coefs)}]"
                problems.append(
                    Problem(
                        f"{at}[{i}]", f"has shape {list(a.shape)} but {weight} has {list(shape)}"
                    )
                )
    return problems


def _node_state(node: Any) -> dict[str, Any] | None:
    from milo_codec.codecs.base import NodeModel

    if isinstance(node, NodeModel) and node.state is not None:
        return node.state.fields_by_json_name()
    return None


def mlp_classifier_outputs(params: dict, state: dict, path: str) -> list[Problem]:
    """Output units, output activation and labels agree with the label binarizer's view of y.

    A binary problem has one logistic output unit, a multiclass one a softmax unit per class,
    a multilabel one a logistic unit per label; predictions are decoded by ``_label_binarizer``.
    """
    at = f"{path}.state"
    binarizer = state.get("_label_binarizer")
    if binarizer is None:
        return []
    class_path = binarizer.codec().class_path
    if class_path != "sklearn.preprocessing.LabelBinarizer":
        return [Problem(f"{at}._label_binarizer", f"must be a LabelBinarizer, not {class_path}")]
    lb = _node_state(binarizer)
    if lb is None:
        return [Problem(f"{at}._label_binarizer", "must be fitted")]
    problems = []
    classes, lb_classes = state.get("classes_"), lb.get("classes_")
    if (
        isinstance(classes, np.ndarray)
        and isinstance(lb_classes, np.ndarray)
        and not (
            classes is lb_classes
            or (classes.dtype == lb_classes.dtype and np.array_equal(classes, lb_classes))
        )
    ):
        problems.append(Problem(f"{at}.classes_", "differs from _label_binarizer.classes_"))
    y_type, n_outputs = lb.get("y_type_"), state.get("n_outputs_")
    if isinstance(classes, np.ndarray) and type(n_outputs) is int:
        n = classes.shape[0]
        expected = n if y_type == "multilabel-indicator" or n > 2 else 1
        if n_outputs != expected:
            problems.append(
                Problem(
                    f"{at}.n_outputs_",
                    f"is {n_outputs} but {n} classes ({y_type}) need {expected} output "
                    + ("unit" if expected == 1 else "units"),
                )
            )
    activation = state.get("out_activation_")
    expected_activation = "softmax" if y_type == "multiclass" else "logistic"
    if activation is not None and activation != expected_activation:
        problems.append(
            Problem(
                f"{at}.out_activation_",
                f"is {activation!r} but a {y_type} problem uses {expected_activation!r}",
            )
        )
    return problems


def rbm_hidden_units(params: dict, state: dict, path: str) -> list[Problem]:
    """The transform's output width is the number of hidden units (rows of ``components_``)."""
    components, n_out = state.get("components_"), state.get("_n_features_out")
    if (
        isinstance(components, np.ndarray)
        and components.ndim == 2
        and type(n_out) is int
        and n_out != components.shape[0]
    ):
        return [
            Problem(
                f"{path}.state._n_features_out",
                f"is {n_out} but components_ has {components.shape[0]} rows",
            )
        ]
    return []


CHECKS: dict[str, Check] = {
    "mlp_layers": mlp_layers,
    "mlp_optimizer_state": mlp_optimizer_state,
    "mlp_classifier_outputs": mlp_classifier_outputs,
    "rbm_hidden_units": rbm_hidden_units,
}
