# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create a local virtualenv (.venv) and install the package with its
# test extra; the install is skipped while pyproject.toml is unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# aiobotocore pins an older botocore than the main environment's: async clients
# are tested in a virtualenv of their own (make test-async).
ASYNC_VENV  := .venv-async
ASYNC_STAMP := $(ASYNC_VENV)/.installed

.PHONY: test lint typecheck pytest demo coverage venv clean test-package test-async

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

# The built sdist and wheel, installed into a fresh virtualenv, run the examples' tests.
test-package: $(STAMP)
	MOCK_IOTJOBS_PACKAGING_TESTS=1 $(BIN)/pytest -q tests/packaging/test_wheel.py

$(ASYNC_STAMP): pyproject.toml
	$(PYTHON) -m venv $(ASYNC_VENV)
	$(ASYNC_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[async-test]'
	touch $(ASYNC_STAMP)

# aiobotocore / aioboto3 clients on both paths, against aiobotocore's own botocore.
test-async: $(ASYNC_STAMP)
	$(ASYNC_VENV)/bin/pytest -q -p no:cacheprovider tests/async_clients

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
	rm -rf $(VENV) $(ASYNC_VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
