# The two commands of the README: `make run` (set up, then serve on 127.0.0.1:5000 with SQLite under var/)
# and `make test` (set up, then lint, type-check and run the whole suite). Both work from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := api/web

.PHONY: run test setup lint typecheck bench clean chromium mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# the pages: npm ci when the lock file changes, the esbuild bundle when a source changes (else nothing to do)
$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

$(WEB)/dist/manifest.json: $(WEB)/node_modules/.package-lock.json $(WEB)/build.mjs $(shell find $(WEB)/src -type f)
	cd $(WEB) && node build.mjs

setup: $(STAMP) $(WEB)/dist/manifest.json

# the browser tests drive Debian's chromium (never a browser downloaded by Playwright)
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

run: setup
	$(BIN)/emflow serve --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check engine rules api tests bench tools
	$(BIN)/ruff format --check engine rules api tests bench tools

# mypy with the [mypy] sections of setup.cfg, strict on each package listed here
TYPED := engine rules

typecheck: setup
	$(BIN)/mypy --config-file setup.cfg $(TYPED)

test: setup lint typecheck chromium
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/engine_bench.py

# opt-in, slow (tens of minutes on 2 cores): mutation score of the core modules, >= 80% each (tools/mutation.py)
MUTATION_STAMP := $(VENV)/.mutation-installed

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	touch $(MUTATION_STAMP)

mutation: $(MUTATION_STAMP)
	$(BIN)/python tools/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) *.egg-info var .pytest_cache $(WEB)/dist $(WEB)/node_modules
