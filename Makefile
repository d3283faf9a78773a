# The two commands of the README:
#   make lab   — set everything up and open JupyterLab on notebooks/ against the local exchange
#                (extra JupyterLab arguments: make lab ARGS="--port 8899")
#   make test  — set everything up and run the whole test suite (lint, types, unit, integration,
#                notebooks)
# Only Python 3.11+ is needed; everything else is installed into .venv from the registries.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Reinstall when the dependency list changes.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The suite runs on every core (pytest-xdist), whole test files per worker: a notebook's
# cells stay in one kernel, in order. PYTEST_WORKERS= runs it in one process.
PYTEST_WORKERS ?= -n auto --dist loadfile
# JupyterLab refuses to run as root without this flag (CI and these machines run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: test lab lint stubs bench clean chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,notebooks,browser]"
	rm -f $(VENV)/.installed-*
	touch $@

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

# The browser test drives Debian's Chromium through Playwright (never `playwright install`,
# which downloads its own browser). As root (CI, these machines) it is installed here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing (sudo apt-get install chromium); the browser test needs it"; \
	  fi; }

# BITGET_NB_ENV=local: the notebooks talk to the embedded paper exchange, whatever the shell has.
# Your own notebooks' `bg.connect()` keeps the paper account that survives restarts
# (BITGET_NB_DATA, else the user data directory); each tutorial takes a fresh account of its
# own (`bg.connect("local", fresh=True)`), so it runs the same every time and never touches yours.
# ARGS go to JupyterLab as they are: make lab ARGS="--port 8899 --no-browser"
ARGS ?=
lab: $(STAMP)
	BITGET_NB_ENV=local $(BIN)/jupyter lab $(ROOT_FLAG) --notebook-dir=notebooks $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The client's static signatures (bitget_nb/_api.pyi) from the endpoint table; a test says
# when they are out of date.
stubs: $(STAMP)
	$(BIN)/python -c 'from bitget_nb._signatures import write_stub; write_stub()'

bench: $(STAMP)
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
