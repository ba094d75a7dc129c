# Two commands on a fresh machine: `make run` (the main job) and `make test` (every tier).
# Both create .venv and install the pinned versions in constraints.txt first.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DEEPEVAL_TELEMETRY_OPT_OUT := YES
export DEEPEVAL_FILE_SYSTEM := READ_ONLY

.PHONY: run test unit unit-20 lint bench clean

$(STAMP): pyproject.toml examples/support_desk/pyproject.toml examples/handoff_desk/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]' -e examples/support_desk -e examples/handoff_desk
	touch $(STAMP)

run: $(STAMP)   ## the main job: the pyramid with reports under reports/
	$(BIN)/harness run

test: $(STAMP)  ## every test suite (installs Debian's chromium for the report's browser test)
	bash .ci/setup-chromium.sh
	$(BIN)/python -m pytest suites -q

unit: $(STAMP)
	$(BIN)/python -m pytest suites/unit -q

unit-20: $(STAMP)  ## the unit tier 20 times, each in a new random order (pytest-randomly): it must not flake
	for i in $$(seq 1 20); do \
	  seed=$$RANDOM; \
	  $(BIN)/python -m pytest suites/unit -q -p randomly --randomly-seed=$$seed \
	    > $(VENV)/unit-20.log 2>&1 || { cat $(VENV)/unit-20.log; echo "run $$i FAILED (seed $$seed)"; exit 1; }; \
	  echo "run $$i (seed $$seed): $$(tail -1 $(VENV)/unit-20.log)"; \
	done

lint: $(STAMP)
	$(BIN)/ruff check harness examples suites benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/unit_walltime.py

clean:
	rm -rf $(VENV)
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} +
