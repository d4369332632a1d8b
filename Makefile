# The contract with users: `make lab` and `make test` work on a fresh clone with only Python 3.11+ and make.
SHELL := /bin/bash
PYTHON ?= python3
# Another Python in a venv of its own: make test-sqlite PYTHON=python3.12 VENV=.venv-3.12
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
NBVAL := $(PYTEST) --nbval-current-env
HOST ?= 127.0.0.1
PORT ?= 8888

.PHONY: help setup seed seed-large lab test test-sqlite sizes lint unit nbval matrix notebooks bench api site site-check clean

help:
	@echo "make lab        set up, then open JupyterLab on notebooks/"
	@echo "make test       set up, then run every check (SQLite; plus PostgreSQL/MariaDB when TEST_*_URL are set)"
	@echo "make test-sqlite PYTHON=python3.12 VENV=.venv-3.12   the SQLite suite on another Python"
	@echo "make notebooks  re-execute solutions/ and regenerate notebooks/ from them"
	@echo "make bench      measure the speed targets (seeding, fresh_database)"
	@echo "make seed-large build the large seed (10,000 users, 100,000 posts) for the performance lessons"
	@echo "make site       build the course site from solutions/ into site/_build/html (offline, no re-execution)"

# The virtual environment is rebuilt whenever requirements.txt or pyproject.toml changes.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python 3.11 or newer is needed (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

setup: $(STAMP)

seed: setup
	@$(BIN)/python -m lessons.seed --size default

seed-large: setup
	@$(BIN)/python -m lessons.seed --size large

lab: seed
	@echo "Starting JupyterLab on notebooks/ — open the URL it prints (Ctrl-C to stop)."
	$(BIN)/jupyter lab --no-browser --allow-root --ip=$(HOST) --port=$(PORT) \
		--ServerApp.root_dir=notebooks --LabApp.default_url=/lab/tree/00-setup.ipynb

lint: setup
	$(BIN)/ruff check --output-format concise lessons tests notebooks solutions bench

unit: seed
	$(PYTEST) -n 2 tests

# solutions/ strictly (every output compared); notebooks/ for errors only.
nbval: seed seed-large
	$(NBVAL) -n 2 --dist loadfile --nbval solutions
	$(NBVAL) -n 2 --dist loadfile --nbval-lax notebooks

# The same lessons on PostgreSQL and MariaDB, when their URLs are set (.ci/run sets both).
matrix: seed
	@bash .ci/matrix

test: lint unit nbval matrix sizes
	@echo "make test: all checks passed."

# An author's guide, not a check: each lesson's size against one sitting (about 45 minutes).
sizes: setup
	@$(BIN)/python -m lessons.lesson_size

# The SQLite suite alone (library tests, strict solutions/, lax notebooks/): what CI runs on each further Python.
test-sqlite: export TEST_BACKENDS = sqlite
test-sqlite: unit nbval
	@echo "make test-sqlite: all checks passed on $$($(BIN)/python --version)."

notebooks: seed seed-large
	$(BIN)/python -m lessons.publish $(LESSONS)

bench: seed
	$(BIN)/python -m bench.seeding
	$(BIN)/python -m bench.bulk_insert

api: seed
	$(BIN)/python -m lessons.blog $(if $(filter-out file,$(origin HOST)),--host $(HOST)) $(if $(filter-out file,$(origin PORT)),--port $(PORT))

# The static site of the executed lessons. COURSE_LAB_URL (e.g. .../lab/tree/notebooks/{notebook}) adds an
# "Open in JupyterLab" link to every lesson. site-check builds it twice and checks what a reader gets.
site: setup
	$(BIN)/python site/build.py

site-check: setup
	$(BIN)/python site/check.py

clean:
	rm -rf .data .pytest_cache .ruff_cache .venv-3.* site/_build
