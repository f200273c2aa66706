# The README's two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench soak lint typecheck clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m tests.benchmarks

soak: $(STAMP)
	$(PY) -m tests.reliability.soak

lint: $(STAMP)
	$(PY) -m ruff check humanloop_core integrations tests examples scripts

typecheck: $(STAMP)
	$(PY) -m mypy
	MYPYPATH=integrations/langchain:integrations/llama_index $(PY) -m mypy --strict \
		--namespace-packages --explicit-package-bases -p langchain_humanloop -p llama_index.llms.humanloop

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
