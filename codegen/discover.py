"""Find schema files (sorted), load them, meta-validate them and build a local registry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE_URI = "https://milo-codec.invalid/schemas/"
CATALOG = "catalog.json"


class SchemaProblem(Exception):
    """A schema file cannot be used; the message names the file and JSON pointer."""


@dataclass(frozen=True)
class SchemaFile:
    path: Path  # relative to the schemas root
    schema: dict
    sha256: str

    @property
    def id(self) -> str:
        return self.schema["$id"]


def load_all(root: Path) -> list[SchemaFile]:
    files = []
    for p in sorted(root.rglob("*.json")):
        rel = p.relative_to(root)
        if rel.as_posix() == CATALOG:
            continue  # written by codegen itself
        raw = p.read_bytes()
        try:
            schema = json.loads(raw)
        except json.JSONDecodeError as e:
            raise SchemaProblem(f"{rel}: not JSON: {e}") from None
        expected = BASE_URI + rel.as_posix()
        if schema.get("$id") != expected:
            raise SchemaProblem(f"{rel}: $id must be {expected!r}, got {schema.get('$id')!r}")
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as e:
            raise SchemaProblem(f"{rel}: does not meta-validate: {e}") from None
        files.append(SchemaFile(rel, schema, hashlib.sha256(raw).hexdigest()))
    return files


def registry(schemas: list[dict]) -> Registry:
    """Every schema by its $id; nothing is ever retrieved from the network."""
    resources = [
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas
    ]
    return Registry().with_resources(resources)
