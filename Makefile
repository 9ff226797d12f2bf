# Sentichat. `make run` serves it; `make test` runs every test.
# Both build the virtual environment and the web client first when either is
# missing or stale.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench bench-handwritten bench-smoke lint format schema migrate web web-dev clean \
	sentiment-model sentiment-eval rescore

WEB := frontend
WEB_STAMP := $(WEB)/node_modules/.installed
WEB_BUILD := $(WEB)/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f -not -path '$(WEB)/src/generated/*') \
	$(addprefix $(WEB)/,index.html vite.config.ts codegen.ts tsconfig.json) graph/schema.graphql

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	cd $(WEB) && npm run build

## Serve Sentichat on the embedded default (SQLite file, in-memory fan-out),
## with the web client at http://$(HOST):$(PORT)/.
run: $(STAMP) $(WEB_BUILD)
	$(BIN)/python -m graph --host $(HOST) --port $(PORT)

## Build the web client into frontend/dist.
web: $(WEB_BUILD)

## The client with hot reload on :5173, proxying /graphql to `make run`'s port.
web-dev: $(WEB_STAMP)
	cd $(WEB) && SENTICHAT_API=http://$(HOST):$(PORT) npm run dev

## Every test: the client's unit tests (Vitest), then pytest, whose browser
## tests drive the built client. PostgreSQL, Redis and Debian's chromium are
## needed (tests needing one are skipped with a reason outside CI).
test: $(STAMP) $(WEB_BUILD)
	cd $(WEB) && npm test
	$(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks against raw baselines, same run (PostgreSQL and Redis needed):
## the table on stdout; JSON, table.md and latency.png in .artifacts/bench.
## BENCH_ARGS="--scale quick" for a two-minute run, "--profile" for py-spy.
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks $(BENCH_ARGS)

## What the hand-written GraphQL modules save over their dependencies'
## equivalents, in-process (the figures in their docstrings).
bench-handwritten: $(STAMP)
	$(BIN)/python -m tests.benchmarks.handwritten

## A tiny run that keeps the harnesses working (CI); its figures mean nothing.
bench-smoke: $(STAMP)
	$(BIN)/python -m tests.benchmarks --scale smoke --out .artifacts/bench-smoke
	$(BIN)/python -m tests.benchmarks.handwritten --repeats 1 > /dev/null

## Retrain the sentiment model from ../shared/data/sentiment (or
## $$SENTICHAT_SENTIMENT_DATA) into graph/domain/sentiment/model.tsv, bit for
## bit the committed one while data and code are unchanged (about a minute).
sentiment-model: $(STAMP)
	$(BIN)/python -m tests.sentiment.train

## Sentichat's analyzer against TextBlob and VADER on each rated file:
## accuracy, macro-F1, Pearson r (5-fold cross-validated where the model
## trains on the file); the table on stdout, confusion matrices in
## .artifacts/sentiment. EVAL_ARGS="--fast" for tweets-dev.tsv alone.
sentiment-eval: $(STAMP)
	$(BIN)/python -m tests.sentiment.evaluate $(EVAL_ARGS)

## Score again the stored messages an older analyzer scored (DATABASE_URL),
## in batches; safe while the server runs, resumable after a kill.
## RESCORE_ARGS="--batch-size 200 --pause 0.1" to go easier on the database.
rescore: $(STAMP)
	$(BIN)/python -m graph rescore $(RESCORE_ARGS)

## ruff, formatting, mypy --strict, import-linter contracts; vue-tsc on the client.
lint: $(STAMP) $(WEB_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd $(WEB) && npm run typecheck

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Rewrite graph/schema.graphql from the code.
schema: $(STAMP)
	$(BIN)/python -c "from graph.api.schema import SDL_PATH, export_sdl; SDL_PATH.write_text(export_sdl())"

## Apply migrations to $$DATABASE_URL.
migrate: $(STAMP)
	$(BIN)/alembic upgrade head

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
	rm -rf $(WEB)/node_modules $(WEB)/dist $(WEB)/src/generated
