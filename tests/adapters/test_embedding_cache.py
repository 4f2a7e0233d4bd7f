"""The embedding cache: bounded, read-only vectors, keyed by digest; repeated texts skip the encoder."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from adapters.embedding_cache import EmbeddingCache
from adapters.executor import BoundedExecutor
from adapters.local_sentiment import LocalSentimentAnalyzer


def test_least_recently_used_entries_go_first() -> None:
    cache = EmbeddingCache(size=2)
    cache.put("a", np.ones(3))
    cache.put("b", np.zeros(3))
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("c", np.full(3, 2.0))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 1


def test_vectors_are_copies_that_no_reader_can_change() -> None:
    cache = EmbeddingCache()
    original = np.arange(4, dtype=np.float32)
    cache.put("hello", original)
    original[0] = 99.0
    stored = cache.get("hello")
    assert stored is not None and stored[0] == 0.0
    with pytest.raises(ValueError):
        stored[1] = 5.0


def test_the_cache_keeps_digests_not_texts() -> None:
    cache = EmbeddingCache()
    text = "my account number is 12345678"
    cache.put(text, np.ones(2))
    keys = list(cache._items)
    assert all(scope == b"" and len(digest) == 16 for scope, digest in keys)  # outside a turn: no scope
    assert not any(text.encode() in part or text in str(part) for key in keys for part in key)
    # Another process (another key) cannot look the text up by its digest.
    assert EmbeddingCache()._digest(text) != cache._digest(text)


def test_a_cache_needs_room() -> None:
    with pytest.raises(ValueError):
        EmbeddingCache(size=0)


async def test_a_repeated_text_is_scored_without_the_encoder() -> None:
    executor = BoundedExecutor(2)
    cache = EmbeddingCache()
    engine = LocalSentimentAnalyzer(cascade=False, executor=executor, cache=cache)
    uncached = LocalSentimentAnalyzer(cascade=False, executor=executor)
    text = "The delivery was late again and the box was damaged."
    try:
        [first] = await engine.analyze([text], language="en")
        embedded = engine.batch_stats().texts
        again = await asyncio.gather(*(engine.analyze([text], language="en") for _ in range(5)))
        assert engine.batch_stats().texts == embedded  # no text went to the encoder again
        [fresh] = await uncached.analyze([text], language="en")
        for [result] in again:
            assert result == first
        assert first.label == fresh.label
        np.testing.assert_allclose(
            [first.scores.positive, first.scores.neutral, first.scores.negative],
            [fresh.scores.positive, fresh.scores.neutral, fresh.scores.negative], atol=1e-5,
        )
        # A new text is a miss and goes to the encoder.
        await engine.analyze(["A completely different sentence about the weather."], language="en")
        assert engine.batch_stats().texts == embedded + 1
    finally:
        await engine.close()
        await uncached.close()
        executor.shutdown()


async def test_a_turn_cancelled_mid_embedding_caches_nothing_and_callers_get_their_own_rows() -> None:
    executor = BoundedExecutor(1)
    cache = EmbeddingCache()
    engine = LocalSentimentAnalyzer(cascade=False, executor=executor, cache=cache)
    release, entered, calls = threading.Event(), threading.Event(), []

    def gated(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        entered.set()
        assert release.wait(timeout=10)
        return np.array([[float(len(text)), 1.0] for text in texts], dtype=np.float32)

    engine._embed = gated  # the batcher is built on first use, from this
    try:
        turn = asyncio.ensure_future(engine.embed_async(["a text in flight"]))
        await asyncio.get_running_loop().run_in_executor(None, entered.wait, 10)
        turn.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await turn
        assert len(cache) == 0  # nothing half-done is kept
        rows = await engine.embed_async(["a text in flight", "a text in flight"])
        assert calls[1:] == [["a text in flight"]] and len(cache) == 1
        rows[0, 0] = -1.0  # a caller may write to its rows: the cache and the other row keep theirs
        again = await engine.embed_async(["a text in flight"])
        assert again.tolist() == [[16.0, 1.0]] and rows[1].tolist() == [16.0, 1.0]
        assert len(calls) == 2  # the repeat came from the cache
    finally:
        await engine.close()
        executor.shutdown()


def test_a_scope_sees_only_its_own_entries() -> None:
    from adapters.embedding_cache import cache_scope

    cache = EmbeddingCache()
    with cache_scope("test/conversations/a"):
        cache.put("same words", np.ones(2))
        assert cache.get("same words") is not None
    with cache_scope("test/conversations/b"):
        assert cache.get("same words") is None
    with cache_scope("test/conversations/a"):
        assert cache.get("same words") is not None
    with cache_scope(None):  # no conversation: a scope nobody else has
        assert cache.get("same words") is None
        cache.put("alone", np.ones(2))
    with cache_scope(None):
        assert cache.get("alone") is None
    assert cache.get("same words") is None  # outside any scope


def test_forgetting_a_conversation_drops_its_entries_only() -> None:
    from adapters.embedding_cache import cache_scope

    cache = EmbeddingCache()
    for scope in ("test/conversations/a", "test/conversations/b"):
        with cache_scope(scope):
            cache.put("hello there", np.ones(2))
            cache.put("goodbye", np.ones(2))
    assert cache.forget("test/conversations/a") == 2
    with cache_scope("test/conversations/a"):
        assert cache.get("hello there") is None
    with cache_scope("test/conversations/b"):
        assert cache.get("hello there") is not None and cache.get("goodbye") is not None


async def test_the_scope_holds_in_the_executor_thread() -> None:
    """Work sent to the pool (a check without an async encoder) keeps the turn's conversation scope."""
    from adapters.embedding_cache import cache_scope

    cache = EmbeddingCache()
    executor = BoundedExecutor(1, name="scope-test")
    try:
        with cache_scope("test/conversations/a"):
            await executor.run(cache.put, "same words", np.ones(2))
            assert cache.get("same words") is not None
            assert await executor.run(cache.get, "same words") is not None
        with cache_scope("test/conversations/b"):
            assert await executor.run(cache.get, "same words") is None
        assert await executor.run(cache.get, "same words") is None  # outside any scope
    finally:
        executor.shutdown()
