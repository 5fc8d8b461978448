# obert: `make demo` serves the portal with the Barcelona sample data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENDOR := obert/web/static/vendor
export SCARF_ANALYTICS := false

.PHONY: demo serve test lint typecheck pytest install static messages clean wheel wheel-smoke

demo: install
	$(BIN)/obert demo

serve: install
	$(BIN)/obert serve

install: $(VENV)/.installed static

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries are served by obert itself, never from a CDN.
static: $(VENDOR)/.copied

$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/swagger-ui $(VENDOR)/leaflet $(VENDOR)/chart.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.js/
	touch $@

test: install lint typecheck pytest

# A wheel carries the built front-end files (setup.py builds them when missing) and the demo's files.
wheel: static
	rm -rf dist
	$(BIN)/pip wheel --no-deps --quiet --wheel-dir dist .

# The wheel as an operator installs it: a fresh virtual environment, the demo loaded into a temporary data
# directory, pages, the API index, the API docs and a Swagger UI file fetched (about a minute).
wheel-smoke: wheel
	$(PYTHON) scripts/wheel_smoke.py dist/obert-*.whl

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -q -n 2 --dist worksteal

# Re-extract interface strings after changing templates or code, then translate the new entries.
messages:
	$(BIN)/pybabel extract -F babel.cfg -k _ -k ngettext:1,2 -k msg --no-location --omit-header -o obert/i18n/messages.pot .
	$(BIN)/pybabel update -i obert/i18n/messages.pot -d obert/i18n/locale --no-fuzzy-matching --width 110

clean:
	rm -rf $(VENV) node_modules $(VENDOR) dist build .mypy_cache .pytest_cache .ruff_cache
