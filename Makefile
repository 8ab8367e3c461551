# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast lint simulate bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@echo "vbp on http://127.0.0.1:8000 (docs at /docs), SQLite in ./vbp.db."
	@echo "A bureau token, in another shell:  .venv/bin/vbp tokens create --role bureau --name YOUR-NAME"
	$(BIN)/vbp serve

simulate: $(STAMP)
	$(BIN)/vbp simulate examples/small-round.json --format table

# Every test, slow solver cases included. With VBP_TEST_DATABASE_URL set, each
# database test runs on SQLite and on that database.
test: $(STAMP)
	$(BIN)/pytest -q -n 2

test-fast: $(STAMP)
	$(BIN)/pytest -q -n 2 -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis vbp.db
