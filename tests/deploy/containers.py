"""Bot containers of the image and an nginx in front of them, all on the host network.

Every container shares the host's loopback (--network=host), so a bot reaches the test's
channel receiver and Azurite on 127.0.0.1, and each listens on its own PORT.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.engine import Engine
from tests.harness import wait_until_ready
from tests.processes import terminate
from tests.storage.azurite import free_port

NGINX = Path("/usr/sbin/nginx")


@dataclass
class BotContainer:
    """One container of the image; `start` again after a stop runs a new one on the same port."""

    engine: Engine
    image: str
    env: dict[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    port: int = 0
    name: str = ""
    started_at: float = 0.0
    ready_after_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    async def start(self, ready_timeout_s: float = 120) -> BotContainer:
        """Run the container and wait until /readyz answers 200 (engines warm, store reachable)."""
        self.port = self.port or free_port()
        self.name = f"showcase-test-{uuid.uuid4().hex[:10]}"
        args = ["run", "-d", "--name", self.name, "--network=host", "-e", f"PORT={self.port}"]
        for key, value in self.env.items():
            args += ["-e", f"{key}={value}"]
        for volume in self.volumes:
            args += ["-v", volume]
        self.started_at = time.monotonic()
        self.engine.run(*args, self.image)
        try:
            await wait_until_ready(f"{self.url}/readyz", timeout_s=ready_timeout_s)
        except TimeoutError:
            raise AssertionError(f"the container did not get ready: {self.logs()[-3000:]}") from None
        self.ready_after_s = time.monotonic() - self.started_at
        return self

    def signal(self, name: str = "TERM") -> None:
        self.engine.run("kill", "--signal", name, self.name)

    def wait(self, timeout_s: float = 60) -> int:
        """Wait for the container to exit; its exit code."""
        result = self.engine.run("wait", self.name, timeout=timeout_s)
        return int(result.stdout.strip().splitlines()[-1])

    def stop(self, timeout_s: int = 30) -> None:
        """`stop` (SIGTERM, then SIGKILL after timeout_s), keeping the container for its logs."""
        if self.name:
            self.engine.run("stop", "--time", str(timeout_s), self.name, check=False, timeout=timeout_s + 30)

    def remove(self) -> None:
        if self.name:
            self.engine.run("rm", "-f", "-v", self.name, check=False)  # -v: its anonymous /app/data volume too

    def logs(self) -> str:
        result = self.engine.run("logs", self.name, check=False)
        return result.stdout + result.stderr

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return self.engine.run("exec", self.name, *command, check=False)


@dataclass
class RoundRobinBalancer:
    """nginx (Debian's package) in front of the bots: round-robin, its default, one address."""

    upstreams: list[int]
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _dir: Path | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        assert self._dir is not None
        return self._dir / "access.log"

    def start(self) -> RoundRobinBalancer:
        self.port = self.port or free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="showcase-nginx-"))
        servers = "\n".join(f"    server 127.0.0.1:{port};" for port in self.upstreams)
        temp = self._dir
        config = self._dir / "nginx.conf"
        config.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {temp}/nginx.pid;
error_log {temp}/error.log warn;
events {{ worker_connections 512; }}
http {{
  # One line per request: when it ended (epoch s), how long it took, which replica answered.
  log_format replicas '$msec $request_time $status $request_method $uri $upstream_addr';
  access_log {temp}/access.log replicas;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  client_max_body_size 1m;
  upstream bots {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      proxy_pass http://bots;
      proxy_read_timeout 60s;
      # A replica that is stopping refuses new connections: try the next one. non_idempotent:
      # a POST the stopping replica's kernel accepted but the bot never read is reset, not
      # answered, and is safe to send again.
      proxy_next_upstream error timeout non_idempotent;
    }}
  }}
}}
""")
        self._process = subprocess.Popen(
            [str(NGINX), "-p", str(self._dir), "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=(self._dir / "stderr.log").open("wb"), stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not (self._dir / "nginx.pid").exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"nginx did not start: {self.errors()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        terminate(process)

    def errors(self) -> str:
        assert self._dir is not None
        return "".join(
            path.read_text(errors="replace") for path in (self._dir / "stderr.log", self._dir / "error.log")
            if path.exists()
        )

    def requests(self) -> list[tuple[float, float, str, str, str]]:
        """(ended at, took s, status, path, upstreams tried) per request, in the order they ended."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            ended, took, status, _method, path, upstreams = line.split(" ", 5)
            rows.append((float(ended), float(took), status, path, upstreams))
        return rows
