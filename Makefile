# Every target bootstraps what it needs: a virtualenv in .venv, the NexArt SDK for the
# interoperability tests, and the local services the tests use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
NEXART := tests/nexart/node_modules/@nexart/ai-execution/package.json

.PHONY: demo test lint bench crash fuzz format clean env services

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[capture,node,postgres,ml,torch,openai,anthropic,langchain,otel,transformers,dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

env: $(STAMP)

$(NEXART): tests/nexart/package.json tests/nexart/package-lock.json
	npm ci --prefix tests/nexart --no-audit --no-fund --loglevel=error

services:
	scripts/ensure-services.sh

demo: $(STAMP)
	$(VENV)/bin/cerkit demo

test: $(STAMP) $(NEXART) services
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff format --check src tests bench fuzz
	$(VENV)/bin/ruff check src tests bench fuzz
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench fuzz
	$(VENV)/bin/ruff check --fix src tests bench fuzz

bench: $(STAMP) $(NEXART) services
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The long campaign against hostile input (fuzz/run.py): property tests under the fuzz
# profile, coverage-guided atheris runs, schemathesis against a node's /openapi.json.
fuzz: $(STAMP)
	$(PY) -m pip install -q -e '.[fuzz]'
	$(PY) fuzz/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/nexart/node_modules

# The long kill -9 campaign (docs/node.md, "Crash safety"): 25 rounds per backend.
crash: $(STAMP) services
	CERKIT_CRASH_ROUNDS=25 $(PY) -m pytest -q -s -p no:cacheprovider tests/node/test_node_crash.py
