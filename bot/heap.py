"""Keep the garbage collector off the turn path of a long-running bot process.

After start-up the heap holds a few hundred thousand long-lived objects (botbuilder's and
msrest's models, compiled patterns, catalogs, the engines). CPython's full collections walk
all of them: under load, one every ~500 turns, ~100 ms each, with every turn in flight
waiting behind it (measured on 2,000 turns at 20 concurrent: 0.4 ms a turn spent in the
collector, 130 ms the longest pause). `gc.freeze()` after warm-up moves what start-up built
out of the collector's sight; a larger first-generation threshold means fewer young
collections, each of which also promotes turn garbage into older generations.
Reference cycles made by turns are still collected.
"""

from __future__ import annotations

import gc
import logging

from aiohttp import web

log = logging.getLogger("bot.heap")

# Allocations between young collections (CPython's default: 700). A turn allocates a few
# thousand objects, nearly all freed by reference counting; this still collects several
# times a second under load.
YOUNG_THRESHOLD = 10_000


def settle_heap() -> int:
    """Collect once, then freeze what survived; returns the number of objects frozen."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    frozen = gc.get_freeze_count()
    log.info("heap settled: %d start-up objects frozen out of the collector's walks", frozen)
    return frozen


async def settle_heap_on_startup(app: web.Application) -> None:
    """aiohttp on_startup hook: runs after the runtime (and its warm-up) was built."""
    settle_heap()
