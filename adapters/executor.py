"""One small, lazily created thread pool for CPU-bound engine work off the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class BoundedExecutor:
    """A ThreadPoolExecutor with few workers, shared by the local engines of one process.

    The pool is created on first use, so constructing engines costs nothing, and
    `shutdown()` is safe to call more than once.
    """

    def __init__(self, max_workers: int = 2, *, name: str = "engine") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = max_workers
        self._name = name
        self._pool: ThreadPoolExecutor | None = None

    def _ensure(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix=self._name)
        return self._pool

    async def run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run `fn(*args, **kwargs)` in the pool and await its result, in the caller's context.

        The context goes along (as `asyncio.to_thread` does) so per-turn context variables,
        such as the embedding cache's conversation scope, hold in the worker thread too.
        """
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await loop.run_in_executor(self._ensure(), call)

    def shutdown(self) -> None:
        """Stop the pool (waits for running work); a later `run` would create a new one."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
