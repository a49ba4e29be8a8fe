"""Runtime base classes that generated codecs build on."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

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

    # JSON Schema's dependentRequired, by JSON name: an object holding a key holds every name
    # listed for it. Generated fitted-state classes set it from their schema.
    dependent_required: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _keep_key_order(cls, data: Any, handler: Any) -> Any:
        if type(data) is dict and len(data) > len(cls.model_fields) + kinds.MAX_UNKNOWN_LISTED:
            kinds.refuse_unknown_members(data, _python_names(cls))
        if cls.dependent_required and type(data) is dict:
            missing = _missing_dependencies(cls.dependent_required, data)
            if missing:
                _refuse_missing(missing, data, handler)
        obj = handler(data)
        if isinstance(data, dict):
            # The file's key order: attribute order is part of a faithful __dict__. Kept as
            # the values by JSON name, which every later step reads (often several times per
            # node). Stored as pydantic keeps private attributes, without a declared
            # PrivateAttr: initialising one costs more than the rest of a small model.
            names, values = _python_names(cls), obj.__dict__
            by_json = {key: values[names[key]] for key in data}
            object.__setattr__(obj, "__pydantic_private__", {_BY_JSON_NAME: by_json})
        return obj

    def fields_by_json_name(self) -> dict[str, Any]:
        """The decoded values keyed by their JSON names, in the file's order (do not modify)."""
        private = self.__pydantic_private__
        return {} if private is None else private[_BY_JSON_NAME]


_BY_JSON_NAME = "by_json_name"


def _missing_dependencies(requires: Mapping[str, tuple[str, ...]], data: dict) -> dict[str, str]:
    """Each name a present key requires but ``data`` lacks → the first key (in the file's
    order) that requires it."""
    missing: dict[str, str] = {}
    for key in data:
        for name in requires.get(key, ()):
            if name not in data and name not in missing:
                missing[name] = key
    return missing


def _refuse_missing(missing: dict[str, str], data: dict, handler: Any) -> None:
    """Raise one error per missing dependency at its own place, after the object's other
    errors, if any: a JSON Schema validator reports them all alike."""
    errors: list[Any] = []
    try:
        handler(data)
    except ValidationError as e:
        # as raised, keeping each error's type (limits are told apart by it) and message
        errors = [
            {
                "type": PydanticCustomError(err["type"], err["msg"], err.get("ctx")),
                "loc": err["loc"],
                "input": None,
            }
            for err in e.errors(include_url=False, include_input=False)
        ]
    for name, key in missing.items():
        error = PydanticCustomError("milo", f"is missing: a fitted model that has {key} has it too")
        errors.append({"type": error, "loc": (name,), "input": None})
    raise ValidationError.from_exception_data("state", errors)


@functools.cache
def _python_names(cls: type[CodecModel]) -> dict[str, str]:
    """Each field's JSON name (its alias) → its attribute name."""
    return {info.alias or name: name for name, info in cls.model_fields.items()}


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
    # the fitted state's dependentRequired (what its State class enforces), by JSON name
    dependent_required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
