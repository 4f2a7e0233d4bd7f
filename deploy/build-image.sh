#!/usr/bin/env bash
# `make image`: builds the Showcase Bot image with docker (when its daemon answers) or podman.
#
# Where the official base image can be pulled, this is a plain build that installs from the
# package index. Where it cannot (no registry, as on the project's CI machines), it does what
# docs/deploy.md describes: a Debian bookworm base made with mmdebstrap (python3, python3-venv),
# imported as localhost/debian-python:bookworm, and a wheelhouse built on the host
# (build/wheels, kept between runs) installed with --no-index.
#
# Environment: IMAGE (default localhost/showcase-bot:latest), CONTAINER_ENGINE (docker|podman),
# OFFLINE (auto|on|off, default auto), PYTHON (the host's Python 3.11 for the wheelhouse).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/showcase-bot:latest}
OFFICIAL_BASE=docker.io/library/python:3.11-slim-bookworm
LOCAL_BASE=localhost/debian-python:bookworm
OFFLINE=${OFFLINE:-auto}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

say() { echo "build-image: $*" >&2; }

# shellcheck source=deploy/engine.sh
. deploy/engine.sh
if ! choose_container_engine; then
    say "neither a docker daemon nor podman is available: install podman (apt-get install podman runc) or docker"
    exit 1
fi
say "engine: ${ENGINE[*]}"

# The page's Web Chat bundle comes from node_modules (npm ci), so the image needs no CDN.
make --no-print-directory node-deps

if [ "$OFFLINE" = auto ]; then
    if "${ENGINE[@]}" image inspect "$OFFICIAL_BASE" >/dev/null 2>&1 \
        || timeout 120 "${ENGINE[@]}" pull -q "$OFFICIAL_BASE" >/dev/null 2>&1; then
        OFFLINE=off
    else
        OFFLINE=on
        say "$OFFICIAL_BASE cannot be pulled here: building offline (Debian base + host wheelhouse)"
    fi
fi

FORMAT=()
[ "${ENGINE[0]}" = podman ] && FORMAT=(--format docker)  # keeps HEALTHCHECK (OCI images drop it)

if [ "$OFFLINE" = off ]; then
    exec "${ENGINE[@]}" build "${FORMAT[@]}" -t "$IMAGE" .
fi

# 1. The base image: Debian 12 with its Python 3.11, from Debian packages.
if ! "${ENGINE[@]}" image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
    command -v mmdebstrap >/dev/null || { say "mmdebstrap is needed: apt-get install mmdebstrap"; exit 1; }
    rootfs=$(mktemp -d)/rootfs.tar
    say "making $LOCAL_BASE with mmdebstrap"
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs"
    "${ENGINE[@]}" import "$rootfs" "$LOCAL_BASE" >/dev/null
    rm -rf "$(dirname "$rootfs")"
fi

# 2. The wheelhouse, built again only when the lock or pyproject.toml changed.
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "the wheelhouse needs Python 3.11 (the image has 3.11)")'
stamp=build/wheels/.built-from
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "building the wheelhouse in build/wheels"
    rm -rf build/wheels
    mkdir -p build/wheels
    # The project's run-time dependencies at the lock's versions, and setuptools to build the
    # project in the image (from the sources it copies, not from a wheel made here).
    dependencies=$(mktemp)
    "$PYTHON" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > "$dependencies"
    "$PYTHON" -m pip wheel --quiet --disable-pip-version-check -c requirements.lock -r "$dependencies" \
        'setuptools>=64' -w build/wheels
    rm -f "$dependencies"
    echo "$want" > "$stamp"
fi

# 3. The build, offline: the package index is not reachable from the build here.
exec "${ENGINE[@]}" build "${FORMAT[@]}" --network=host \
    --build-arg BASE_IMAGE="$LOCAL_BASE" --build-arg WHEELHOUSE=build/wheels -t "$IMAGE" .
