# The bakery's everyday commands. `make run` and `make test` need only Python 3.11+; `make` alone lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi
PIP := $(BIN)/pip install --disable-pip-version-check
.DEFAULT_GOAL := help

.PHONY: help run install assets db staff lint audit-deps format test test-services test-all bench clean

help: ## List the targets (this text)
	@echo "make <target>, for example: make run, make run PORT=8000, make test, make staff user=ana"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: $(BIN)/.installed-run assets db ## Start the bakery on the embedded default at http://localhost:5000 (make run PORT=8000 for another port)
	@$(BIN)/python -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", $(PORT)))' 2>/dev/null \
		|| { echo "Port $(PORT) is in use: try make run PORT=8000"; exit 1; }
	@echo "==> Starting gunicorn on http://localhost:$(PORT)/ (Ctrl-C stops it)"
	@($(BIN)/python -c 'from bench.processes import wait_http; wait_http("http://127.0.0.1:$(PORT)/health", 60)' 2>/dev/null \
		&& printf '%s\n' "" "The bakery is up:" \
		"  shop         http://localhost:$(PORT)/" \
		"  staff        http://localhost:$(PORT)/staff/login" \
		"  first staff user (an owner), in another terminal (asks for a password of at least 12 characters):" \
		"               make staff user=ana" \
		"           or  $(BIN)/flask --app wsgi create-staff ana" \
		"Ctrl-C stops the bakery." "") &
	@exec $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 --access-logfile - wsgi:app

# What running needs (requirements.txt) and, on top, the test and development tools.
install: $(BIN)/.installed ## Create .venv/ with the runtime and the test tools (requirements-dev.txt)

$(BIN)/.installed-run: requirements.txt
	@test -d $(VENV) || { echo "==> Creating the virtual environment $(VENV)/"; $(PYTHON) -m venv $(VENV); }
	@echo "==> Installing what the bakery needs to run (requirements.txt) into $(VENV)/"
	$(PIP) -r requirements.txt
	@touch $@

$(BIN)/.installed: $(BIN)/.installed-run requirements-dev.txt
	@echo "==> Installing the test and development tools (requirements-dev.txt) into $(VENV)/"
	$(PIP) -r requirements-dev.txt
	@touch $@

# htmx comes from npm, never from the repo; without npm the pages still work (no JavaScript needed).
assets: app/static/vendor/htmx.min.js ## Copy htmx from npm into app/static/vendor/ (skipped without npm)

app/static/vendor/htmx.min.js: package.json
	@if command -v npm >/dev/null; then \
		echo "==> Installing htmx from npm (package.json)"; \
		npm install --no-audit --no-fund --silent && mkdir -p app/static/vendor && \
		cp node_modules/htmx.org/dist/htmx.min.js $@; \
	else echo "npm not found: pages will work without htmx"; fi

db: $(BIN)/.installed-run ## Create or upgrade the schema and load the demo products
	@echo "==> Migrating the database and loading the demo products"
	$(BIN)/flask db upgrade
	$(BIN)/flask seed

# A .env made for Docker Compose (cp .env.example .env) names the hosts db, redis and rabbitmq, which exist
# only inside Compose, and the app, the worker and the flask command all read .env: one line, not a traceback.
COMPOSE_HOSTS_RE := ^[[:space:]]*(export[[:space:]]+)?(DB_HOST[[:space:]]*=[[:space:]]*"?db"?([[:space:]]|$$)|(DATABASE_URL|REDIS_URL|RABBITMQ_URL)[[:space:]]*=.*(@|//)(db|redis|rabbitmq)(:|/|"|[[:space:]]|$$))
ifneq ($(filter run db staff,$(MAKECMDGOALS)),)
ifneq ($(shell test -f .env && grep -Eq '$(COMPOSE_HOSTS_RE)' .env && echo compose),)
$(error .env is for Docker Compose (DB_HOST=db, redis, rabbitmq): move it away (mv .env .env.compose) for make run, or run docker compose up)
endif
endif

ifneq ($(filter staff,$(MAKECMDGOALS)),)
ifndef user
$(error Say who: make staff user=ana)
endif
endif
staff: db ## Add a staff user for /staff/login: make staff user=ana (asks for a password: at least 12 characters, not easy to guess)
	$(BIN)/flask create-staff "$(user)"

lint: install ## ruff (lint and formatting) and bandit (security lint of app/ and worker/), as CI does
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive app worker wsgi.py gunicorn.conf.py

audit-deps: install ## Known vulnerabilities in the pinned dependencies (pip-audit; needs PyPI's or OSV's advisory data reachable)
	$(PIP) --quiet pip-audit
	$(BIN)/pip-audit --requirement requirements.txt --requirement requirements-dev.txt

format: install ## ruff: fix what can be fixed and format the tree
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The suites run in TEST_PROCESSES processes (pytest-xdist), one test file per process at a time;
# each process has its own database, Redis db and queue names. TEST_PROCESSES=0 runs them in one.
TEST_PROCESSES ?= 3
XDIST := $(if $(filter 0,$(TEST_PROCESSES)),,-n $(TEST_PROCESSES) --dist loadfile)

test: install assets ## The test suite on the embedded default (SQLite, in-process cache and queue)
	BAKERY_TEST_BACKEND=embedded $(BIN)/pytest $(XDIST)

# Tests marked `exclusive` stop RabbitMQ, which every process shares: they run alone, afterwards.
test-services: install assets ## The same suite against PostgreSQL, Redis and RabbitMQ on localhost
	BAKERY_TEST_BACKEND=services $(BIN)/pytest $(XDIST) -m "not exclusive"
	BAKERY_TEST_BACKEND=services $(BIN)/pytest -m exclusive

test-all: test test-services ## Both suites

bench: install ## Load scenarios against nginx and bare-Flask baselines (PostgreSQL, Redis, RabbitMQ on localhost); BENCH_ARGS=--quick for a smoke run
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean: ## Remove .venv/, node_modules/, htmx, instance/ (the SQLite database and secret key) and caches
	rm -rf $(VENV) node_modules app/static/vendor instance .pytest_cache
