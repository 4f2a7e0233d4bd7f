"""The Azure emulators in their own process, so they never share the load generator's loop.

Starts `python -m tests.emulators` with latency/faults and a control port, reads the
endpoint variables it prints, and reads its request log to count round trips.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

BENCH_KEY = "bench-key"
BENCH_REGION = "westeurope"
_ENDPOINT_VARIABLES = (
    "AZURE_LANGUAGE_ENDPOINT", "AZURE_TRANSLATOR_ENDPOINT", "AZURE_CONTENT_SAFETY_ENDPOINT", "EMULATOR_CONTROL_URL",
)


class EmulatorStartError(RuntimeError):
    """The emulator process exited or printed no endpoints in time."""


@dataclass(frozen=True)
class EmulatorSpec:
    """How the emulators should behave for one bench row."""

    latency_s: float = 0.0
    faults: str = ""  # the --faults rotation, e.g. "ok,latency:1,429:1,500"


@dataclass(frozen=True)
class RoundTrips:
    """Emulator requests seen during a stretch of the run."""

    total: int
    per_kind: dict[str, int] = field(default_factory=dict)


class EmulatorProcess:
    """`async with EmulatorProcess(spec, root) as emulators:` then use `.bot_env`."""

    def __init__(self, spec: EmulatorSpec, root: Path) -> None:
        self.spec = spec
        self.root = root
        self.bot_env: dict[str, str] = {}
        self.control_url = ""
        self._process: subprocess.Popen[str] | None = None

    async def __aenter__(self) -> EmulatorProcess:
        command = [
            sys.executable, "-m", "tests.emulators", "--key", BENCH_KEY,
            "--latency", str(self.spec.latency_s), "--control-port", "0",
        ]
        if self.spec.faults:
            command += ["--faults", self.spec.faults]
        self._process = subprocess.Popen(
            command, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        found = await asyncio.wait_for(asyncio.to_thread(self._read_endpoints), timeout=30)
        self.control_url = found["EMULATOR_CONTROL_URL"]
        self.bot_env = {
            "AZURE_LANGUAGE_ENDPOINT": found["AZURE_LANGUAGE_ENDPOINT"],
            "AZURE_LANGUAGE_KEY": BENCH_KEY,
            "AZURE_TRANSLATOR_ENDPOINT": found["AZURE_TRANSLATOR_ENDPOINT"],
            "AZURE_TRANSLATOR_KEY": BENCH_KEY,
            "AZURE_TRANSLATOR_REGION": BENCH_REGION,
            "AZURE_CONTENT_SAFETY_ENDPOINT": found["AZURE_CONTENT_SAFETY_ENDPOINT"],
            "AZURE_CONTENT_SAFETY_KEY": BENCH_KEY,
        }
        return self

    def _read_endpoints(self) -> dict[str, str]:
        assert self._process is not None and self._process.stdout is not None
        found: dict[str, str] = {}
        while len(found) < len(_ENDPOINT_VARIABLES):
            line = self._process.stdout.readline()
            if not line:
                raise EmulatorStartError(f"emulators exited with {self._process.poll()}")
            name, _, value = line.strip().partition("=")
            if name in _ENDPOINT_VARIABLES:
                found[name] = value
        return found

    async def __aexit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 10)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()

    async def log(self) -> list[dict[str, Any]]:
        """Every request the emulators received so far (t, service, kind, items), oldest first."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.control_url}/log") as response:
            response.raise_for_status()
            return await response.json()

    async def faults(self) -> dict[str, dict[str, int]]:
        """Faults injected so far, per service and kind."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.control_url}/counts") as response:
            response.raise_for_status()
            return (await response.json())["faults"]


def round_trips(entries: list[dict[str, Any]]) -> RoundTrips:
    """Count requests per "service kind" in a slice of the log."""
    per_kind = Counter(f"{entry['service']} {entry['kind']}" for entry in entries)
    return RoundTrips(sum(per_kind.values()), dict(sorted(per_kind.items())))


def sequential_waves(entries: list[dict[str, Any]], gap_s: float) -> list[list[dict[str, Any]]]:
    """Group one turn's requests into waves: a request starts a new wave when it
    arrives `gap_s` or more after the previous wave began (it had to wait for an answer)."""
    waves: list[list[dict[str, Any]]] = []
    for entry in sorted(entries, key=lambda item: item["t"]):
        if waves and entry["t"] - waves[-1][0]["t"] < gap_s:
            waves[-1].append(entry)
        else:
            waves.append([entry])
    return waves
