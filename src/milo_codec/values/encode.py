"""Python values → JSON trees, keeping every value's exact type.

The mapping is fixed by the value's type alone; the schema then decides whether that value
is allowed where it stands (``dump`` validates what it wrote before writing the file).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from milo_codec.errors import UnsupportedModelError
from milo_codec.objects import kind_for
from milo_codec.paths import child
from milo_codec.values import arrays, objects
from milo_codec.values.raw import json_int, plain_json
from milo_codec.values.scalars import encode_float, encode_numpy_scalar

ModelEncoder = Callable[[Any, str], dict]


class ValueEncoder:
    """Encodes one document's values; nested estimators go back through ``encode_model``.

    An array, estimator or object-kind object met a second time is written as
    ``{"alias": path}`` of its first occurrence, so shared references come back shared (as
    pickle keeps them). Only values at addressable places (model fields, list, tuple and
    object-array items, string-keyed dict values) can be alias targets; inside object payloads,
    numeric arrays and dict_items they are written out.
    """

    def __init__(self, encode_model: ModelEncoder) -> None:
        self.encode_model = encode_model
        self._seen: dict[int, tuple[str, Any]] = {}
        self._opaque = 0

    def _alias_or_register(self, v: Any, path: str) -> dict | None:
        seen = self._seen.get(id(v))
        if seen is not None:
            return {"alias": seen[0]}
        if not self._opaque:
            self._seen[id(v)] = (path, v)  # keep v alive so its id is not reused
        return None

    def written(self) -> list[tuple[str, Any]]:
        """Every value written so far at an addressable place, with its path, in order.

        An object kind's writer may refer to one of them with ``{"alias": path}``, e.g. a node
        of a linked structure whose graph an earlier field already holds.
        """
        return list(self._seen.values())

    def opaque(self, encode: Callable[[], Any]) -> Any:
        """Encode something whose inner paths are not addressable (no alias targets inside)."""
        self._opaque += 1
        try:
            return encode()
        finally:
            self._opaque -= 1

    def __call__(self, v: Any, path: str) -> Any:
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return json_int(v)
        if t is float:
            return encode_float(v)
        if t is list:
            if plain_json(v):  # e.g. a list of feature names: no path to spell per item
                return list(v)
            return [self(x, child(path, i)) for i, x in enumerate(v)]
        if t is tuple:
            if plain_json(v):
                return {"tuple": list(v)}
            return {"tuple": [self(x, child(path, i)) for i, x in enumerate(v)]}
        if t is dict:
            if set(map(type, v)) <= {str}:
                if plain_json(v.values()):  # e.g. a vocabulary of 50,000 terms
                    return {"dict": dict(v)}
                return {"dict": {k: self(x, child(path, k)) for k, x in v.items()}}
            return self.opaque(
                lambda: {
                    "dict_items": [
                        [self(k, f"{path}.<key {i}>"), self(x, f"{path}[{k!r}]")]
                        for i, (k, x) in enumerate(v.items())
                    ]
                }
            )
        if t is np.ndarray:
            alias = self._alias_or_register(v, path)
            if alias is not None:
                return alias
            return self._array(v, path)
        if t is slice:
            parts = (v.start, v.stop, v.step)
            if not all(p is None or type(p) is int for p in parts):
                raise _unsupported(path, v, "slices of anything but integers")
            return {"slice": list(parts)}
        if _is_bunch(v):
            if not all(type(key) is str for key in v):
                raise _unsupported(path, v, "Bunch objects with non-string keys")
            if plain_json(v.values()):
                return {"bunch": dict(v)}
            return {"bunch": {key: self(x, child(path, key)) for key, x in v.items()}}
        if isinstance(v, np.generic) and t in _SCALAR_TYPES:
            return encode_numpy_scalar(v)
        if t is np.dtype or isinstance(v, np.dtype):
            return {"dtype": self._dtype(v, path)}
        if isinstance(v, type):
            name = objects.type_name(v)
            if name is None:
                raise _unsupported(path, v, f"type objects other than {', '.join(objects.TYPES)}")
            return {"type": name}
        if arrays.is_sparse(v):
            try:
                return arrays.encode_sparse(v, self, path)
            except TypeError as e:
                raise _unsupported(path, v, str(e)) from None
        if _is_estimator(v):
            alias = self._alias_or_register(v, path)
            if alias is not None:
                return alias
            return self.encode_model(v, path)
        kind = kind_for(v)
        if kind is not None:
            if kind.shareable:  # e.g. one RandomState shared by a model and its trees
                alias = self._alias_or_register(v, path)
                if alias is not None:
                    return alias
            try:
                payload = lambda: kind.encode(v, self, f"{path}.{kind.tag}")  # noqa: E731
                return {kind.tag: payload() if kind.addressable else self.opaque(payload)}
            except TypeError as e:
                raise _unsupported(path, v, str(e)) from None
        if objects.is_compiled_loss(v):
            try:
                return objects.encode_compiled_loss(v)
            except TypeError as e:
                raise _unsupported(path, v, str(e)) from None
        if objects.is_python_loss(v):
            try:
                return objects.encode_python_loss(v, self, path)
            except TypeError as e:
                raise _unsupported(path, v, str(e)) from None
        if _is_bspline(v):
            return {
                "bspline": {
                    "t": self._array(v.t, f"{path}.t"),
                    "c": self._array(v.c, f"{path}.c"),
                    "k": int(v.k),
                    "extrapolate": v.extrapolate
                    if v.extrapolate == "periodic"
                    else bool(v.extrapolate),
                    "axis": int(v.axis),
                }
            }
        if callable(v):
            name = objects.function_name(v)
            if name is None:
                raise UnsupportedModelError(
                    f"{path}: the callable {_describe(v)} cannot be written: a file may only name "
                    f"functions from the allow-list ({', '.join(objects.FUNCTIONS)}). "
                    "Use one of them, or a built-in option of the estimator instead of a function."
                    + objects.callable_hint(path)
                )
            return {"function": name}
        raise _unsupported(path, v, "values of this type")

    def _array(self, a: np.ndarray, path: str) -> dict:
        try:
            if a.dtype.names is not None:
                return arrays.encode_recarray(a, path)
            if a.dtype.kind == "O":
                return arrays.encode_ndarray(a, self, path)  # elements addressable as path[i][j]
            return self.opaque(lambda: arrays.encode_ndarray(a, self, path))
        except TypeError as e:
            raise _unsupported(path, a, str(e)) from None

    def _dtype(self, d: np.dtype, path: str) -> str:
        try:
            name = arrays.dtype_name(np.dtype(d))
        except TypeError as e:
            raise _unsupported(path, d, str(e)) from None
        return name


_SCALAR_TYPES = {
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float32,
    np.float64,
    np.str_,
}


def _is_estimator(v: Any) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(v, BaseEstimator)


def _is_bunch(v: Any) -> bool:
    from sklearn.utils import Bunch

    return type(v) is Bunch


def _is_bspline(v: Any) -> bool:
    from scipy.interpolate import BSpline

    return type(v) is BSpline


def _describe(v: Any) -> str:
    # A partial is named by what it wraps: even a partial of a listed function is refused.
    if type(v) is functools.partial:
        more = ", ..." if v.args or v.keywords else ""
        return f"functools.partial({_describe(v.func)}{more})"
    mod = getattr(v, "__module__", None) or type(v).__module__
    name = getattr(v, "__qualname__", None) or type(v).__qualname__
    return f"{mod}.{name}"


def _unsupported(path: str, v: Any, what: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"{path}: cannot write a value of type {type(v).__module__}.{type(v).__qualname__} "
        f"({what} are not supported by the milo format)."
    )
