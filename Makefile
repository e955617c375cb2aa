# Two commands from a fresh clone: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: install run test translations translations-update vendor worker bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

install: $(VENV)/.installed translations vendor

# Compile the zh/en catalogs (.mo files are build output, never committed).
# File targets: compiled only when a .po changed, so concurrent `make test` runs (CI runs
# three databases at once) never write the same files.
MO_FILES := translations/zh/LC_MESSAGES/messages.mo translations/en/LC_MESSAGES/messages.mo
translations: $(MO_FILES)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -f -d translations -l $*

# Re-extract translations/messages.pot from app/ (babel.cfg) and update both catalogs.
# en is updated from messages.pot; zh from messages.pot plus Flask-AppBuilder's own English
# strings (scripts/i18n_zh_template.py), which zh translates over FAB's old zh catalog.
# Keywords besides the defaults (_ gettext ngettext N_ ...): _l/lazy_gettext, lazy_pgettext
# (context "action") and _lazy_format (the base view's "%(name)s列表" titles).
# -N: no fuzzy guesses (`translations` compiles with -f, a wrong guess would be shown).
# Then translate the new empty entries (see the top of each .po) and `make translations`.
BABEL_EXTRACT := -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k _lazy_format \
	--no-wrap --sort-by-file --add-location=file --project=MerchantDesk
BABEL_UPDATE := -N --ignore-obsolete --ignore-pot-creation-date --no-wrap -d translations
ZH_TEMPLATE := translations/.zh-template.pot
translations-update: $(VENV)/.installed
	$(BIN)/pybabel -q extract $(BABEL_EXTRACT) -o translations/messages.pot .
	$(BIN)/pybabel -q update $(BABEL_UPDATE) -i translations/messages.pot -l en
	$(BIN)/python scripts/i18n_zh_template.py translations/messages.pot $(ZH_TEMPLATE)
	$(BIN)/pybabel -q update $(BABEL_UPDATE) -i $(ZH_TEMPLATE) -l zh
	rm -f $(ZH_TEMPLATE)

# Browser libraries from the npm registry, copied into app/static/vendor/.
# The stamp is written only when the copy succeeded: without npm, every run tries again.
VENDOR_STAMP := app/static/vendor/.copied
vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): package.json scripts/copy_vendor.py | $(BIN)/python
	@if [ -s package.json ] && command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund && $(BIN)/python scripts/copy_vendor.py \
		&& touch $@; \
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
