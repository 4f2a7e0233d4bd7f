""""Delete my data" also drops the conversation's cached embeddings (and only that conversation's)."""

from __future__ import annotations

import numpy as np

from adapters.embedding_cache import EmbeddingCache, cache_scope
from bot.runtime import _embedding_eraser
from bot.turn_guard import key_of_conversation


class LearnedWithCache:
    def __init__(self, cache: EmbeddingCache) -> None:
        self.cache = cache


class Chain:
    def __init__(self, engines: dict) -> None:
        self._engines = engines

    def engine(self, name: str):
        return self._engines.get(name)


async def test_the_eraser_forgets_the_deleted_conversation_only() -> None:
    cache = EmbeddingCache()
    for conversation in ("mine", "theirs"):
        with cache_scope(key_of_conversation("msteams", conversation)):
            cache.put("my diagnosis came back", np.ones(2))
    eraser = _embedding_eraser(Chain({"learned": LearnedWithCache(cache)}))
    assert eraser is not None
    await eraser("msteams", "mine", "user-1")
    with cache_scope(key_of_conversation("msteams", "mine")):
        assert cache.get("my diagnosis came back") is None
    with cache_scope(key_of_conversation("msteams", "theirs")):
        assert cache.get("my diagnosis came back") is not None


def test_no_cache_no_eraser() -> None:
    assert _embedding_eraser(None) is None
    assert _embedding_eraser(Chain({})) is None
