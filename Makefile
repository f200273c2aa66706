# The README's two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench soak lint typecheck types clean

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

# One run writes the printed table, tests/benchmarks/RESULTS.md and the README's table.
# The server load rows use wrk when it is there (installed here when apt-get may be used);
# otherwise they fall back to a multi-process Python load generator.
bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -q wrk >/dev/null 2>&1; } || echo "wrk not found: server load rows use the Python generator"
	$(PY) -m tests.benchmarks --markdown tests/benchmarks/RESULTS.md --readme README.md

soak: $(STAMP)
	$(PY) -m tests.reliability.soak

lint: $(STAMP)
	$(PY) -m ruff check humanloop_core integrations tests examples scripts

typecheck: $(STAMP)
	$(PY) -m mypy
	MYPYPATH=integrations/langchain:integrations/llama_index $(PY) -m mypy --strict \
		--namespace-packages --explicit-package-bases -p langchain_humanloop -p llama_index.llms.humanloop

# The wire models: re-derive the official SDK overlay from the installed humanloop 0.8.38,
# then regenerate humanloop_core/types/_models.py from v5 + overlay + extensions.
types: $(STAMP)
	$(PY) -m scripts.sdk_overlay
	$(PY) -m scripts.gen_types

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
