"""`python -m bot`: validate settings, then serve the bot on PORT (3978)."""

from __future__ import annotations

import errno
import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.channels.webchat.access_log import SafeAccessLogger
from bot.settings import SettingsError, load_settings


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
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    base = f"http://{settings.host}:{settings.port}"
    print(f"Showcase Bot on {base}/api/messages — chat in the browser at {base}/", flush=True)
    try:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None,
                    access_log_class=SafeAccessLogger)  # no query strings (stream tokens) in the log
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        print(f"showcase-bot: cannot listen on {settings.host}:{settings.port}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
