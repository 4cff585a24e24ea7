# Set-up and the two everyday commands. Every target creates the virtual environment on first use,
# so `make sweep` and `make test` work on a fresh clone with nothing else installed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SWEEP ?= sweeps/digits_asha.yaml

.PHONY: setup sweep test test-fast lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: the CPU wheel this machine carries. An unpinned torch would pull CUDA builds.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

sweep: setup
	$(PY) -m launchers.local $(SWEEP)

# The linter first (ruff: formatting and lint rules, as pyproject.toml configures them), then the
# suite: the quick tests spread over every core (pytest-xdist), then the end-to-end ones (marked
# slow) one at a time, since each runs real sweeps and times real faults on the whole machine.
test: lint
	$(PY) -m pytest -m "not slow" -n auto
	$(PY) -m pytest -m slow --durations=30

lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

test-fast: setup
	$(PY) -m pytest -m "not slow"

clean:
	rm -rf $(VENV) results .pytest_cache
