"""Runtime base classes that generated codecs build on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from milo_codec.codecs import kinds

Shape = tuple[int | str, ...]


class CodecModel(BaseModel):
    """Strict, immutable, unknown fields refused; fields are read by their JSON name."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        validate_by_alias=True,
        validate_by_name=False,
        arbitrary_types_allowed=True,
        hide_input_in_errors=True,
        revalidate_instances="never",
        defer_build=True,
    )

    # The file's key order: attribute order is part of a faithful __dict__.
    _json_order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_key_order(cls, data: Any, handler: Any) -> Any:
        obj = handler(data)
        if isinstance(data, dict):
            obj._json_order = tuple(data)
        return obj

    def fields_by_json_name(self) -> dict[str, Any]:
        """The decoded values keyed by their JSON names, in the file's order."""
        by_alias = {info.alias or name: name for name, info in type(self).model_fields.items()}
        return {key: getattr(self, by_alias[key]) for key in self._json_order}


class UnfittedState(CodecModel):
    """The state of an unfitted estimator that holds only its set_output configuration."""

    sklearn_output_config: Annotated[
        dict[str, Any],
        kinds.OneOf(
            (
                kinds.DictOf(
                    properties=(
                        (
                            "transform",
                            kinds.OneOf((kinds.Str(enum=("default", "pandas", "polars")),)),
                            False,
                        ),
                    )
                ),
            )
        ),
    ] = Field(alias="_sklearn_output_config")


# Union tags, marked so that JSON paths skip them (they are not places in the document).
NULL, UNFITTED, FITTED = (kinds.TAG_MARK + t for t in ("null", "unfitted", "fitted"))


def state_tag(v: Any) -> str:
    """Which state a node holds: none, only a set_output configuration, or a fitted state."""
    if v is None:
        return NULL
    if isinstance(v, dict) and v and set(v) <= {"_sklearn_output_config"}:
        return UNFITTED
    return FITTED


class NodeModel(CodecModel):
    """A validated model node: inert data, nothing constructed yet."""

    params: CodecModel
    state: CodecModel | None

    @classmethod
    def codec(cls) -> ModelCodec:
        raise NotImplementedError


@dataclass(frozen=True)
class ModelCodec:
    """Everything generated from one schema file, bound in generated code."""

    schema_id: str
    class_path: str
    source: str
    node: type[NodeModel]
    estimator_class: Callable[[], type]
    param_names: tuple[str, ...]
    state_names: tuple[str, ...]
    shapes: dict[str, tuple[Shape, ...]]
    derived: tuple[str, ...]
    invariants: tuple[str, ...]
