# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create a local virtualenv (.venv) and install the package with its
# test extra; the install is skipped while pyproject.toml is unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo coverage venv clean

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

demo: $(STAMP)
	@if [ -f examples/demo.py ]; then \
		$(BIN)/python examples/demo.py; \
	else \
		echo "examples/demo.py is not written yet; showing the operation coverage instead."; \
		$(BIN)/python -m mock_iotjobs coverage; \
	fi

coverage: $(STAMP)
	$(BIN)/python -m mock_iotjobs coverage

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
