"""Runs the bot as a real process (`python -m bot`) on a free loopback port, for restart and replica tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness import wait_until_ready
from tests.processes import terminate
from tests.storage.azurite import free_port

# Settings every test bot shares: no engines (fast start, nothing sent anywhere), quiet logs.
BASE_ENV = {"BOT_ANALYSIS": "off", "LOG_LEVEL": "WARNING", "HOST": "127.0.0.1", "MicrosoftAppId": ""}


@dataclass
class BotProcess:
    """One `python -m bot`; `env` holds the storage settings (BOT_STORAGE and friends)."""

    env: dict[str, str]
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: Path | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    async def start(self) -> BotProcess:
        """Start the process (again, after `stop`, on the same port) and wait until /healthz answers."""
        self._spawn()
        try:
            await wait_until_ready(f"{self.url}/healthz", timeout_s=30)
        except TimeoutError:
            self.stop()
            raise AssertionError(f"the bot did not start: {self.log_tail()}") from None
        return self

    def _spawn(self) -> None:
        self.port = self.port or free_port()  # a restart keeps its port, as a real one would
        workdir = Path(tempfile.mkdtemp(prefix="bot-proc-"))  # no stray .env is read
        self._log = workdir / "bot.log"
        env = {**os.environ, **BASE_ENV, **self.env, "PORT": str(self.port)}
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot"], env=env, cwd=workdir,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )

    def stop(self) -> None:
        """SIGTERM, as a process manager would stop it (aiohttp closes the app cleanly)."""
        process, self._process = self._process, None
        terminate(process)

    def log_tail(self, limit: int | None = 3000) -> str:
        """The process's output (the last `limit` characters; all of it with None)."""
        if self._log is None or not self._log.exists():
            return "(no output)"
        text = self._log.read_text(errors="replace")
        return (text[-limit:] if limit else text) or "(no output)"
