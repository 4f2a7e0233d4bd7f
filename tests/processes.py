"""Helpers for the servers tests start as child processes (bots, Azurite)."""

from __future__ import annotations

import subprocess


def terminate(process: subprocess.Popen | None, timeout_s: float = 10) -> None:
    """SIGTERM, as a process manager would stop it; SIGKILL when it does not go in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)
