# The two commands of the README: `make run` (set up, then serve on 127.0.0.1:5000 with SQLite under var/)
# and `make test` (set up, then lint and run the whole suite). Both work from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/emflow serve --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check engine rules api tests bench

test: setup lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/engine_bench.py

clean:
	rm -rf $(VENV) *.egg-info var .pytest_cache
