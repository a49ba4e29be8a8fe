"""numpy random number generators: ``RandomState`` and ``Generator`` with their exact state."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence
from pydantic_core import PydanticCustomError, core_schema

from milo_codec.codecs import kinds as k
from milo_codec.objects.base import Encode, ObjectKind, exactly


def _encode_random_state(rs: np.random.RandomState, encode: Encode, path: str) -> Any:
    state = rs.get_state(legacy=False)
    if state["bit_generator"] != "MT19937":
        raise TypeError(f"RandomState over {state['bit_generator']} is not supported")
    return {
        "key": encode(state["state"]["key"], f"{path}.key"),
        "pos": int(state["state"]["pos"]),
        "has_gauss": int(state["has_gauss"]),
        "gauss": float(state["gauss"]),
    }


class _NoEntropy(ISeedSequence):
    """A seed for a generator whose state is set right after: drawing fresh entropy from the
    OS and mixing it (numpy's default) is most of the cost of a generator built on load."""

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        return np.zeros(n_words, dtype)


def _random_state_decoder() -> core_schema.CoreSchema:
    fields = {
        "key": core_schema.typed_dict_field(k.NDArray(allowed=(("uint32", 1),)).schema()),
        "pos": core_schema.typed_dict_field(core_schema.int_schema(strict=True, ge=0, le=624)),
        "has_gauss": core_schema.typed_dict_field(core_schema.int_schema(strict=True, ge=0, le=1)),
        "gauss": core_schema.typed_dict_field(
            core_schema.float_schema(strict=True, allow_inf_nan=False)
        ),
    }

    def build(p: dict) -> np.random.RandomState:
        if p["key"].shape != (624,):
            raise PydanticCustomError("milo", "key must hold 624 uint32 words")
        # Seeded from a constant, not from the OS (the state is replaced at once), and given
        # the key as a list, which numpy copies word by word: 51 µs instead of 180 here.
        # (numpy's stubs say SeedSequence; its docs let a bit generator take any ISeedSequence)
        rs = np.random.RandomState(np.random.MT19937(_NoEntropy()))  # type: ignore[arg-type]
        rs.set_state(("MT19937", p["key"].tolist(), p["pos"], p["has_gauss"], p["gauss"]))
        return rs

    return core_schema.no_info_after_validator_function(build, k.closed_object(fields))


# numpy.random's bit generators, by name (numpy.random is imported only by files and models
# that hold a generator).
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _encode_generator(g: np.random.Generator, encode: Encode, path: str) -> Any:
    name = type(g.bit_generator).__name__
    if name not in _BIT_GENERATORS or getattr(np.random, name) is not type(g.bit_generator):
        raise TypeError(f"Generator over {name} is not supported")
    return {"bit_generator": name, "state": encode(g.bit_generator.state, f"{path}.state")}


def _generator_decoder() -> core_schema.CoreSchema:
    fields = {
        "bit_generator": core_schema.typed_dict_field(
            core_schema.literal_schema(list(_BIT_GENERATORS))
        ),
        "state": core_schema.typed_dict_field(k.OneOf((k.DictOf(),)).core()),
    }

    def build(p: dict) -> np.random.Generator:
        bit_generator = getattr(np.random, p["bit_generator"])(_NoEntropy())
        state = p["state"]
        if state.get("bit_generator") != p["bit_generator"]:
            raise PydanticCustomError("milo", "state.bit_generator must name the same generator")
        try:
            bit_generator.state = state
        except (ValueError, TypeError, KeyError, OverflowError) as e:
            raise PydanticCustomError(
                "milo", "invalid generator state: {error}", {"error": str(e)}
            ) from None
        return np.random.Generator(bit_generator)

    return core_schema.no_info_after_validator_function(build, k.closed_object(fields))


KINDS = (
    ObjectKind(
        tag="random_state",
        schema_file="common/random/v1.json",
        matches=exactly("numpy.random.mtrand", "RandomState"),
        encode=_encode_random_state,
        decoder=_random_state_decoder,
        shareable=True,
    ),
    ObjectKind(
        tag="generator",
        schema_file="common/random/v1.json",
        matches=exactly("numpy.random._generator", "Generator"),
        encode=_encode_generator,
        decoder=_generator_decoder,
        shareable=True,
    ),
)
