# dezmap: two commands do everything on a fresh Debian machine with Python 3.11.
#   make run    set up, then start the app on http://localhost:8501 with the bundled data
#   make test   set up (browser included), then run the whole test suite
# Everything is installed from the project's own files: Python packages from uv.lock (with uv,
# itself pinned and installed from PyPI), Leaflet and its plugins from the npm registry as pinned
# in package-lock.json (by geo/assets.py, no Node needed), Chromium from Debian's packages.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test setup browser lint clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --python $(PYTHON)
	touch $@

static/vendor/.installed: package-lock.json geo/assets.py | $(VENV)/.synced
	$(PY) -m geo.assets
	touch $@

setup: $(VENV)/.synced static/vendor/.installed

browser:
	scripts/ensure-chromium

run: setup
	$(VENV)/bin/dezmap serve --port $(PORT)

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check geo ui tests app.py pages benchmarks

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
