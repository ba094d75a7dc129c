# Two commands on a fresh machine: `make run` (the main job) and `make test` (every tier).
# Both create .venv and install the pinned versions in constraints.txt first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DEEPEVAL_TELEMETRY_OPT_OUT := YES
export DEEPEVAL_FILE_SYSTEM := READ_ONLY

.PHONY: run test unit lint bench clean

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

lint: $(STAMP)
	$(BIN)/ruff check harness examples suites benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/unit_walltime.py

clean:
	rm -rf $(VENV)
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} +
