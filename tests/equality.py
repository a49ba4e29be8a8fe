"""Exact equality of Python values, as a round trip must preserve them: same types, same
dtypes, same bits (NaN payload-insensitive only where numpy itself is), same key order."""

from __future__ import annotations

import struct
import types
from typing import Any

import numpy as np
import scipy.sparse as sp

from milo_codec.values.arrays import fortran_row_slice, reversed_axes

# Objects compared through their __dict__ whose comparison is under way (id(a) → id(b)):
# linked structures (Birch's leaf list) refer back to them, and meeting one again must meet
# its counterpart again rather than recurse forever.
_IN_PROGRESS: dict[int, int] = {}


def assert_identical(a: Any, b: Any, path: str = "$", layout: bool = True) -> None:
    """``layout=False`` compares array values and dtypes but not memory layout (for outputs)."""
    ta, tb = type(a), type(b)
    assert ta is tb, (
        f"{path}: type {ta.__module__}.{ta.__qualname__} != {tb.__module__}.{tb.__qualname__}"
    )
    if _is_frame(a):
        _frames(a, b, path)
    elif a is None or ta in (bool, str, int, bytes):
        assert a == b, f"{path}: {a!r} != {b!r}"
    elif ta is float:
        assert struct.pack("<d", a) == struct.pack("<d", b), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), f"{path}: {a!r} != {b!r}"
    elif ta is np.ndarray:
        _arrays(a, b, path, layout)
    elif ta is np.ma.MaskedArray:
        _masked(a, b, path, layout)
    elif _is_frozen_distribution(a):
        _frozen_distributions(a, b, path)
    elif ta is np.random.RandomState:
        assert_identical(
            a.get_state(legacy=False), b.get_state(legacy=False), f"{path}.get_state()"
        )
    elif ta is np.random.Generator:
        assert_identical(
            a.bit_generator.state, b.bit_generator.state, f"{path}.bit_generator.state"
        )
    elif sp.issparse(a):
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        for name in ("data", "indices", "indptr"):
            _arrays(getattr(a, name), getattr(b, name), f"{path}.{name}", layout)
    elif ta in (list, tuple):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}[{i}]", layout)
    elif ta is dict:
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_identical(a[k], b[k], f"{path}[{k!r}]", layout)
    elif ta is types.FunctionType:
        # a function read back from its closed-table name is the very object in the table
        assert a is b, f"{path}: {a!r} is not {b!r}"
    elif isinstance(a, np.dtype | type) or (callable(a) and not hasattr(a, "__dict__")):
        assert a == b, f"{path}: {a!r} != {b!r}"
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        if hasattr(a, "__func__"):  # bound method: same function, same owner state
            assert a.__func__ is b.__func__, f"{path}: different functions"
            return
        if id(a) in _IN_PROGRESS:
            assert _IN_PROGRESS[id(a)] == id(b), f"{path}: links back to a different object"
            return
        _IN_PROGRESS[id(a)] = id(b)
        try:
            assert_identical(vars(a), vars(b), f"{path}.__dict__", layout)
        finally:
            del _IN_PROGRESS[id(a)]
    elif hasattr(a, "__reduce__") and type(a).__module__.startswith("sklearn."):
        ra, rb = a.__reduce__(), b.__reduce__()
        assert_identical(ra[0], rb[0], f"{path}.__reduce__[0]")
        assert_identical(tuple(ra[1]), tuple(rb[1]), f"{path}.__reduce__[1]")
        if len(ra) > 2:  # the object's state (e.g. a Tree's nodes and values)
            assert_identical(ra[2], rb[2], f"{path}.__reduce__[2]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _arrays(a: np.ndarray, b: np.ndarray, path: str, layout: bool = True) -> None:
    assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
    assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
    if not layout:
        pass
    elif a.flags.c_contiguous or a.flags.f_contiguous:
        assert (a.flags.c_contiguous, a.flags.f_contiguous) == (
            b.flags.c_contiguous,
            b.flags.f_contiguous,
        ), f"{path}: memory layout differs"
    elif fortran_row_slice(a) is not None or reversed_axes(a) is not None:
        # the leading rows of a Fortran-ordered buffer, or a compact buffer read backwards
        assert _strides(b) == _strides(a), f"{path}: strides {b.strides} != {a.strides}"
    else:  # a strided view of some larger array comes back as a compact C-ordered copy
        assert b.flags.c_contiguous, f"{path}: a strided array must come back C-contiguous"
    if a.dtype.kind == "O":
        for i, (x, y) in enumerate(zip(a.reshape(-1), b.reshape(-1), strict=True)):
            assert_identical(x, y, f"{path}.flat[{i}]")
    else:
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), (
            f"{path}: values differ"
        )


