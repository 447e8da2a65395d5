# The bakery's everyday commands. `make run` and `make test` need only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run install assets db test test-services test-all bench clean

run: install assets db ## Start the bakery on the embedded default at http://localhost:5000
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 --access-logfile - wsgi:app

install: $(BIN)/.installed

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# htmx comes from npm, never from the repo; without npm the pages still work (no JavaScript needed).
assets: app/static/vendor/htmx.min.js

app/static/vendor/htmx.min.js: package.json
	@if command -v npm >/dev/null; then \
		npm install --no-audit --no-fund --silent && mkdir -p app/static/vendor && \
		cp node_modules/htmx.org/dist/htmx.min.js $@; \
	else echo "npm not found: pages will work without htmx"; fi

db: install ## Create or upgrade the schema and load the demo products
	$(BIN)/flask db upgrade
	$(BIN)/flask seed

test: install assets ## The test suite on the embedded default (SQLite, in-process cache and queue)
	BAKERY_TEST_BACKEND=embedded $(BIN)/pytest

test-services: install assets ## The same suite against PostgreSQL, Redis and RabbitMQ on localhost
	BAKERY_TEST_BACKEND=services $(BIN)/pytest

test-all: test test-services

bench: install ## Load scenarios against nginx and bare-Flask baselines (PostgreSQL, Redis, RabbitMQ on localhost); BENCH_ARGS=--quick for a smoke run
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules app/static/vendor instance .pytest_cache
