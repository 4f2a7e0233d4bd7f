"""Launch helpers for the real-client channel tests: Debian Chromium, Node scripts, the Playground.

Missing tools fail the test with the exact command that installs them (never a skip),
and the browser may reach only this machine: every other request is aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.conftest import make_settings, serve

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
NODE_SCRIPTS = Path(__file__).parent / "node"
CHROMIUM = Path(os.environ.get("SHOWCASE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium"
INSTALL_NODE_MODULES = f"cd {REPO} && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci"
STEP_TIMEOUT_MS = 30_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

SPANISH_TEXT = "Hola, hoy estoy muy contento con el servicio, ¡gracias!"
ANALYZE_TEXT = "analyze: I love this product, it works really well."


def channel_settings(**env: str) -> Settings:
    """The settings every channel test's bot runs with (offline engines, memory state)."""
    return make_settings(**env)


def require_chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(f"Debian Chromium is missing at {CHROMIUM}; install it (as root): {INSTALL_CHROMIUM}")
    return CHROMIUM


def require_node_package(name: str) -> Path:
    package = NODE_MODULES / name
    if shutil.which("node") is None:
        pytest.fail("Node.js is missing; install it (as root): apt-get update && apt-get install -y nodejs npm")
    if not (package / "package.json").is_file():
        pytest.fail(f"npm package {name} is missing from {NODE_MODULES}; install it: {INSTALL_NODE_MODULES}")
    return package


@pytest.fixture
async def channel_bot() -> AsyncIterator[str]:
    """The bot with the Web Chat routes, on a port the OS chose."""
    runner, url = await serve(create_app(channel_settings()))
    yield url
    await runner.cleanup()


async def local_only_page(browser, **options):
    """A page whose requests to anything but this machine are aborted (no network in tests)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 860}, **options)
    context.set_default_timeout(STEP_TIMEOUT_MS)

    async def guard(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        scheme = urlsplit(route.request.url).scheme
        if scheme in ("data", "blob") or host in LOCAL_HOSTS:
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", guard)
    return await context.new_page()


def looks_spanish(text: str) -> bool:
    """Whether a reply reads as Spanish; for tightening the tests once the dialogs answer in Spanish."""
    words = set(re.findall(r"[a-záéíóúñü]+", text.lower()))
    markers = {"el", "la", "de", "que", "y", "en", "es", "un", "una", "para", "por", "tu", "texto",
               "qué", "puedo", "hola", "gracias", "idioma", "español", "lo", "con", "está"}
    return len(words & markers) >= 2 or any(ch in text for ch in "¿¡ñ")


@dataclass(frozen=True)
class NodeResult:
    """What a Node script printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout.strip().splitlines()[-1])


async def run_node(script: str, *args: str, timeout_s: float = 120) -> NodeResult:
    """Run tests/channels/node/<script> with the repo's node_modules on its path."""
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    process = await asyncio.create_subprocess_exec(
        "node", str(NODE_SCRIPTS / script), *args, cwd=str(REPO), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"node {script} did not finish in {timeout_s} s")
    return NodeResult(process.returncode or 0, stdout.decode(), stderr.decode())


@contextlib.asynccontextmanager
async def agents_playground(bot_url: str, channel: str, workdir: Path) -> AsyncIterator[str]:
    """Start `agentsplayground -e BOT/api/messages -c CHANNEL`; yields the URL of its web UI.

    It runs in `workdir`, where it writes its log (by default ./devTools/m365agentsplayground.log).
    """
    package = require_node_package("@microsoft/m365agentsplayground")
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",  # the CLI opens a browser unless told not to
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(workdir / "m365agentsplayground.log"),
    }
    process = await asyncio.create_subprocess_exec(
        "node", str(package / "cli.js"), "-e", f"{bot_url}/api/messages", "-c", channel,
        "-p", "0", "--dt",
        cwd=str(workdir), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    drain: asyncio.Task | None = None
    try:
        port = await asyncio.wait_for(_listening_port(process), 60)
        assert process.stdout is not None
        drain = asyncio.create_task(_discard(process.stdout))
        yield f"http://127.0.0.1:{port}"
    finally:
        if drain is not None:
            drain.cancel()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _listening_port(process: asyncio.subprocess.Process) -> int:
    seen: list[str] = []
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode(errors="replace"):
        seen.append(line)
        if match := re.search(r"Listening on (\d+)", line):
            return int(match.group(1))
    pytest.fail("the Agents Playground exited before listening:\n" + "".join(seen[-30:]))


async def _discard(stream: asyncio.StreamReader) -> None:
    """Keep reading the Playground's output so its pipe never fills."""
    while await stream.readline():
        pass


def pytest_report_header() -> list[str]:
    return [f"channel tests: chromium={CHROMIUM} node_modules={NODE_MODULES} python={sys.version.split()[0]}"]
