"""sklearn.compose's column selectors: ``make_column_selector`` objects in ColumnTransformer.

A selector is written by what it selects on (a regex over column names, dtypes to include
and exclude), never by reference to code. The dtypes come from the closed type table or
pandas' dtype names.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, exactly
from milo_codec.values import objects

# pandas' select_dtypes accepts names such as "number", "category", "datetime64[ns]".
_DTYPE_NAME = r"^[A-Za-z][A-Za-z0-9_\[\], ]{0,63}$"
_PATTERN_MAX = 1000


def _encode(sel: Any, encode: Encode, path: str) -> Any:
    return {
        "pattern": sel.pattern,
        "dtype_include": encode(sel.dtype_include, f"{path}.dtype_include"),
        "dtype_exclude": encode(sel.dtype_exclude, f"{path}.dtype_exclude"),
    }


def _decoder() -> core_schema.CoreSchema:
    one = (k.Str(pattern=_DTYPE_NAME), k.Named(key="type", names=tuple(objects.TYPES)))
    selection = k.OneOf((k.Null(), *one, k.ListOf(items=k.OneOf(one), max_items=64))).core()
    fields = {
        "pattern": core_schema.typed_dict_field(
            k.OneOf((k.Null(), k.Str(max_length=_PATTERN_MAX))).core()
        ),
        "dtype_include": core_schema.typed_dict_field(selection),
        "dtype_exclude": core_schema.typed_dict_field(selection),
    }

    def build(p: dict) -> Any:
        from sklearn.compose import make_column_selector

        return make_column_selector(
            pattern=p["pattern"], dtype_include=p["dtype_include"], dtype_exclude=p["dtype_exclude"]
        )

    return core_schema.no_info_after_validator_function(build, k.closed_object(fields))


KINDS = (
    ObjectKind(
        tag="column_selector",
        schema_file="common/compose/v1.json",
        matches=exactly("sklearn.compose._column_transformer", "make_column_selector"),
        encode=_encode,
        decoder=_decoder,
    ),
)
