# Two commands do everything: `make run` (install, migrate, demo data, server + worker) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL pass of `make test`; pytest-django creates and drops its own test database from it.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/juiced

.PHONY: run test install lint test-sqlite test-postgres bench bench-ingest bench-vending clean

$(BIN)/juiced: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/juiced

install: $(BIN)/juiced

run: install
	$(BIN)/juiced migrate
	$(BIN)/juiced demo
	$(BIN)/juiced serve --host $(HOST) --port $(PORT) --with-worker --with-fake-stripe

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest -q

test-postgres: install
	$(BIN)/python -m juiced.config.wait_for_postgres "$(TEST_DATABASE_URL)"
	DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest -q

test: lint test-sqlite test-postgres

bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/wallet.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/tiers.py
	$(BIN)/python bench/vending.py

bench-ingest: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/ingest.py

bench-vending: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/vending.py

clean:
	rm -rf $(VENV) var
