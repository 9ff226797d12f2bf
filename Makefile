# Sentichat. `make run` serves it; `make test` runs every test.
# Both build the virtual environment first when it is missing or stale.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format schema migrate clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

## Serve Sentichat on the embedded default (SQLite file, in-memory fan-out).
run: $(STAMP)
	$(BIN)/uvicorn graph.app:app --host $(HOST) --port $(PORT)

## Every test: needs PostgreSQL and Redis (skipped with a reason outside CI).
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

## ruff, formatting, mypy --strict, import-linter contracts.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Rewrite graph/schema.graphql from the code.
schema: $(STAMP)
	$(BIN)/python -c "from graph.schema import SDL_PATH, export_sdl; SDL_PATH.write_text(export_sdl())"

## Apply migrations to $$DATABASE_URL.
migrate: $(STAMP)
	$(BIN)/alembic upgrade head

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
