# Two commands from a fresh clone: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: install run test translations vendor worker bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

install: $(VENV)/.installed translations vendor

# Compile the zh/en catalogs (.mo files are build output, never committed).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -q -f -d translations

# Browser libraries from the npm registry, copied into app/static/vendor/.
vendor:
	@if [ -s package.json ] && command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund && $(BIN)/python scripts/copy_vendor.py; \
	else echo "npm not found: pages that need vendor libraries will say so"; fi

# run.py applies migrations, syncs permissions, seeds the demo data once and prints the
# demo logins before it starts the server.
run: install
	$(BIN)/python run.py

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/flask md worker

bench: install
	$(BIN)/python bench/list_queries.py

clean:
	rm -rf $(VENV) instance node_modules app/static/vendor
