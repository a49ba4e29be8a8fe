"""numpy arrays, structured arrays and scipy sparse matrices: encoding to JSON and strict decoding.

Readable encoding: ``{"ndarray": {"dtype": ..., "shape": [...], "data": <nested lists>}}``.
Numbers are written with numpy's shortest round-trip repr (float32 values with float32's own
shortest repr), so every value reads back bit-exactly. Non-finite floats are the strings
``"NaN"`` (``"-NaN"`` when its sign bit is set), ``"Infinity"`` and ``"-Infinity"`` so the
file stays strict JSON.

Decoding checks every element's JSON type and every value's range with vectorised numpy
operations: a large numeric array costs no per-element Python bytecode.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np
import orjson

from milo_codec.limits import charge_array, check_array
from milo_codec.values.members import (
    block_hash,
    is_numeric,
    member_for,
    read_member,
    record_decoded,
    record_hash,
)
from milo_codec.values.problems import DecodeProblem
from milo_codec.values.raw import RawJSON

NUMERIC_DTYPES: tuple[str, ...] = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
)
# \Z, not $: Python's $ also matches before a trailing newline ("U1\n"), which the
# schema's ECMA-262 pattern refuses.
_STR_DTYPE = re.compile(r"^U([1-9][0-9]{0,5})\Z")
# A NaN's sign survives (x86 arithmetic makes negative NaNs); other payload bits do not.
NONFINITE = {"NaN": np.nan, "-NaN": -np.nan, "Infinity": np.inf, "-Infinity": -np.inf}
MAX_NDIM = 8

ElementDecoder = Callable[[Any, tuple[str | int, ...]], Any]


# ---------------------------------------------------------------------------
# dtype names


@functools.lru_cache(maxsize=256)
def dtype_name(dtype: np.dtype) -> str:
    """The file's name for a dtype, or raise ``TypeError`` if it is outside the closed list.

    Cached: numpy builds ``dtype.name`` anew on each access, and a forest has thousands of
    arrays of a handful of dtypes."""
    if dtype.kind == "U":
        if dtype.byteorder == ">":
            raise TypeError(f"big-endian dtype {dtype} is not supported")
        return f"U{dtype.itemsize // 4}"
    if dtype.kind == "O":
        return "object"
    if dtype.names is not None:
        raise TypeError("structured dtypes are written as recarray values")
    if dtype.byteorder == ">" or (dtype.byteorder == "=" and not np.little_endian):
        raise TypeError(f"big-endian dtype {dtype} is not supported")
    name = dtype.name
    if name not in NUMERIC_DTYPES:
        raise TypeError(f"dtype {dtype} is not in the supported list {', '.join(NUMERIC_DTYPES)}")
    return name


def parse_dtype(name: Any) -> np.dtype:
    if isinstance(name, str):
        if name in NUMERIC_DTYPES:
            # native order: files are little-endian, and so is every platform numpy wheels target
            return np.dtype(name)
        if name == "object":
            return np.dtype(object)
        m = _STR_DTYPE.match(name)
        if m:
            return np.dtype(f"<U{m.group(1)}")
    raise DecodeProblem(("dtype",), f"unknown dtype {name!r}")


# ---------------------------------------------------------------------------
# encoding


def _nested(flat: list[str], shape: tuple[int, ...]) -> str:
    """Join pre-rendered element texts into nested JSON lists of the given shape."""
    if len(shape) == 0:
        return flat[0]
    if len(shape) == 1:
        return "[" + ",".join(flat) + "]"
    step = int(np.prod(shape[1:], dtype=np.int64))
    if step == 0:
        inner = _nested([], shape[1:])
        return "[" + ",".join([inner] * shape[0]) + "]"
    return (
        "["
        + ",".join(_nested(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0]))
        + "]"
    )


def render_numeric(a: np.ndarray) -> str:
    """JSON text of a numeric array's data (nested lists), without per-element Python code."""
    kind = a.dtype.kind
    if kind in "biu" or np.isfinite(a).all():
        # orjson writes straight from the buffer, floats with the shortest text that reads
        # back to the same float64 (float32: the same float32). It would write NaN as null,
        # so arrays holding non-finite values take the path below.
        if a.ndim == 0:
            return orjson.dumps(a.reshape(1), option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode()
        c = a if a.flags.c_contiguous else np.ascontiguousarray(a)
        return orjson.dumps(c, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    if kind == "b":
        text = np.where(a.reshape(-1), "true", "false")
    elif kind in "iu":
        text = a.reshape(-1).astype(str)
    else:
        flat = a.reshape(-1)
        text = flat.astype(str)
        if not np.isfinite(flat).all():
            text = text.astype(object)
            nan = np.isnan(flat)
            negative = np.signbit(flat)
            text[nan & ~negative] = '"NaN"'
            text[nan & negative] = '"-NaN"'
            text[np.isposinf(flat)] = '"Infinity"'
            text[np.isneginf(flat)] = '"-Infinity"'
    return _nested(text.tolist(), a.shape)


def encode_ndarray(a: np.ndarray, encode_element: Callable[[Any, str], Any], path: str) -> dict:
    name = dtype_name(a.dtype)
    if a.ndim > MAX_NDIM:
        raise TypeError(f"arrays of more than {MAX_NDIM} dimensions are not supported")
    payload: dict[str, Any] = {"dtype": name, "shape": list(a.shape)}
    if a.ndim >= 2 and a.flags.f_contiguous and not a.flags.c_contiguous:
        # Memory order is kept: BLAS kernels (and so the last bits of results) depend on it.
        payload["order"] = "F"
    elif (rows := fortran_row_slice(a)) is not None:
        # BLAS sees the leading dimension of the buffer, not only the order
        payload["order"] = "F"
        payload["allocated_rows"] = rows
    elif (flipped := reversed_axes(a)) is not None:
        # e.g. Vt[::-1]: reading a buffer backwards takes other BLAS paths than a copy would
        if not _flip(a, flipped).flags.c_contiguous:
            payload["order"] = "F"
        payload["reversed_axes"] = list(flipped)
    if name == "object":
        # elements are addressed by their index, like list items: $.model.state.estimators_[0][1]
        flat = [
            encode_element(x, path + "".join(f"[{int(i)}]" for i in np.unravel_index(n, a.shape)))
            for n, x in enumerate(a.reshape(-1))
        ]
        payload["data"] = _nest_objects(flat, a.shape)
    elif a.dtype.kind == "U":
        payload["data"] = a.tolist()
    elif (member := member_for(a)) is not None:
        payload["member"] = member  # compact mode: the C-order block, beside the document
    else:
        # Not np.ascontiguousarray: it turns a 0-d array into a 1-d one. render_numeric
        # flattens in C order whatever the memory layout.
        payload["data"] = RawJSON(render_numeric(a))
    return {"ndarray": payload}


def allocation_limit(size: int) -> int:
    """Most elements a Fortran buffer may hold for an array of ``size`` elements: a file cannot
    make a reader allocate much more than the data it holds."""
    return max(16 * size, 1 << 22)


def fortran_row_slice(a: np.ndarray) -> int | None:
    """The rows allocated in the Fortran-ordered buffer ``a`` is the leading rows of (e.g.
    ``components_ = V[:k]`` of a LAPACK result), or None when ``a`` is not such a slice."""
    if a.ndim != 2 or a.dtype.kind not in "biuf" or a.shape[0] == 0 or a.shape[1] < 2:
        return None
    if a.flags.c_contiguous or a.flags.f_contiguous or a.strides[0] != a.itemsize:
        return None
    rows, rest = divmod(a.strides[1], a.itemsize)
    if rest or rows <= a.shape[0] or rows * a.shape[1] > allocation_limit(a.size):
        return None
    return rows


def _flip(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return a[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(a.ndim))]


def reversed_axes(a: np.ndarray) -> tuple[int, ...] | None:
    """The axes along which ``a`` reads a compact (C or Fortran) buffer backwards, or None
    when ``a`` is not such a view."""
    if a.dtype.kind not in "biuf" or a.size == 0:
        return None
    axes = tuple(i for i in range(a.ndim) if a.strides[i] < 0 and a.shape[i] > 1)
    if not axes or a.flags.c_contiguous or a.flags.f_contiguous:
        return None
    flipped = _flip(a, axes)
    return axes if flipped.flags.c_contiguous or flipped.flags.f_contiguous else None


def _nest_objects(flat: list[Any], shape: tuple[int, ...]) -> Any:
    if len(shape) == 0:
        return flat[0]
    if len(shape) == 1:
        return flat
    step = int(np.prod(shape[1:], dtype=np.int64))
    return [_nest_objects(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def encode_recarray(a: np.ndarray, path: str) -> dict:
    """A structured array as named columns, with the exact field offsets and itemsize."""
    if a.dtype.names is None:
        raise TypeError("not a structured array")
    fields = []
    columns: dict[str, Any] = {}
    offsets = []
    for name in a.dtype.names:
        sub, offset = a.dtype.fields[name][:2]  # type: ignore[index]
        if sub.shape:
            raise TypeError(f"structured field {name!r} has a sub-array dtype")
        fields.append([name, dtype_name(sub)])
        offsets.append(int(offset))
    payload: dict[str, Any] = {
        "shape": list(a.shape),
        "fields": fields,
        "offsets": offsets,
        "itemsize": int(a.dtype.itemsize),
    }
    # Compact mode: the records as one block, padding bytes zeroed so equal models give
    # equal files.
    if (member := member_for(_zero_padded(a) if is_numeric(a.dtype) else a)) is not None:
        payload["member"] = member
        return {"recarray": payload}
    for name in a.dtype.names:
        sub = a.dtype.fields[name][0]  # type: ignore[index]
        col = a[name]  # a strided view; kept 0-d for a 0-d array
        if sub.kind == "U":
            columns[name] = col.tolist()
        elif (member := member_for(col)) is not None:
            columns[name] = {"member": member}
        else:
            columns[name] = RawJSON(render_numeric(col))
    payload["columns"] = columns
    return {"recarray": payload}


def _zero_padded(a: np.ndarray) -> np.ndarray:
    out = np.zeros(a.shape, a.dtype)
    for name in a.dtype.names or ():
        out[name] = a[name]
    return out


# (format, container) → the scipy.sparse class, by name: scipy.sparse is imported only by a
# file or a model that holds a sparse matrix.
SPARSE_TYPES: dict[tuple[str, str], str] = {
    ("csr", "matrix"): "csr_matrix",
    ("csc", "matrix"): "csc_matrix",
    ("csr", "array"): "csr_array",
    ("csc", "array"): "csc_array",
}


def is_sparse(v: Any) -> bool:
    """Whether ``v`` is a scipy sparse matrix or array (no value is one unless scipy.sparse
    is loaded, so it is not imported to find out)."""
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and bool(sp.issparse(v))


def encode_sparse(m: Any, encode_element: Callable[[Any, str], Any], path: str) -> dict:
    import scipy.sparse as sp

    key = next((k for k, name in SPARSE_TYPES.items() if type(m) is getattr(sp, name)), None)
    if key is None:
        raise TypeError(f"sparse type {type(m).__name__} is not supported (only CSR and CSC)")
    fmt, container = key
    return {
        "sparse": {
            "format": fmt,
            "container": container,
            "shape": list(m.shape),
            "data": encode_ndarray(m.data, encode_element, f"{path}.data"),
            "indices": encode_ndarray(m.indices, encode_element, f"{path}.indices"),
            "indptr": encode_ndarray(m.indptr, encode_element, f"{path}.indptr"),
        }
    }


# ---------------------------------------------------------------------------
# decoding


def _expect_keys(payload: Any, required: set[str], optional: set[str] = frozenset()) -> dict:  # type: ignore[assignment]
    if not isinstance(payload, dict):
        raise DecodeProblem((), f"expected an object, got {_json_type(payload)}")
    missing = sorted(required - payload.keys())
    if missing:
        raise DecodeProblem((), f"missing field {missing[0]!r}")
    extra = sorted(payload.keys() - required - optional)
    if extra:
        raise DecodeProblem((extra[0],), "unknown field")
    return payload


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def parse_shape(shape: Any, loc: tuple = ("shape",)) -> tuple[int, ...]:
    if not isinstance(shape, list):
        raise DecodeProblem(loc, f"expected an array of integers, got {_json_type(shape)}")
    if len(shape) > MAX_NDIM:
        raise DecodeProblem(loc, f"more than {MAX_NDIM} dimensions")
    for i, n in enumerate(shape):
        if type(n) is not int or n < 0:
            raise DecodeProblem((*loc, i), "expected a non-negative integer")
    return tuple(shape)


def _where(loc: tuple, flat_index: int, shape: tuple[int, ...]) -> tuple:
    """The location of the element at ``flat_index`` of an array of ``shape``."""
    if not shape:
        return loc
    return (*loc, *(int(i) for i in np.unravel_index(flat_index, shape)))


def _first_bad(obj: np.ndarray, ok: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(~ok)[0])


def decode_data(
    data: Any,
    dtype: np.dtype,
    shape: tuple[int, ...],
    decode_element: ElementDecoder | None,
    loc: tuple = ("data",),
) -> np.ndarray:
    """Strictly turn nested JSON lists into an array of exactly ``dtype`` and ``shape``."""
    if dtype.kind == "O":
        if decode_element is None:
            raise DecodeProblem(loc, "object arrays are not allowed here")
        # Walk exactly len(shape) levels: an element may itself be a list (of any length).
        items: list[Any] = []
        _collect_objects(items, data, shape, (), loc, decode_element)
        out = np.empty(len(items), dtype=object)
        for i, x in enumerate(items):  # one by one: an element may be a list or an array
            out[i] = x
        return out.reshape(shape)
    if dtype.kind in "biuf" and 0 not in shape:
        plain = _numeric_data(data, dtype, shape)
        if plain is not None:
            return plain
    # Everything else, and anything the fast path leaves (ragged lists, a wrong element, a
    # non-finite value, an overflow), takes the checks below, which name what is wrong.
    # JSON cannot spell the dimensions after a zero-length one: ``[]`` is shape (0, 3) too.
    zero = shape.index(0) if 0 in shape else len(shape)
    written = shape[: zero + 1]
    try:
        obj = np.array(data, dtype=object)
    except (ValueError, TypeError):
        raise DecodeProblem(
            loc, f"nested lists are ragged; expected shape {list(written)}"
        ) from None
    if obj.shape != written:
        raise DecodeProblem(loc, f"data has shape {list(obj.shape)} but shape says {list(shape)}")
    if zero < len(shape):
        return np.zeros(shape, dtype=dtype)
    flat = obj.reshape(-1)

    types = set(map(type, flat))
    kind = dtype.kind
    if kind == "f":
        allowed: set[type] = {float, int}
        what = "a number"
    elif kind in "iu":
        allowed = {int}
        what = "an integer"
    elif kind == "b":
        allowed = {bool}
        what = "a boolean"
    else:  # "U"
        allowed = {str}
        what = "a string"
    extra = types - allowed
    nonfinite_masks = None
    if kind == "f" and str in extra:
        masks = {name: (flat == name).astype(bool) for name in NONFINITE}
        is_str = np.frompyfunc(lambda x: type(x) is str, 1, 1)(flat).astype(bool)
        recognised = masks["NaN"] | masks["-NaN"] | masks["Infinity"] | masks["-Infinity"]
        if (is_str & ~recognised).any():
            idx = _first_bad(flat, ~(is_str & ~recognised))
            raise DecodeProblem(
                _where(loc, idx[0], shape),
                f'expected a number or "NaN", "-NaN", "Infinity", "-Infinity", got {flat[idx[0]]!r}',
            )
        nonfinite_masks = masks
        extra.discard(str)
    if extra:
        ok = np.frompyfunc(lambda x: type(x) in allowed, 1, 1)(flat).astype(bool)
        i = _first_bad(flat, ok)[0]
        where = _where(loc, i, shape)
        raise DecodeProblem(where, f"expected {what}, got {_json_type(flat[i])}")

    if kind == "U":
        width = dtype.itemsize // 4
        if flat.size and max(map(len, flat)) > width:
            raise DecodeProblem(loc, f"a string is longer than the dtype's width {width}")
        return np.array(flat.tolist(), dtype=dtype).reshape(shape)
    if kind == "b":
        return flat.astype(dtype).reshape(shape)
    if kind in "iu":
        try:
            return flat.astype(dtype).reshape(shape)
        except OverflowError:
            info = np.iinfo(dtype)
            for i, x in enumerate(flat):
                if not info.min <= x <= info.max:
                    raise DecodeProblem(
                        _where(loc, i, shape),
                        f"{x} is out of range for {dtype.name}",
                    ) from None
            raise
    # floats
    if nonfinite_masks is not None:
        flat = flat.copy()
        for name, mask in nonfinite_masks.items():
            flat[mask] = NONFINITE[name]
    with np.errstate(over="ignore"):
        try:
            out = flat.astype(np.float64).astype(dtype)
        except OverflowError:
            raise DecodeProblem(loc, f"a number is out of range for {dtype.name}") from None
    written_inf = (
        nonfinite_masks["Infinity"] | nonfinite_masks["-Infinity"]
        if nonfinite_masks is not None
        else np.zeros(flat.shape, bool)
    )
    overflow = np.isinf(out) & ~written_inf
    if overflow.any():
        i = int(np.argmax(overflow))
        raise DecodeProblem(
            _where(loc, i, shape),
            f'number overflows {dtype.name}; write infinities as "Infinity"',
        )
    return out.reshape(shape)


# The JSON types a numeric dtype's elements may have without being looked at one by one (for
# floats, the non-finite strings take the general path).
_PLAIN_TYPES: dict[str, set[type]] = {"b": {bool}, "i": {int}, "u": {int}, "f": {float, int}}
_FEW = 1024  # elements below which looking at every type costs less than the steps to avoid it


def _numeric_data(data: Any, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray | None:
    """``decode_data`` for a numeric array that is exactly what the writer writes (nested
    lists of the declared shape, elements of the dtype's plain JSON types, every float
    finite), or None for anything else.

    The lists are flattened one nesting level at a time, each level's lengths checked at
    once, and numpy converts the flat list in one pass: no per-element Python code and no
    intermediate object array.
    """
    level: list = [data]
    for depth, n in enumerate(shape):
        if set(map(type, level)) != {list} or set(map(len, level)) != {n}:
            return None
        level = data if depth == 0 else list(chain.from_iterable(level))
    if dtype.kind != "f":
        if not set(map(type, level)) <= _PLAIN_TYPES[dtype.kind]:
            return None
        try:
            return np.array(level, dtype=dtype).reshape(shape)
        except OverflowError:  # an integer out of the dtype's range
            return None
    out = _float64_data(level)
    if out is None:
        return None
    if dtype != out.dtype:
        with np.errstate(over="ignore"):
            out = out.astype(dtype)
    if not np.isfinite(out).all():  # an overflow (e.g. 1e39 as float32): named below
        return None
    return out.reshape(shape)


def _float64_data(flat: list) -> np.ndarray | None:
    """``flat`` as float64 when every element is a float or an integer, else None.

    Through float64 like the general path, so an integer rounds the same way. For a large
    array, ``sum`` first (it raises on anything but a number, and is several times faster
    than collecting the elements' types); a boolean, the one number left to refuse, reads as
    0.0 or 1.0, so only the elements of those values need their type looked at.
    """
    if len(flat) < _FEW:
        if not set(map(type, flat)) <= _PLAIN_TYPES["f"]:
            return None
        try:
            return np.array(flat, dtype=np.float64)
        except OverflowError:
            return None
    try:
        sum(flat)
        out = np.array(flat, dtype=np.float64)
    except (TypeError, OverflowError):
        return None
    maybe = np.flatnonzero((out == 0) | (out == 1))
    if len(maybe) and bool in set(
        map(type, map(flat.__getitem__, maybe.tolist()) if 4 * len(maybe) < len(flat) else flat)
    ):
        return None
    return out


def _collect_objects(
    out: list[Any],
    data: Any,
    shape: tuple[int, ...],
    index: tuple[int, ...],
    loc: tuple,
    decode_element: ElementDecoder,
) -> None:
    depth = len(index)
    if depth == len(shape):
        out.append(decode_element(data, (*loc, *index)))
        return
    if type(data) is not list or len(data) != shape[depth]:
        got = f"{len(data)}" if type(data) is list else _json_type(data)
        raise DecodeProblem(
            (*loc, *index),
            f"expected an array of {shape[depth]} items (shape says {list(shape)}), got {got}",
        )
    for i, x in enumerate(data):
        _collect_objects(out, x, shape, (*index, i), loc, decode_element)


def decode_ndarray(payload: Any, decode_element: ElementDecoder | None) -> np.ndarray:
    arr = _decode_ndarray(payload, decode_element)
    if arr.dtype.kind in "biuf":
        record_decoded(payload, arr)
    return arr


def _decode_ndarray(payload: Any, decode_element: ElementDecoder | None) -> np.ndarray:
    in_member = isinstance(payload, dict) and "member" in payload and "data" not in payload
    p = _expect_keys(
        payload,
        {"dtype", "shape", "member" if in_member else "data"},
        {"order", "allocated_rows", "reversed_axes"},
    )
    dtype = parse_dtype(p["dtype"])
    shape = parse_shape(p["shape"])
    order = p.get("order", "C")
    if order not in ("C", "F") or ("order" in p and order != "F"):
        raise DecodeProblem(("order",), 'expected "F" (omit the field for C order)')
    rows = p.get("allocated_rows")
    if "allocated_rows" in p:
        _check_allocated_rows(rows, order, dtype, shape)
    flipped = None
    if "reversed_axes" in p:
        if "allocated_rows" in p:
            raise DecodeProblem(("reversed_axes",), "cannot be combined with allocated_rows")
        flipped = _check_reversed_axes(p["reversed_axes"], dtype, shape)
    n = math.prod(shape) if rows is None else rows * shape[1]
    check_array(n, dtype.itemsize)
    if in_member:
        arr = read_member(p, p["member"], dtype, shape, ("member",))
    else:
        arr = decode_data(p["data"], dtype, shape, decode_element)
    charge_array(n, dtype.itemsize)
    if dtype.kind in "biuf":
        record_hash(p, block_hash(arr))  # arr is still the C-order block the file holds
    if rows is not None:
        buffer = np.zeros((rows, shape[1]), dtype=dtype, order="F")
        buffer[: shape[0]] = arr
        return buffer[: shape[0]]
    if flipped is not None:
        buffer = _flip(arr, flipped)
        buffer = np.asfortranarray(buffer) if order == "F" else np.ascontiguousarray(buffer)
        return _flip(buffer, flipped)
    if order == "F":
        arr = np.asfortranarray(arr)
    return arr


def _check_reversed_axes(axes: Any, dtype: np.dtype, shape: tuple[int, ...]) -> tuple[int, ...]:
    where = ("reversed_axes",)
    if dtype.kind not in "biuf":
        raise DecodeProblem(where, "only a numeric array can be a reversed view")
    if (
        type(axes) is not list
        or not axes
        or any(type(i) is not int for i in axes)
        or axes != sorted(set(axes))
        or not all(0 <= i < len(shape) and shape[i] > 1 for i in axes)
    ):
        raise DecodeProblem(
            where, "expected axes in increasing order, each of more than one element"
        )
    return tuple(axes)


def _check_allocated_rows(rows: Any, order: str, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    where = ("allocated_rows",)
    if order != "F" or len(shape) != 2 or dtype.kind not in "biuf":
        raise DecodeProblem(where, 'only a 2-d numeric array with order "F" has allocated rows')
    if type(rows) is not int or not shape[0] < rows:
        raise DecodeProblem(where, f"expected an integer greater than shape[0] ({shape[0]})")
    if shape[0] == 0 or shape[1] < 2:
        raise DecodeProblem(where, "an array of no rows or one column has no row stride to keep")
    limit = allocation_limit(shape[0] * shape[1])
    if rows * shape[1] > limit:
        raise DecodeProblem(
            where, f"a buffer of {rows} x {shape[1]} exceeds {limit} elements for this array"
        )


def _records_dtype(
    fields: Any, offsets: Any, itemsize: Any
) -> tuple[np.dtype, list[str], list[np.dtype]]:
    """The structured dtype a recarray payload declares, its field names and their dtypes.

    A well-formed declaration is parsed once per distinct layout (every tree of a forest has
    the same one); anything else takes the checks, which name what is wrong."""
    if (
        type(fields) is list
        and all(
            type(f) is list and len(f) == 2 and type(f[0]) is str and type(f[1]) is str
            for f in fields
        )
        and type(offsets) is list
        and all(type(o) is int for o in offsets)
        and type(itemsize) is int
    ):
        key = (tuple((f[0], f[1]) for f in fields), tuple(offsets), itemsize)
        dtype, names, formats = _cached_records_dtype(key)
        return dtype, list(names), list(formats)
    return _parse_records_dtype(fields, offsets, itemsize)


@functools.lru_cache(maxsize=256)
def _cached_records_dtype(
    key: tuple[tuple[tuple[str, str], ...], tuple[int, ...], int],
) -> tuple[np.dtype, tuple[str, ...], tuple[np.dtype, ...]]:
    fields, offsets, itemsize = key
    dtype, names, formats = _parse_records_dtype([list(f) for f in fields], list(offsets), itemsize)
    return dtype, tuple(names), tuple(formats)


def _parse_records_dtype(
    fields: Any, offsets: Any, itemsize: Any
) -> tuple[np.dtype, list[str], list[np.dtype]]:
    if not isinstance(fields, list) or not fields:
        raise DecodeProblem(("fields",), "expected a non-empty array of [name, dtype] pairs")
    names: list[str] = []
    formats: list[np.dtype] = []
    for i, f in enumerate(fields):
        if not (isinstance(f, list) and len(f) == 2 and isinstance(f[0], str)):
            raise DecodeProblem(("fields", i), "expected a [name, dtype] pair")
        if f[0] in names:
            raise DecodeProblem(("fields", i), f"duplicate field name {f[0]!r}")
        dt = parse_dtype(f[1])
        if dt.kind == "O":
            raise DecodeProblem(("fields", i, 1), "object fields are not allowed")
        names.append(f[0])
        formats.append(dt)
    if not (isinstance(offsets, list) and len(offsets) == len(names)):
        raise DecodeProblem(("offsets",), "expected one offset per field")
    if type(itemsize) is not int or not 0 < itemsize <= 4096:
        raise DecodeProblem(("itemsize",), "expected an integer between 1 and 4096")
    for i, (off, dt) in enumerate(zip(offsets, formats, strict=True)):
        if type(off) is not int or off < 0 or off + dt.itemsize > itemsize:
            raise DecodeProblem(("offsets", i), "field does not fit inside itemsize")
    try:
        dtype = np.dtype(
            {"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}
        )
    except (ValueError, TypeError) as e:
        raise DecodeProblem(("offsets",), f"fields overlap or are invalid: {e}") from None
    return dtype, names, formats


@functools.lru_cache(maxsize=256)
def _padding(dtype: np.dtype) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...] | None]:
    """The bytes of a record outside every field, and, for a record of whole 8-byte words,
    each word that holds some of them with a mask of those bytes (little-endian)."""
    covered = np.zeros(dtype.itemsize, dtype=bool)
    for name in dtype.names or ():
        sub, offset = dtype.fields[name][:2]  # type: ignore[index]
        covered[offset : offset + sub.itemsize] = True
    padding = tuple(np.flatnonzero(~covered).tolist())
    if dtype.itemsize % 8:
        return padding, None
    masks: dict[int, int] = {}
    for b in padding:
        masks[b // 8] = masks.get(b // 8, 0) | 0xFF << (8 * (b % 8))
    return padding, tuple(masks.items())


def _nonzero_padding(records: np.ndarray) -> bool:
    """Whether a records block has a nonzero byte outside its fields: one masked pass over
    each word that holds padding (a tree's nodes: one word in eight)."""
    itemsize = records.dtype.itemsize
    padding, words = _padding(records.dtype)
    flat = records.reshape(-1)
    if words is None:
        octets = flat.view(np.uint8).reshape(flat.shape[0], itemsize)
        return bool(octets[:, list(padding)].any())
    raw = flat.view(np.uint64).reshape(flat.shape[0], itemsize // 8)
    return any(bool((raw[:, w] & np.uint64(mask)).any()) for w, mask in words)


def decode_recarray(payload: Any) -> np.ndarray:
    records = _decode_recarray(payload)
    record_decoded(payload, records)
    return records


def _decode_recarray(payload: Any) -> np.ndarray:
    in_member = isinstance(payload, dict) and "member" in payload and "columns" not in payload
    p = _expect_keys(
        payload, {"shape", "fields", "offsets", "itemsize", "member" if in_member else "columns"}
    )
    shape = parse_shape(p["shape"])
    dtype, names, formats = _records_dtype(p["fields"], p["offsets"], p["itemsize"])
    n = math.prod(shape)
    check_array(n, dtype.itemsize)
    if in_member:  # compact mode: the records as one block
        out = read_member(p, p["member"], dtype, shape, ("member",))
        if _nonzero_padding(out):
            raise DecodeProblem(
                ("member",),
                "bytes outside every field (padding) must be zero; re-export the file "
                "(schemas/README.md §1.2)",
            )
        charge_array(n, dtype.itemsize)
        record_hash(p, block_hash(out))  # the records block, as written (digest.py)
        return out
    all_numeric = is_numeric(dtype)
    columns = _expect_keys(p["columns"], set(names))
    out = np.zeros(shape, dtype=dtype)
    hashes: dict[str, str] = {}
    for name, dt in zip(names, formats, strict=True):
        column = columns[name]
        try:
            if isinstance(column, dict):
                _expect_keys(column, {"member"})
                block = read_member(column, column["member"], dt, shape, ("member",))
            else:
                block = decode_data(column, dt, shape, None, ())
        except DecodeProblem as e:
            raise e.within("columns", name) from None
        out[name] = block
        if dt.kind in "biuf" and not all_numeric:
            hashes[name] = block_hash(block)
    charge_array(n, dtype.itemsize)
    # All numeric: one hash of the records (padding zero, as np.zeros left it), the same as
    # of a compact file's records block; else one per numeric column.
    record_hash(p, block_hash(out) if all_numeric else hashes)
    return out


def decode_sparse(payload: Any) -> Any:
    p = _expect_keys(payload, {"format", "container", "shape", "data", "indices", "indptr"})
    key = (p["format"], p["container"])
    # The members are checked as strings first: a list or object is unhashable.
    if not all(isinstance(k, str) for k in key) or key not in SPARSE_TYPES:
        raise DecodeProblem(
            ("format",), 'expected format "csr" or "csc" and container "matrix" or "array"'
        )
    shape = parse_shape(p["shape"])
    if len(shape) != 2:
        raise DecodeProblem(("shape",), "sparse matrices have two dimensions")
    parts = {}
    for name in ("data", "indices", "indptr"):
        wrapper = _expect_keys(p[name], {"ndarray"})
        try:
            parts[name] = decode_ndarray(wrapper["ndarray"], None)
        except DecodeProblem as e:
            raise e.within(name, "ndarray") from None
        if parts[name].ndim != 1:
            raise DecodeProblem((name, "ndarray", "shape"), "expected one dimension")
    for name in ("indices", "indptr"):
        if parts[name].dtype not in (np.dtype("int32"), np.dtype("int64")):
            raise DecodeProblem((name, "ndarray", "dtype"), 'expected "int32" or "int64"')
    major, minor = shape if key[0] == "csr" else shape[::-1]
    indptr, indices, data = parts["indptr"], parts["indices"], parts["data"]
    if indptr.shape[0] != major + 1:
        raise DecodeProblem(("indptr",), f"expected {major + 1} entries, got {indptr.shape[0]}")
    if indptr[0] != 0 or (np.diff(indptr) < 0).any():
        raise DecodeProblem(("indptr",), "must start at 0 and never decrease")
    if indptr[-1] != indices.shape[0] or indices.shape[0] != data.shape[0]:
        raise DecodeProblem(("indptr",), "last entry must equal the lengths of indices and data")
    if indices.size and (indices.min() < 0 or indices.max() >= minor):
        raise DecodeProblem(("indices",), f"indices must lie in [0, {minor})")
    if parts["data"].dtype.kind == "O":
        raise DecodeProblem(("data",), "object data is not allowed")
    # scipy sizes its index type from the shape and its compiled routines take the shape in
    # that type: a dimension the written index dtypes cannot hold would overflow there.
    limit = min(int(np.iinfo(parts[n].dtype).max) for n in ("indices", "indptr"))
    if max(shape) > limit:
        raise DecodeProblem(("shape",), f"dimensions must fit the index dtype (at most {limit:,})")
    import scipy.sparse as sp

    cls = getattr(sp, SPARSE_TYPES[key])
    out = cls((data, indices, indptr), shape=shape, copy=False)
    # The constructor narrows int64 indices that fit in int32; keep the written dtypes.
    out.indices, out.indptr = indices, indptr
    return out
