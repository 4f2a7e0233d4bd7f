"""`python -m bot`: validate settings, then serve the bot on PORT (3978).

On SIGTERM (a container stopped, a replica scaled in) or Ctrl-C, aiohttp stops accepting
connections, lets every request in flight finish (a turn sends its replies only after its
state is saved, so a finished request is a finished turn) for up to `SHUTDOWN_GRACE_S`,
then closes the runtime (engines, clients, the store). Platforms wait 10 s (docker stop) to
30 s (Kubernetes, Azure Container Apps) before SIGKILL: see docs/deploy.md.
"""

from __future__ import annotations

import errno
import logging
import os
import sys

from aiohttp import web

from bot.app import create_app
from bot.channels.webchat.access_log import SafeAccessLogger
from bot.event_loop import new_event_loop
from bot.heap import settle_heap_on_startup
from bot.log_setup import configure_logging, logs_exported
from bot.settings import Settings, SettingsError, load_settings

# Longest a stopping bot waits for the turns in flight: above a turn's analysis budget (5 s)
# and a Blob write's lease wait (20 s), below the 30 s most platforms allow before SIGKILL.
SHUTDOWN_GRACE_S = 25.0
log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"showcase-bot: {error}", file=sys.stderr)
        return 2
    if argv[:1] == ["teams-package"]:
        from bot.channels.teams.app_package import main as teams_package

        return teams_package(argv[1:], settings)
    if argv:
        print(f"showcase-bot: unknown command {argv[0]!r}; usage: python -m bot [teams-package ...]",
              file=sys.stderr)
        return 2
    configure_logging(settings.log_level, exported=logs_exported(os.environ))
    base = f"http://{settings.host}:{settings.port}"
    print(f"Showcase Bot on {base}/api/messages — chat in the browser at {base}/", flush=True)
    try:
        web.run_app(create_stopping_app(settings), host=settings.host, port=settings.port, print=None,
                    shutdown_timeout=SHUTDOWN_GRACE_S,
                    access_log_class=SafeAccessLogger,  # no query strings (stream tokens) in the log
                    loop=new_event_loop(settings.event_loop))
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        print(f"showcase-bot: cannot listen on {settings.host}:{settings.port}: {error}",
              file=sys.stderr)
        return 1
    log.info("stopped")
    return 0


def create_stopping_app(settings: Settings) -> web.Application:
    """The bot's app as its own process: heap settled once warm, a log line when a stop begins."""
    app = create_app(settings)

    async def stopping(app: web.Application) -> None:
        log.info("stopping: no new connections; finishing the turns in flight (up to %.0f s)",
                 SHUTDOWN_GRACE_S)

    app.on_shutdown.insert(0, stopping)
    app.on_startup.append(settle_heap_on_startup)  # after the runtime context built and warmed everything
    return app


if __name__ == "__main__":
    sys.exit(main())
