# milo_codec developer commands. `make demo` and `make test` work on a fresh machine:
# they create .venv and install everything they need first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
NODE_STAMP := tools/node/node_modules/.installed
OUT := out

.PHONY: install demo test test-python test-node codegen codegen-check lint typecheck bench clean ci

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

$(NODE_STAMP): tools/node/package.json tools/node/package-lock.json
	cd tools/node && npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

## The main job on a built-in example: fit, write, validate, load back, compare predictions.
demo: $(STAMP)
	$(VENV)/bin/milo-codec demo --out $(OUT)/demo.json

## Every test: pytest (writes each round-tripped file to $(OUT)/files), then the Node
## JSON-Schema validator (ajv, draft 2020-12) on every schema and every written file.
test: test-python test-node

test-python: $(STAMP)
	rm -rf $(OUT)/files && mkdir -p $(OUT)/files
	MILO_OUT_DIR=$(OUT)/files $(PY) -m pytest

test-node: $(NODE_STAMP) test-python
	node tools/node/check.mjs --schemas schemas $(OUT)/files

## Regenerate codecs, registry and catalog from schemas/ (the only way generated code changes).
codegen: $(STAMP)
	$(PY) -m codegen

codegen-check: $(STAMP)
	$(PY) -m codegen --check

lint: $(STAMP)
	$(VENV)/bin/ruff check src codegen tools tests
	$(VENV)/bin/ruff format --check src codegen tools tests
	$(VENV)/bin/mypy

## milo against pickle, joblib, skops, PyMilo and ONNX on a zoo of models: writes
## docs/benchmarks.md and docs/benchmarks.png (several minutes; `tools/bench.py --help`).
bench: $(BENCH_STAMP)
	$(PY) tools/bench.py --profile

ci: codegen-check lint test

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
