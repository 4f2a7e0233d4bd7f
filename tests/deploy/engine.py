"""The container engine the image tests use: docker when its daemon answers, else podman.

Chosen as deploy/engine.sh chooses for `make image`, with the same podman flags (runc,
cgroupfs, no default ulimits), so the tests run the image the way it was built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Set by .ci/run: there, a machine that cannot run containers is a failure, not a skip.
REQUIRE_ENV = "SHOWCASE_REQUIRE_CONTAINERS"


@dataclass(frozen=True)
class Engine:
    command: tuple[str, ...]
    env: dict[str, str]

    @property
    def name(self) -> str:
        return self.command[0]

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """One engine command; its output is returned as text (stderr kept apart)."""
        result = subprocess.run(
            [*self.command, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join([*self.command, *args][:6])} failed: {result.stderr[-2000:]}")
        return result


def find_engine() -> tuple[Engine | None, str]:
    """The engine, or None and the exact reason containers cannot run here."""
    env = dict(os.environ)
    choice = env.get("CONTAINER_ENGINE", "")
    if not choice:
        docker_ok = shutil.which("docker") and subprocess.run(
            ["docker", "info"], capture_output=True, timeout=30
        ).returncode == 0
        if docker_ok:
            choice = "docker"
        elif shutil.which("podman"):
            choice = "podman"
        else:
            docker = "docker is installed but its daemon does not answer" if shutil.which("docker") else \
                "docker is not installed"
            return None, f"no container engine: {docker}, and podman is not installed (apt-get install podman runc)"
    if choice == "docker":
        engine = Engine(("docker",), env)
    else:
        if not env.get("CONTAINERS_CONF"):
            conf = REPO_ROOT / "build" / "containers.conf"
            conf.parent.mkdir(parents=True, exist_ok=True)
            conf.write_text("[containers]\ndefault_ulimits = []\n")
            env["CONTAINERS_CONF"] = str(conf)
        command = ["podman", "--cgroup-manager=cgroupfs"]
        if shutil.which("runc"):
            command.append("--runtime=runc")
        engine = Engine(tuple(command), env)
    info = engine.run("info", check=False, timeout=60)
    if info.returncode != 0:
        return None, f"`{engine.name} info` failed, so it cannot run containers: {info.stderr.strip()[-500:]}"
    return engine, ""
