# Sourced by deploy/build-image.sh: sets ENGINE to the container engine command and its flags.
#
# docker when its daemon answers, else podman. Podman runs with runc and cgroupfs (no systemd
# needed), and with default_ulimits emptied when CONTAINERS_CONF is not set: sandboxes like the
# project's CI machines refuse podman's default ulimits and crun's cgroup handling.
# tests/deploy/engine.py chooses the same way for the container tests.
choose_container_engine() {
    local choice=${CONTAINER_ENGINE:-}
    if [ -z "$choice" ]; then
        if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
            choice=docker
        elif command -v podman >/dev/null; then
            choice=podman
        else
            return 1
        fi
    fi
    if [ "$choice" = docker ]; then
        ENGINE=(docker)
        return 0
    fi
    if [ -z "${CONTAINERS_CONF:-}" ]; then
        mkdir -p build
        printf '[containers]\ndefault_ulimits = []\n' > build/containers.conf
        export CONTAINERS_CONF="$PWD/build/containers.conf"
    fi
    ENGINE=(podman --cgroup-manager=cgroupfs)
    if command -v runc >/dev/null; then
        ENGINE+=(--runtime=runc)
    fi
}
