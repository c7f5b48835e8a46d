# Credit Desk — `make demo` runs the dashboard on the built-in Wix sandbox; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PORT ?= 8000
DEMO_ENV := HTTPS=false DATABASE_URL=sqlite:///demo.sqlite3 DJANGO_SETTINGS_MODULE=config.demo.settings
SANDBOX_ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup demo demo-port sandbox test screenshots bench lint browser sdk clean

$(STAMP): pyproject.toml
	@echo "== Creating $(VENV) and installing the pinned dependencies (the first time takes a minute or two)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --progress-bar off -e ".[dev]"
	@echo "== Dependencies installed."
	touch $(STAMP)

# A local key for the demo and tests; production sets SECRET_KEY and CREDENTIALS_KEYS itself.
.env:
	$(PYTHON) -c "import secrets,base64; print('SECRET_KEY=' + secrets.token_urlsafe(50)); print('CREDENTIALS_KEYS=k1:' + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())" > .env
	@echo "Wrote a local .env with a fresh SECRET_KEY and CREDENTIALS_KEYS (not tracked by git)."

setup: $(STAMP) .env
	@mkdir -p staticfiles

# The port is checked first, before anything is installed or printed.
demo-port:
	@$(PYTHON) -c "import socket; socket.socket().bind(('127.0.0.1', $(DEMO_PORT)))" 2>/dev/null || \
	  { echo "Port $(DEMO_PORT) is busy on 127.0.0.1. Pick another: make demo DEMO_PORT=8123"; exit 1; }

demo: demo-port setup
	@echo "== Preparing demo.sqlite3 (migrations)..."
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	@echo "== Starting the Wix and Brevo sandboxes and the dashboard on port $(DEMO_PORT)..."
	$(DEMO_ENV) $(BIN)/python manage.py demo --port $(DEMO_PORT)

# The Wix sandbox alone (e.g. `make sandbox SANDBOX_ARGS="--port 8765 --members 5000 --latency-ms 50"`).
sandbox: setup
	DJANGO_SETTINGS_MODULE=config.demo.settings $(BIN)/python manage.py runsandbox $(SANDBOX_ARGS)

# Chromium from Debian's packages for the browser tests (no browser download at run time), and axe-core from the
# npm registry for the accessibility tests (tests/browser/axe/, test-only: never served to users).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@command -v npm >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
	@test -f tests/browser/axe/node_modules/axe-core/axe.min.js || npm ci --prefix tests/browser/axe --silent --no-audit --no-fund

# The official Wix JavaScript SDK, run against the sandbox by tests/sandbox/test_official_sdk.py.
sdk:
	@command -v npm >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
	@# reinstalls when package-lock.json changed (a merge that adds an SDK package), not only when node_modules is missing
	@test tests/sdk/node_modules/.package-lock.json -nt tests/sdk/package-lock.json || npm ci --prefix tests/sdk --silent --no-audit --no-fund

test: setup browser sdk
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# The browser tests save screenshots to the ignored test-results/screenshots/; this refreshes the README's.
screenshots: setup browser
	rm -rf test-results/screenshots
	$(BIN)/python -m pytest -q tests/browser
	mkdir -p docs/screenshots
	cp test-results/screenshots/*.png docs/screenshots/

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# Every check runs even after one fails (so one run shows every finding); any finding fails the target.
# .pre-commit-config.yaml runs the same four at commit time.
lint: setup
	@status=0; \
	echo "== ruff check"; $(BIN)/ruff check . || status=1; \
	echo "== ruff format --check"; $(BIN)/ruff format --check . || status=1; \
	echo "== mypy (packages and strictness: [tool.mypy] in pyproject.toml)"; $(BIN)/mypy || status=1; \
	echo "== lint-imports (contracts: [tool.importlinter] in pyproject.toml)"; $(BIN)/lint-imports || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) demo.sqlite3 db.sqlite3 staticfiles
