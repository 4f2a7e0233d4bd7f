"""The event loop `python -m bot` serves on: uvloop by default, asyncio's own on request.

Every turn is a few milliseconds of Python on one loop, and a good share of that is the
loop's own machinery: sockets, transports, timers, callbacks, the HTTP requests in and
the replies out. uvloop runs that machinery in C on libuv (same asyncio API; aiohttp
recommends it for speed): measured on the turn bench with analysis off, ~12 % less CPU
a turn. `BOT_EVENT_LOOP=asyncio` uses the standard loop (tests in-process always do).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("bot.event_loop")


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A new loop of `kind` ("uvloop" or "asyncio"); asyncio's when uvloop is not installed."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # e.g. Windows, where uvloop does not exist
            log.warning("uvloop is not installed; serving on asyncio's event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()
