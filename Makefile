# The two commands a newcomer needs: `make run` and `make test`. Everything else is set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT   ?= 8000
# pytest-xdist: one test process per core (PYTEST_WORKERS=0 runs them in this one).
PYTEST_WORKERS ?= auto
TRANSLATIONS := crm/translations
SOURCES := app.py worker.py crm automation templates

.PHONY: run test setup lint format translations extract-messages browser bench clean

run: setup
	PORT=$(PORT) $(BIN)/python -m crm.devserver

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

setup: $(STAMP) translations

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Compiled catalogs (.mo) are built here, never committed.
translations: $(STAMP)
	@$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

# After changing UI strings: refresh the catalogs, then translate the new French entries.
extract-messages: $(STAMP)
	$(BIN)/pybabel -q extract -F $(TRANSLATIONS)/babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_pgettext:1c,2 --no-location --sort-output -o $(TRANSLATIONS)/messages.pot $(SOURCES)
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(BIN)/python -m crm.i18n_catalogs

# Browser tests need Chromium: the one found, else Playwright's download, else Debian's package (as root).
browser: $(STAMP)
	@PYTHON=$(BIN)/python .ci/chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark on SQLite and PostgreSQL (~25 min); writes the table into bench/README.md.
bench: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python bench/run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