def _masked(a: np.ma.MaskedArray, b: np.ma.MaskedArray, path: str, layout: bool) -> None:
    """Data (masked entries included), mask, dtype and fill value, not numpy's bookkeeping."""
    _arrays(a.data, b.data, f"{path}.data", layout)
    assert (a.mask is np.ma.nomask) == (b.mask is np.ma.nomask), f"{path}: nomask differs"
    _arrays(np.ma.getmaskarray(a), np.ma.getmaskarray(b), f"{path}.mask", layout)
    # The stored field: reading the .fill_value property sets it (numpy fills it in lazily).
    assert_identical(a._fill_value, b._fill_value, f"{path}._fill_value")
    assert (a._hardmask, a._sharedmask) == (b._hardmask, b._sharedmask), f"{path}: mask flags"


def _is_frozen_distribution(v: Any) -> bool:
    from scipy.stats._distn_infrastructure import rv_frozen

    return isinstance(v, rv_frozen)


def _frozen_distributions(a: Any, b: Any, path: str) -> None:
    """Same distribution, arguments and random state. scipy makes each distribution's
    argument parsers per instance (exec of one template; unpickling makes new ones too), so
    those bound methods are compared by their code, everything else exactly."""
    da, db = vars(a.dist), vars(b.dist)
    assert type(a.dist) is type(b.dist), f"{path}.dist: {type(a.dist)} != {type(b.dist)}"
    assert sorted(da) == sorted(db), f"{path}.dist: attributes {sorted(da)} != {sorted(db)}"
    for key in da:
        x, y = da[key], db[key]
        if hasattr(x, "__func__") and hasattr(x.__func__, "__code__"):
            assert x.__func__.__code__ == y.__func__.__code__, f"{path}.dist.{key}: code differs"
        elif hasattr(x, "__func__"):  # a method made of a per-instance numpy.vectorize
            assert_identical(x.__func__, y.__func__, f"{path}.dist.{key}.__func__")
        elif key == "_random_state" and x is np.random.mtrand._rand:
            assert y is x, f"{path}.dist._random_state: not numpy's global RandomState"
        else:
            assert_identical(x, y, f"{path}.dist.{key}")
    assert_identical(
        {k: v for k, v in vars(a).items() if k != "dist"},
        {k: v for k, v in vars(b).items() if k != "dist"},
        f"{path}.__dict__",
    )


def _strides(a: np.ndarray) -> list[int]:
    """Strides of the axes that have any (numpy ignores a stride over one element)."""
    return [s for s, n in zip(a.strides, a.shape, strict=True) if n > 1]


def _is_frame(v: Any) -> bool:
    return type(v).__module__.split(".")[0] == "pandas"


def _frames(a: Any, b: Any, path: str) -> None:
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        for col in a.columns:
            _arrays(a[col].to_numpy(), b[col].to_numpy(), f"{path}[{col!r}]", layout=False)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True)
        _arrays(a.to_numpy(), b.to_numpy(), path, layout=False)
    else:
        assert a.equals(b), f"{path}: pandas objects differ"
