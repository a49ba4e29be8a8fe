"""``python -m codegen [--check]``: regenerate (or verify) codecs, registry, catalog and README's
supported-models table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codegen.discover import CATALOG, SchemaProblem, load_all, registry
from codegen.lower import Lowering
from codegen.render import render_all, render_catalog, render_readme

ROOT = Path(__file__).resolve().parent.parent


def build(schemas_dir: Path, out: Path | None = None) -> tuple[dict[Path, str], list[Path]]:
    """Every generated file's path and content, and the directory trees codegen owns.

    ``out`` redirects everything into one directory (used to prove the output deterministic).
    """
    sources = load_all(schemas_dir)
    models = [Lowering(f).model() for f in sources if "x-milo-class" in f.schema]
    catalog = render_catalog(models)
    # Every $ref must resolve locally, against the in-memory registry.
    reg = registry([f.schema for f in sources] + [json.loads(catalog)])
    for f in sources:
        resolver = reg.resolver(base_uri=f.id)
        for ref_target in _refs(f.schema):
            try:
                resolver.lookup(ref_target)
            except Exception as e:
                raise SchemaProblem(
                    f"schemas/{f.path}: $ref {ref_target!r} does not resolve: {e}"
                ) from None
    package = (out / "_generated") if out else ROOT / "src/milo_codec/_generated"
    files = {package / rel: text for rel, text in render_all(models).items()}
    files[(out or schemas_dir) / CATALOG] = catalog
    try:
        readme = render_readme((ROOT / "README.md").read_text(), models)
    except ValueError as e:
        raise SchemaProblem(str(e)) from None
    files[(out or ROOT) / "README.md"] = readme
    return files, [package]


def _refs(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_refs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_refs(item))
    return found


def _show(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m codegen")
    ap.add_argument("--check", action="store_true", help="fail if generated files are stale")
    ap.add_argument("--schemas", type=Path, default=ROOT / "schemas")
    ap.add_argument("--out", type=Path, default=None, help="write everything under this directory")
    args = ap.parse_args(argv)
    try:
        expected, owned = build(args.schemas, args.out)
    except SchemaProblem as e:
        print(f"codegen: {e}", file=sys.stderr)
        return 2
    existing = {p for d in owned for p in d.rglob("*.py")}
    stale = sorted(p for p, text in expected.items() if not p.exists() or p.read_text() != text)
    extra = sorted(existing - set(expected))
    if args.check:
        for p in stale:
            print(f"codegen: stale: {_show(p)}", file=sys.stderr)
        for p in extra:
            print(f"codegen: not generated from any schema: {_show(p)}", file=sys.stderr)
        if stale or extra:
            print("codegen: generated code is out of date; run `make codegen`", file=sys.stderr)
            return 1
        print(f"codegen: {len(expected)} generated files are up to date")
        return 0
    for p in extra:
        p.unlink()
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(expected[p])
    print(f"codegen: wrote {len(stale)} file(s), removed {len(extra)}, {len(expected)} up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
