"""JSON paths (``$.model.params.C``) from pydantic error locations and decode locations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from milo_codec.codecs.kinds import TAG_MARK, error_message
from milo_codec.errors import Problem

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child(path: str, key: str | int) -> str:
    """The JSON path of a member: ``$.a[0]``, ``$.a.b``, ``$.a["not an identifier"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}"
    return path + "[" + json.dumps(key, ensure_ascii=False) + "]"


def json_path(loc: Iterable[str | int], root: str = "$") -> str:
    out = [root]
    for part in loc:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.startswith(TAG_MARK):
            continue  # a union tag, not a place in the document
        elif _IDENT.match(part):
            out.append(f".{part}")
        else:
            out.append("[" + repr(part).replace("'", '"') + "]")
    return "".join(out)


def problems_from(errors: list[Any], root: str = "$") -> list[Problem]:
    """The problems of ``chosen_errors``, each at its JSON path, in milo's words."""
    return [Problem(json_path(e["loc"], root), error_message(e)) for e in errors]
