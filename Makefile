# Set-up and the two everyday commands. Every target creates the virtual environment on first use,
# so `make sweep` and `make test` work on a fresh clone with nothing else installed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SWEEP ?= sweeps/digits_asha.yaml

CHROMIUM := /usr/bin/chromium

.PHONY: setup sweep test test-fast lint browser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: the CPU wheel this machine carries. An unpinned torch would pull CUDA builds.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

sweep: setup
	$(PY) -m launchers.local $(SWEEP)

# The linter and type checker first (ruff: formatting and lint rules; mypy over sweeps/,
# launchers/, lightning_modules/, benchmarks/, typed_config/; both as pyproject.toml configures
# them), then the suite: the quick tests spread over every core (pytest-xdist), then the end-to-end
# ones (marked slow) one at a time, since each runs real sweeps and times real faults on the whole
# machine.
test: lint browser
	$(PY) -m pytest -m "not slow" -n auto
	$(PY) -m pytest -m slow --durations=30

lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy

# The report's page is checked in a real browser: Debian's chromium, driven headless by Playwright.
browser:
	@test -x $(CHROMIUM) || { \
		echo "installing Debian's chromium (the report's page is tested in it)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	}
	@test -x $(CHROMIUM) || { echo "error: $(CHROMIUM) is missing; install Debian's chromium" >&2; exit 1; }

test-fast: setup
	$(PY) -m pytest -m "not slow"

clean:
	rm -rf $(VENV) results .pytest_cache
