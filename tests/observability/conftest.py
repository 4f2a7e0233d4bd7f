"""Fixtures for the observability tests: a local OTLP receiver and `python -m bot` exporting to it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.harness import wait_until_ready
from tests.observability.otlp_receiver import OtlpReceiver
from tests.processes import terminate

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def otlp_receiver() -> AsyncIterator[OtlpReceiver]:
    receiver = await OtlpReceiver().start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def exporting_bot(otlp_receiver: OtlpReceiver, tmp_path: Path) -> AsyncIterator[str]:
    """`python -m bot` on its defaults (offline engines, SQLite), exporting to the receiver."""
    async with bot_exporting_to(otlp_receiver, tmp_path) as url:
        yield url


@asynccontextmanager
async def bot_exporting_to(
    otlp_receiver: OtlpReceiver, tmp_path: Path, **extra_env: str
) -> AsyncIterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BOT_STATE_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.url,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_SERVICE_NAME": "showcase-bot-test",
        **extra_env,
    }
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}/readyz", timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Off the loop: the bot's last export on shutdown goes to the receiver on this loop.
        await asyncio.to_thread(terminate, process)
        stderr = process.stderr.read() if process.stderr else b""
        assert b"Traceback" not in stderr, stderr.decode()
