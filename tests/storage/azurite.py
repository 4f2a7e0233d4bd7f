"""Starts and stops a real Azurite blob service on loopback for tests and benchmarks.

Azurite comes from npm (`npm ci` at the repository root installs the pinned version);
nothing here downloads anything.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import terminate

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"

# Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


class AzuriteNotInstalledError(RuntimeError):
    """node_modules has no Azurite: the developer has not run `npm ci`."""


class AzuriteStartError(RuntimeError):
    """Azurite exited or did not listen in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def connection_string(port: int, host: str = "127.0.0.1", scheme: str = "http") -> str:
    """Connection string for Azurite's development account on this host and port."""
    return (
        f"DefaultEndpointsProtocol={scheme};AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={scheme}://{host}:{port}/{ACCOUNT_NAME};"
    )


@dataclass
class AzuriteServer:
    """One Azurite blob process; `location=None` keeps data in memory only.

    With `cert` and `key` (PEM files) it serves HTTPS; `oauth` then also accepts Entra ID
    bearer tokens (Azurite's "basic" check: issuer, audience and lifetime, no signature).
    """

    location: Path | None = None
    port: int = 0
    host: str = "127.0.0.1"
    start_timeout_s: float = 30.0
    cert: Path | None = None
    key: Path | None = None
    oauth: bool = False
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log_path: Path | None = field(default=None, init=False, repr=False)

    @property
    def connection_string(self) -> str:
        return connection_string(self.port, self.host, "https" if self.cert else "http")

    @property
    def account_url(self) -> str:
        """The development account's blob endpoint, for keyless clients."""
        scheme = "https" if self.cert else "http"
        return f"{scheme}://{self.host}:{self.port}/{ACCOUNT_NAME}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> AzuriteServer:
        """Start Azurite (on a fresh free port unless one was given) and wait until it listens."""
        if not AZURITE_BIN.exists():
            raise AzuriteNotInstalledError(
                f"Azurite is not installed ({AZURITE_BIN} is missing): "
                f"run `npm ci` in {REPO_ROOT} to install the pinned azurite from package.json"
            )
        if self.running:
            return self
        if not self.port:
            self.port = free_port(self.host)
        log_dir = Path(tempfile.mkdtemp(prefix="azurite-log-"))
        self._log_path = log_dir / "azurite.out"
        args = [
            str(AZURITE_BIN),
            "--blobHost", self.host,
            "--blobPort", str(self.port),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
            "--disableProductStyleUrl",
        ]
        if self.cert is not None and self.key is not None:
            args += ["--cert", str(self.cert), "--key", str(self.key)]
        if self.oauth:
            args += ["--oauth", "basic"]  # Azurite refuses it without --cert
        if self.location is None:
            args.append("--inMemoryPersistence")
        else:
            self.location.mkdir(parents=True, exist_ok=True)
            args += ["--location", str(self.location)]
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=log_dir
            )
        self._wait_until_listening()
        return self

    def stop(self) -> None:
        """Stop the process (data survives only with a `location`)."""
        process, self._process = self._process, None
        terminate(process)

    def __enter__(self) -> AzuriteServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise AzuriteStartError(
                    f"Azurite exited with code {self._process.returncode}: {self._log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AzuriteStartError(
            f"Azurite did not listen on {self.host}:{self.port} within "
            f"{self.start_timeout_s:.0f}s: {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self._log_path is None or not self._log_path.exists():
            return "(no output)"
        return self._log_path.read_text(errors="replace")[-2000:] or "(no output)"
