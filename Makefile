# The two commands in the README: `make run` and `make test`. Each bootstraps .venv
# from requirements.lock (exact versions) when the lock or pyproject.toml changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint lock clean-venv node-deps browser image

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	@$(MAKE) --no-print-directory node-deps || echo "Web Chat page: using the CDN copy (npm not available)"
	$(BIN)/python -m bot

test: $(STAMP) node-deps browser
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.accuracy
	$(BIN)/python -m bench.safety
	$(BIN)/python -m bench.state
	$(BIN)/python -m bench.turns --repeat 3
	$(BIN)/python -m bench.curve
	$(BIN)/python -m bench.hostile
	$(BIN)/python -m bench.telemetry

lint: $(STAMP)
	$(BIN)/ruff check .

# The container image (Dockerfile) with docker or podman; offline where no registry answers.
# IMAGE=name:tag to choose its name (default localhost/showcase-bot:latest). docs/deploy.md.
image:
	deploy/build-image.sh

# npm packages used by the page and the channel tests (pinned in package-lock.json).
node-deps:
	@if [ -f package-lock.json ]; then \
	  command -v npm >/dev/null || { echo "npm is needed: install Node.js 20 (e.g. apt-get install nodejs npm)"; exit 1; }; \
	  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; \
	  fi; \
	fi

# Debian's Chromium for the browser tests: installed when we are root on Debian.
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else \
	    echo "Chromium is needed for the channel tests: run 'sudo apt-get install -y chromium'"; exit 1; \
	  fi; \
	fi

# Refresh requirements.lock from the current .venv (after changing pyproject.toml).
lock:
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^-e ' > requirements.lock

clean-venv:
	rm -rf $(VENV)
