"""An event loop on its own thread for the fake identity provider and its proxy.

botbuilder fetches signing keys with blocking `requests` calls on the bot's event loop,
so servers answering those calls must not share that loop or the bot would wait on itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    """Runs coroutines on a private loop in a daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-entra", daemon=True)

    def start(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def stop(self) -> None:
        self.run(_cancel_other_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


async def _cancel_other_tasks() -> None:
    """Ends open tunnels and keep-alive connections so the loop closes cleanly."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
