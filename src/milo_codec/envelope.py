"""The document envelope (mirrors schemas/envelope/v1.json) and the producing versions."""

from __future__ import annotations

import platform
from typing import Annotated, Literal

from pydantic import Field

from milo_codec.codecs import kinds as k
from milo_codec.codecs.base import CodecModel, NodeModel

FORMAT = "milo"
FORMAT_VERSION = 1
_VERSION = r"^[0-9]+\.[0-9]+[0-9A-Za-z.+-]*$"


class Producer(CodecModel):
    milo_codec: str = Field(alias="milo_codec", pattern=_VERSION, max_length=64)
    scikit_learn: str = Field(alias="scikit-learn", pattern=_VERSION, max_length=64)
    numpy: str = Field(alias="numpy", pattern=_VERSION, max_length=64)
    python: str = Field(alias="python", pattern=_VERSION, max_length=64)


class Digest(CodecModel):
    sha256: str = Field(alias="sha256", pattern=r"^[0-9a-f]{64}$")


class Envelope(CodecModel):
    format: Literal["milo"] = Field(alias="format")
    format_version: Literal[1] = Field(alias="format_version")
    producer: Producer = Field(alias="producer")
    digest: Digest | None = Field(default=None, alias="digest")
    model: Annotated[NodeModel, k.OneOf((k.Model(),))] = Field(alias="model")


def producer_versions() -> dict[str, str]:
    import numpy
    import sklearn

    from milo_codec import __version__

    return {
        "milo_codec": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }
