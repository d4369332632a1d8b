# The contract with users: `make lab` and `make test` work on a fresh clone with only Python 3.11+ and make.
SHELL := /bin/bash
# Python caches the bytecode of what it imports (in .venv and the git-ignored __pycache__ folders), even where the
# environment says not to: make test starts dozens of processes that import the same modules, and make setup no
# longer compiles the whole venv ahead (COMPILE_BYTECODE=yes does; the hub's shared venv does: tools/setup-venv).
export PYTHONDONTWRITEBYTECODE =
PYTHON ?= python3
# Another Python in a venv of its own: make test-sqlite PYTHON=python3.12 VENV=.venv-3.12
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The whole dependency tree, pinned with hashes, generated from requirements.txt by `make lock`.
LOCK := requirements.lock
UV_VERSION := 0.13.8
# auto: uv, else pip. INSTALLER=pip forces pip.
INSTALLER ?= auto
# no: each module is compiled the first time a process imports it; yes: the whole venv at setup (a read-only venv).
COMPILE_BYTECODE ?= no
LOCK_COMMAND = pip compile requirements.txt --universal --generate-hashes --python-version 3.11 \
	--no-config --custom-compile-command "make lock"
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
NBVAL := $(PYTEST) --nbval-current-env
HOST ?= 127.0.0.1
PORT ?= 8888

.PHONY: help setup lock lock-check seed seed-large lab test test-fast test-sqlite sizes lint unit nbval matrix notebooks bench bench-checks answers-matrix e2e api site site-check hub hub-proxy hub-venv hub-load hub-breakin hub-expected progress class-progress clean

help:
	@echo "make lab        set up, then open JupyterLab on notebooks/"
	@echo "make test       set up, then run every check (SQLite; plus PostgreSQL/MariaDB when TEST_*_URL are set)"
	@echo "make test-fast  the inner loop, under a minute: ruff and the library's tests but the slow ones (no notebooks)"
	@echo "make test-sqlite PYTHON=python3.12 VENV=.venv-3.12   the SQLite suite on another Python"
	@echo "make notebooks  re-execute solutions/ and regenerate notebooks/ from them"
	@echo "make bench      measure the speed targets (setup beside plain pip, make lab on a fresh clone, seeding)"
	@echo "make e2e        run every learner notebook in JupyterLab in Chromium (Run All Cells), as a learner does"
	@echo "make lock       regenerate requirements.lock (the pinned, hashed tree) after editing requirements.txt"
	@echo "make seed-large build the large seed (10,000 users, 100,000 posts) for the performance lessons"
	@echo "make site       build the course site from solutions/ into site/_build/html (offline, no re-execution);"
	@echo "                with solutions-postgresql/ and solutions-mariadb/, engine tabs where their outputs differ"
	@echo "make hub        JupyterHub for a class on this machine (hub/README.md): HOST, HUB_PORT, HUB_INSTRUCTORS"
	@echo "make hub-load N=5   N learners at once on the hub against PostgreSQL (HUB_LOAD_URL or TEST_POSTGRES_URL)"
	@echo "make progress   your practice tasks: passed / tried / not started (make class-progress USERS=.hub/exchange CSV=class.csv)"

# The virtual environment is brought to the lock whenever requirements.lock or pyproject.toml changes: with uv
# (bootstrapped from PyPI into .tools/, not into your system) when it can be had, else with pip. It says which ran.
$(STAMP): requirements.txt $(LOCK) pyproject.toml tools/setup-venv
	@PYTHON=$(PYTHON) VENV=$(VENV) LOCK=$(LOCK) UV_VERSION=$(UV_VERSION) INSTALLER=$(INSTALLER) \
		COMPILE_BYTECODE=$(COMPILE_BYTECODE) tools/setup-venv
	@touch $@

setup: $(STAMP)

# Regenerate the lock from requirements.txt. Deterministic: pins already in the lock are kept, only what
# requirements.txt changed is re-resolved (rm requirements.lock first to re-resolve everything).
lock:
	@uv=$$(PYTHON=$(PYTHON) UV_VERSION=$(UV_VERSION) tools/setup-venv --uv-only) && \
		$$uv $(LOCK_COMMAND) --quiet -o $(LOCK)
	@echo "Wrote $(LOCK) from requirements.txt: commit both."

# Fails when the lock is not what `make lock` would write from requirements.txt.
lock-check:
	@uv=$$(PYTHON=$(PYTHON) UV_VERSION=$(UV_VERSION) tools/setup-venv --uv-only) && \
		tmp=$$(mktemp -d) && cp $(LOCK) $$tmp/lock && \
		$$uv $(LOCK_COMMAND) --quiet -o $$tmp/lock && \
		{ diff -u $(LOCK) $$tmp/lock && rm -rf $$tmp && echo "$(LOCK) matches requirements.txt."; } || \
		{ rm -rf $$tmp; echo "error: $(LOCK) drifted from requirements.txt: run make lock" >&2; exit 1; }

seed: setup
	@$(BIN)/python -m lessons.tooling.seed --size default

seed-large: setup
	@$(BIN)/python -m lessons.tooling.seed --size large

# jupyter/settings/overrides.json switches off the "official Jupyter news?" pop-up and the update check.
# make e2e starts this same target on copies of the notebooks (LAB_ROOT) and a free PORT.
LAB_ROOT ?= notebooks
# The seed builds beside the server's start (fresh_database waits for it under a file lock), to print the URL sooner.
lab: setup
	@echo "Starting JupyterLab on $(LAB_ROOT)/ — open the URL it prints (Ctrl-C to stop)."
	@$(BIN)/python -m lessons.tooling.seed --size default &
	$(BIN)/jupyter lab --no-browser --allow-root --ip=$(HOST) --port=$(PORT) \
		--ServerApp.root_dir=$(LAB_ROOT) --LabApp.default_url=/lab/tree/00-setup.ipynb \
		--LabApp.app_settings_dir=$(CURDIR)/jupyter/settings

lint: setup
	$(BIN)/ruff check --output-format concise lessons tests notebooks solutions bench e2e site

# Three workers on two cores: a library test waits on aiosqlite's thread, subprocesses and servers much of its time,
# and a third worker fills those waits (make test measured 7 s sooner than with two).
UNIT_WORKERS ?= 3
unit: seed
	$(PYTEST) -n $(UNIT_WORKERS) --dist worksteal tests

# The inner loop (under a minute): ruff, then the library's tests but the slow ones (tests/conftest.py's SLOW: every
# known answer to a practice task, the fuzz, the tests that start servers, kernels, seeds and timeouts). make test
# runs them all, and the notebooks.
test-fast: lint seed
	TEST_FAST=1 $(PYTEST) -n 2 --dist worksteal tests

# solutions/ strictly (every output compared) and notebooks/ for errors only, each lesson and its learner's copy in ONE
# kernel: the copy's cells before its first stub are the solution's, so they run once (tests/lesson_runs.py says
# what that run proves, and why it proves what two runs did). LESSON_RUNS=separate runs the two folders one after the
# other instead. LEARNER_COPIES=skip leaves the copies out (CI does so on its further Pythons: they ran on the first,
# and every lesson cell runs in the strict solutions/ run).
LEARNER_COPIES ?= nbval
LESSON_RUNS ?= together
nbval: seed seed-large
ifeq ($(LEARNER_COPIES),skip)
	$(NBVAL) -n 2 --dist loadfile --nbval solutions
	@echo "SKIPPED: notebooks/ for errors (LEARNER_COPIES=skip); make nbval runs them"
else ifeq ($(LESSON_RUNS),separate)
	$(NBVAL) -n 2 --dist loadfile --nbval solutions
	$(NBVAL) -n 2 --dist loadfile --nbval-lax notebooks
else
	@$(BIN)/python -m tests.lesson_runs build/lesson-runs
	$(NBVAL) -n 2 --dist loadfile --nbval build/lesson-runs
endif

# Every lesson on PostgreSQL and MariaDB, compared strictly with solutions-postgresql/ and solutions-mariadb/, when
# their URLs are set (.ci/run sets both).
matrix: seed
	@bash .ci/matrix

# The course's own runs of the practice checks are not a learner's progress: they record nothing.
test test-fast test-sqlite unit nbval matrix e2e hub-load hub-breakin hub-expected answers-matrix: export COURSE_PROGRESS = off

# The library's tests and the notebooks run at the same time (the large seed builds beside the library's tests):
# each suite waits on kernels, servers and subprocesses, which the other fills. Each prints when it ends.
test: lint seed
	@echo "make test: the library's tests (make unit) and the notebooks (make nbval) at once; each prints when it ends."
	@$(MAKE) --no-print-directory -j2 --output-sync=target unit nbval
	@$(MAKE) --no-print-directory matrix sizes
	@echo "make test: all checks passed."

# An author's guide, not a check: each lesson's size against one sitting (about 45 minutes).
sizes: setup
	@$(BIN)/python -m lessons.tooling.lesson_size

# The SQLite suite alone (library tests, strict solutions/, lax notebooks/): what CI runs on each further Python.
test-sqlite: export TEST_BACKENDS = sqlite
test-sqlite: seed
	@$(MAKE) --no-print-directory -j2 --output-sync=target unit nbval
	@echo "make test-sqlite: all checks passed on $$($(BIN)/python --version)."

# Re-records solutions/ (SQLite) and, for each server whose TEST_*_URL is set and answers, solutions-postgresql/ and
# solutions-mariadb/; it says which it skipped. LESSONS="02-crud 03" for some, ENGINES=sqlite,mariadb for some.
notebooks: seed seed-large
	$(BIN)/python -m lessons.tooling.publish $(if $(ENGINES),--engines $(ENGINES)) $(LESSONS)

# Every known answer to every practice task on all three backends (CI runs each on one of them, spread evenly).
answers-matrix: seed
	TEST_FULL_MATRIX=1 $(PYTEST) -n 2 --dist worksteal tests/test_answers.py

# One practice check's time, per exercise (median and maximum): the target is about 2 s on SQLite.
bench-checks: seed
	COURSE_PROGRESS=off $(BIN)/python -m bench.checks

bench: seed
	$(BIN)/python -m bench.setup --python $(PYTHON)
	$(BIN)/python -m bench.seeding
	$(BIN)/python -m bench.bulk_insert

# Every learner notebook run in JupyterLab in Debian's Chromium (.ci/install-chromium), through Run → Run All Cells,
# on the server `make lab` starts (copies of the notebooks, a free port). Screenshots: build/e2e/.
# Two workers, each with its own server and browser: a notebook waits on its kernel more than on the CPU.
e2e: setup
	$(PYTEST) -v -n 2 --dist load --durations=25 e2e

api: seed
	$(BIN)/python -m lessons.blog $(if $(filter-out file,$(origin HOST)),--host $(HOST)) $(if $(filter-out file,$(origin PORT)),--port $(PORT))

# The static site of the executed lessons, with engine tabs on the cells whose output in solutions-postgresql/ or
# solutions-mariadb/ (when present) differs from SQLite's. COURSE_LAB_URL (e.g. .../lab/tree/notebooks/{notebook}) adds an
# "Open in JupyterLab" link to every lesson. site-check builds it twice and checks what a reader gets.
site: setup
	$(BIN)/python site/build.py

site-check: setup
	$(BIN)/python site/check.py

# JupyterHub for a class on one machine (hub/README.md). The proxy, configurable-http-proxy, comes from npm with
# the machine's Node.js, pinned with its whole tree in hub/proxy/package-lock.json, into .tools/ (never globally).
HUB_PORT ?= 8000
HUB_PROXY_DIR := .tools/hub-proxy
HUB_PROXY := $(HUB_PROXY_DIR)/.installed
$(HUB_PROXY): hub/proxy/package.json hub/proxy/package-lock.json
	@command -v npm >/dev/null || { echo "error: make hub needs Node.js 20+ and npm (apt-get install nodejs npm)" >&2; exit 1; }
	@rm -rf $(HUB_PROXY_DIR) && mkdir -p $(HUB_PROXY_DIR) && cp hub/proxy/package.json hub/proxy/package-lock.json $(HUB_PROXY_DIR)/
	@cd $(HUB_PROXY_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@echo "setup: installed configurable-http-proxy $$(node -p 'require("./$(HUB_PROXY_DIR)/node_modules/configurable-http-proxy/package.json").version') into $(HUB_PROXY_DIR)"
	@touch $@

hub-proxy: $(HUB_PROXY)

# As root, every learner's server runs as a system account of its own (hub/README.md, "Security"), from a venv
# built with a Python every account can run (pyenv's, under /root, is not): HUB_PYTHON, default /usr/bin/python3.
HUB_VENV := .venv-hub
HUB_PYTHON ?= /usr/bin/python3
hub-venv:
	@if [ "$$(id -u)" = 0 ] && [ "$${HUB_ISOLATION:-auto}" != shared ]; then \
		$(MAKE) --no-print-directory setup VENV=$(HUB_VENV) PYTHON=$(HUB_PYTHON) COMPILE_BYTECODE=yes; fi

# Both seeds first: every learner's home links them instead of seeding its own.
hub: setup seed seed-large $(HUB_PROXY) hub-venv
	@echo "Starting JupyterHub on http://$(HOST):$(HUB_PORT) (state in .hub/, Ctrl-C stops it and every learner's server)."
	HOST=$(HOST) HUB_PORT=$(HUB_PORT) $(BIN)/jupyterhub -f hub/jupyterhub_config.py

# The load test: N simulated learners sign in, start their servers and run lessons 02 and 04 at once through the
# hub, on PostgreSQL; every output must equal hub/expected/ (make hub-expected records those, once).
N ?= 5
HUB_LOAD_URL ?= $(TEST_POSTGRES_URL)
HUB_LOAD_TIMEOUT ?= 600
hub-load: setup $(HUB_PROXY) hub-venv
	$(BIN)/python -m bench.hub_load --learners $(N) --timeout $(HUB_LOAD_TIMEOUT) $(if $(HUB_LOAD_URL),--url $(HUB_LOAD_URL))

# A curious learner tries to break in from a notebook cell (tests/test_hub_breakin.py): root, PostgreSQL, ~1 min.
hub-breakin: setup $(HUB_PROXY) hub-venv
	HUB_BREAKIN=1 $(PYTEST) -v -s tests/test_hub_breakin.py

hub-expected: setup $(HUB_PROXY) hub-venv
	$(BIN)/python -m bench.hub_load --learners 1 --record $(if $(HUB_LOAD_URL),--url $(HUB_LOAD_URL))

# Every check() a learner runs is recorded in their data folder (.data/progress.json), locally: their table…
progress: setup
	@$(BIN)/python -m lessons.tooling.progress

# …and, for an instructor, the whole class as handed in (on make hub: .hub/exchange, the drop folder), with a CSV.
USERS ?= .hub/exchange
class-progress: setup
	@$(BIN)/python -m lessons.tooling.progress --class $(USERS) $(if $(CSV),--csv $(CSV))

clean:
	rm -rf .data .pytest_cache .ruff_cache .venv-3.* site/_build
