# Kundportal: `make run` serves the portal, `make test` runs the whole suite.
# Both bootstrap .venv from the pinned lock files first; nothing else needs installing by hand.

VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
DEV_STAMP   := $(VENV)/.installed-dev

.PHONY: install install-dev run test lint format messages clean

install: $(STAMP)

$(STAMP): requirements.lock.txt pyproject.toml scripts/find-python.sh
	@set -e; \
	if [ ! -x "$(PY)" ]; then \
	  python=$$(sh scripts/find-python.sh); \
	  echo "Creating $(VENV) with $$python"; \
	  "$$python" -m venv "$(VENV)"; \
	fi; \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock.txt; \
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock.txt
	@touch $@

# The demo prints emails (invitations, password resets) to this terminal unless EMAIL_URL says otherwise.
run: export EMAIL_URL ?= console:
run: install
	$(VENV)/bin/kundportal migrate --noinput
	$(VENV)/bin/kundportal demo --first-run
	@# The background worker (imports of big files, nightly tasks, purges) runs beside the server and stops with it.
	$(VENV)/bin/kundportal worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/kundportal serve

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Translations: the compiled .mo files are committed, so running the portal needs no gettext.
messages: install
	cd kundportal && ../$(VENV)/bin/kundportal makemessages -l sv -l de --no-obsolete --ignore 'tests/*' --ignore '*/tests/*'
	cd kundportal && ../$(VENV)/bin/kundportal compilemessages

clean:
	rm -rf $(VENV) .pytest_cache
