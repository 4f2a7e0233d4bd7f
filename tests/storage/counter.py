"""Read-modify-write increments with retry on eTag conflict, as a bot turn would do them."""

from __future__ import annotations

import asyncio

from botbuilder.core import Storage

from bot.storage import CREATE_ONLY_ETAG, StateConflictError


async def increment(store: Storage, key: str, times: int, *, max_attempts: int = 10_000) -> int:
    """Add 1 to item[key]["count"] `times` times; returns how many writes lost a race."""
    conflicts = 0
    for _ in range(times):
        for _attempt in range(max_attempts):
            item = (await store.read([key])).get(key)
            if item is None:
                item = {"count": 0, "e_tag": CREATE_ONLY_ETAG}
            item["count"] += 1
            await asyncio.sleep(0)  # let rival tasks read the same version
            try:
                await store.write({key: item})
                break
            except StateConflictError:
                conflicts += 1
        else:
            raise AssertionError(f"gave up after {max_attempts} conflicts")
    return conflicts


async def increment_concurrently(store: Storage, key: str, tasks: int, times: int) -> int:
    """`tasks` racing tasks, each incrementing `times` times; returns total conflicts."""
    results = await asyncio.gather(*(increment(store, key, times) for _ in range(tasks)))
    return sum(results)
