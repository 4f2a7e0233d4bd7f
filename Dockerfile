# Showcase Bot as a container image: `make image` (or a plain `docker build -t showcase-bot .`).
#
# Before a plain build, run `npm ci` (or `make node-deps`) once: the Web Chat page's bundle is
# copied from node_modules, so the image serves it itself and needs no CDN.
#
# Build arguments:
#   BASE_IMAGE  any Debian-based image with Python 3.11 and its venv module
#               (default: the official python:3.11-slim-bookworm).
#   WHEELHOUSE  empty (default): pip installs from the package index.
#               build/wheels: pip installs only from that directory of the build context
#               (--no-index --find-links), for machines whose builds cannot reach an index;
#               deploy/build-image.sh fills it on the host.
# Run: docker run -p 3978:3978 -v showcase-state:/app/data showcase-bot  (docs/deploy.md)

ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG WHEELHOUSE=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# `build/wheel[s]` matches nothing when there is no wheelhouse; requirements.lock keeps the COPY valid.
COPY requirements.lock build/wheel[s] /wheelhouse/
COPY pyproject.toml README.md requirements.lock ./
COPY deploy/check_lock.py deploy/
# The run-time part of requirements.lock at exactly its versions (-c): the lock also pins the
# developer tools (pytest, ruff, playwright, matplotlib), which the image leaves out. Installed
# before the sources are copied, so a code change does not reinstall them.
RUN set -eu; \
    case "$WHEELHOUSE" in \
      "") source="" ;; \
      build/wheels) source="--no-index --find-links /wheelhouse" ;; \
      *) echo "WHEELHOUSE must be empty or build/wheels, not '$WHEELHOUSE'" >&2; exit 1 ;; \
    esac; \
    python3 -m venv /opt/venv; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > dependencies.txt; \
    /opt/venv/bin/python -m pip install --quiet $source -c requirements.lock -r dependencies.txt
COPY adapters adapters
COPY bot bot
COPY dialogs dialogs
COPY chatscripts chatscripts
# The project itself; then pip goes (the image never installs at run time), and the check fails
# the build if anything not pinned by the lock got in.
RUN set -eu; \
    case "$WHEELHOUSE" in "") source="" ;; *) source="--no-index --find-links /wheelhouse" ;; esac; \
    /opt/venv/bin/python -m pip install --quiet --no-deps $source .; \
    /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools; \
    /opt/venv/bin/python deploy/check_lock.py requirements.lock
RUN /opt/venv/bin/python -m compileall -q /opt/venv/lib

# Web Chat's official bundle and uPlot (the operator page's charts), from the host's
# node_modules (installed by `npm ci`).
FROM ${BASE_IMAGE} AS webchat
COPY package.json node_modules/botframework-webchat/dist/webchat.j[s] /webchat/
COPY package.json node_modules/uplot/dist/uPlot.iife.min.j[s] node_modules/uplot/dist/uPlot.min.cs[s] /uplot/
RUN test -f /webchat/webchat.js -a -f /uplot/uPlot.iife.min.js -a -f /uplot/uPlot.min.css || { \
      echo "node_modules is missing Web Chat or uPlot: run 'npm ci' (or 'make node-deps') before building" >&2; \
      exit 1; }

FROM ${BASE_IMAGE} AS runtime
RUN useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir -p /app/data /app/node_modules/botframework-webchat/dist /app/node_modules/uplot/dist \
    && chown bot:bot /app/data
COPY --from=build /opt/venv /opt/venv
# The bot looks for the bundle under its working directory (bot/channels/webchat/routes.py).
COPY --from=webchat /webchat/webchat.js /app/node_modules/botframework-webchat/dist/webchat.js
COPY --from=webchat /uplot/uPlot.iife.min.js /uplot/uPlot.min.css /app/node_modules/uplot/dist/
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3978 \
    BOT_STATE_DIR=/app/data
# SQLite state (the default store) lives here; mount a volume to keep it across containers.
VOLUME ["/app/data"]
USER bot
EXPOSE 3978
# Liveness only (/healthz); /readyz also checks the store and the engines.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3978\")}/healthz', timeout=4).status == 200 else 1)"]
# SIGTERM (docker/podman stop, a platform scaling in): the bot stops accepting, lets the turns in
# flight finish and save their state, then exits 0 (bot/__main__.py).
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
