"""Micro-batching of the encoder: concurrent turns share calls, results are the unbatched ones."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from adapters.embedding_cache import EmbeddingCache
from adapters.encoder_batch import EncoderBatcher, length_class
from adapters.executor import BoundedExecutor
from adapters.learned_safety import LearnedSafetyChecker
from adapters.local_sentiment import LocalSentimentAnalyzer


class GatedEncoder:
    """Records each call's texts; the first call waits for `release` (so others queue meanwhile)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.entered.set()
            assert self.release.wait(timeout=10)
        if any(text == "boom" for text in texts):
            raise RuntimeError("encoder failed")
        return np.array([[float(len(text)), float(ord(text[0]))] for text in texts], dtype=np.float32)


async def _first_call_running(encoder: GatedEncoder) -> None:
    await asyncio.get_running_loop().run_in_executor(None, encoder.entered.wait, 10)


async def busy_batcher(
    executor: BoundedExecutor, first_text: str, **options
) -> tuple[GatedEncoder, EncoderBatcher, asyncio.Future]:
    """A batcher whose first call (of `first_text`) is running and held: what is asked now queues."""
    encoder = GatedEncoder()
    batcher = EncoderBatcher(encoder, executor.run, **options)
    first = asyncio.ensure_future(batcher.embed([first_text]))
    await _first_call_running(encoder)
    return encoder, batcher, first


@pytest.fixture
async def executor():
    pool = BoundedExecutor(2)
    yield pool
    pool.shutdown()


async def test_turns_that_queue_behind_a_busy_encoder_share_one_call(executor: BoundedExecutor) -> None:
    encoder, batcher, first = await busy_batcher(executor, "a first text", slots=1, max_wait_s=60)
    queued = [asyncio.ensure_future(batcher.embed([f"turn {i}", f"sentence {i}"])) for i in range(5)]
    await asyncio.sleep(0)
    encoder.release.set()
    await first
    results = await asyncio.gather(*queued)
    assert encoder.calls[1:] == [[text for i in range(5) for text in (f"turn {i}", f"sentence {i}")]]
    for i, rows in enumerate(results):  # each turn gets its own rows back, in order
        assert rows.tolist() == [[len(f"turn {i}"), ord("t")], [len(f"sentence {i}"), ord("s")]]
    assert batcher.stats.calls == 2 and batcher.stats.texts == 11 and batcher.stats.largest == 10


async def test_an_idle_encoder_takes_a_lone_request_at_once(executor: BoundedExecutor) -> None:
    encoder = GatedEncoder()
    encoder.release.set()
    batcher = EncoderBatcher(encoder, executor.run, slots=1, max_wait_s=60)
    # Were the lone request held for the 60 s wait, this would time out.
    rows = await asyncio.wait_for(batcher.embed(["hello"]), timeout=10)
    assert rows.shape == (1, 2) and encoder.calls == [["hello"]]


async def test_a_batch_never_exceeds_max_batch_texts(executor: BoundedExecutor) -> None:
    encoder, batcher, first = await busy_batcher(executor, "x", slots=1, max_batch=4, max_wait_s=60)
    queued = [asyncio.ensure_future(batcher.embed([f"t{i}a", f"t{i}b"])) for i in range(5)]
    await asyncio.sleep(0)
    encoder.release.set()
    await asyncio.gather(first, *queued)
    assert [len(call) for call in encoder.calls] == [1, 4, 4, 2]


async def test_short_texts_do_not_share_a_call_with_long_ones(executor: BoundedExecutor) -> None:
    encoder, batcher, first = await busy_batcher(executor, "x", slots=1, max_wait_s=60)
    long_text = "l" * 500
    order = ["short a", long_text, "short b", long_text + "!"]
    queued = [asyncio.ensure_future(batcher.embed([text])) for text in order]
    await asyncio.sleep(0)
    encoder.release.set()
    await asyncio.gather(first, *queued)
    # The oldest request's class goes first; each call holds one class only.
    assert encoder.calls[1:] == [["short a", "short b"], [long_text, long_text + "!"]]
    assert length_class(["short"]) < length_class(["m" * 100]) < length_class([long_text])


async def test_an_encoder_error_reaches_every_turn_of_its_batch_and_the_next_batch_works(
    executor: BoundedExecutor,
) -> None:
    encoder, batcher, first = await busy_batcher(executor, "x", slots=1, max_wait_s=60)
    failing = [asyncio.ensure_future(batcher.embed(["boom"])), asyncio.ensure_future(batcher.embed(["fine"]))]
    await asyncio.sleep(0)
    encoder.release.set()
    await first
    outcomes = await asyncio.gather(*failing, return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert (await batcher.embed(["later"])).shape == (1, 2)


async def test_a_cancelled_turn_is_not_embedded(executor: BoundedExecutor) -> None:
    encoder, batcher, first = await busy_batcher(executor, "x", slots=1, max_wait_s=60)
    gone = asyncio.ensure_future(batcher.embed(["timed out"]))
    kept = asyncio.ensure_future(batcher.embed(["kept"]))
    await asyncio.sleep(0)
    gone.cancel()
    encoder.release.set()
    await first
    assert (await kept).shape == (1, 2)
    assert encoder.calls[1:] == [["kept"]]


async def test_with_a_call_in_flight_a_free_slot_waits_briefly_for_company(executor: BoundedExecutor) -> None:
    encoder, batcher, first = await busy_batcher(executor, "x", slots=2, max_wait_s=0.2)
    # A slot is free, but one call is running: these two arrive within the wait and share a call.
    second = asyncio.ensure_future(batcher.embed(["b"]))
    await asyncio.sleep(0)
    third = asyncio.ensure_future(batcher.embed(["c"]))
    await asyncio.gather(second, third)
    encoder.release.set()
    await first
    assert encoder.calls[1:] == [["b", "c"]]


# --- the real model: batched results are the unbatched ones -------------------------------

TEXTS = [
    ("I really love how quickly this bot answers my questions!", "en"),
    ("Este servicio es terrible, nadie me ayuda con mi pedido.", "es"),
    ("Le produit est arrivé hier et il fonctionne très bien.", "fr"),
    ("ok", "en"),
    ("The food was wonderful and I loved it. The service was awful and rude, I hated it.", "en"),
    ("Die Lieferung kam zu spät. " * 30, "de"),  # past the 128-token bound: cut, then batched with short texts
    ("この映画は最高でした！", "ja"),
    ("Nothing matters anymore and I am so tired of everything", "en"),
]


@pytest.fixture(scope="module")
def models_executor():
    pool = BoundedExecutor(2)
    yield pool
    pool.shutdown()


async def test_concurrent_turns_get_the_scores_they_get_alone(models_executor: BoundedExecutor) -> None:
    engine = LocalSentimentAnalyzer(cascade=False, executor=models_executor)
    alone = [engine.analyze_sync([text], language)[0] for text, language in TEXTS]
    together = await asyncio.gather(*(engine.analyze([text], language=language) for text, language in TEXTS * 3))
    stats = engine.batch_stats()
    assert stats is not None and stats.calls < len(TEXTS) * 3  # some turns did share a call
    for expected, [got] in zip(alone * 3, together, strict=True):
        assert got.label == expected.label
        np.testing.assert_allclose(
            [got.scores.positive, got.scores.neutral, got.scores.negative],
            [expected.scores.positive, expected.scores.neutral, expected.scores.negative], atol=1e-5,
        )
        assert [s.label for s in got.sentences] == [s.label for s in expected.sentences]
    await engine.close()


async def test_a_short_text_embeds_the_same_beside_a_long_one(models_executor: BoundedExecutor) -> None:
    engine = LocalSentimentAnalyzer(cascade=False, executor=models_executor)
    short, long_text = "thanks a lot", "x " * 300
    alone = engine.embed([short])[0]
    beside = engine.embed([long_text, short, long_text])[1]
    np.testing.assert_allclose(beside, alone, atol=1e-5)


async def test_the_batched_safety_check_decides_as_the_unbatched_one(models_executor: BoundedExecutor) -> None:
    engine = LocalSentimentAnalyzer(cascade=False, executor=models_executor)
    texts = [text for text, _ in TEXTS] + [
        "I've stockpiled enough pills and tonight I'm going to take them all",
        "My friend told me she wants to kill herself, what should I do?",
        "Ya no quiero despertar mañana, estoy cansado de todo. " + "bla " * 300,
    ]
    unbatched = LearnedSafetyChecker(engine.embed, cache=EmbeddingCache())
    batched = LearnedSafetyChecker(
        engine.embed, cache=EmbeddingCache(), executor=models_executor, embed_async=engine.embed_async
    )
    expected = unbatched.check_many(texts)
    got = await asyncio.gather(*(batched.check(text, language="en") for text in texts))
    assert [r.flagged for r in got] == [r.flagged for r in expected]
    assert any(r.flagged for r in got) and not all(r.flagged for r in got)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.about_someone_else == theirs.about_someone_else
        assert (mine.score is None) == (theirs.score is None)
        if mine.score is not None:
            assert mine.score == pytest.approx(theirs.score, abs=1e-3)
    assert batched.embedded == unbatched.embedded
    await engine.close()


async def test_the_same_text_from_queued_turns_is_embedded_once(executor: BoundedExecutor) -> None:
    encoder, batcher, first = await busy_batcher(executor, "a first text", slots=1, max_wait_s=60)
    queued = [asyncio.ensure_future(batcher.embed(["yes", f"turn {i}", "yes"])) for i in range(3)]
    await asyncio.sleep(0)
    encoder.release.set()
    await first
    results = await asyncio.gather(*queued)
    assert encoder.calls[1] == ["yes", "turn 0", "turn 1", "turn 2"]
    for i, rows in enumerate(results):
        assert rows.tolist() == [[3, ord("y")], [len(f"turn {i}"), ord("t")], [3, ord("y")]]
    assert batcher.stats.texts == 5


async def test_a_shared_text_survives_a_cancelled_turn_and_an_error_reaches_every_turn_sharing_it(
    executor: BoundedExecutor,
) -> None:
    encoder, batcher, first = await busy_batcher(executor, "a first text", slots=1, max_wait_s=60)
    gone = asyncio.ensure_future(batcher.embed(["yes", "gone's own"]))
    kept = asyncio.ensure_future(batcher.embed(["yes"]))
    await asyncio.sleep(0)
    gone.cancel()
    encoder.release.set()
    await first
    assert (await kept).tolist() == [[3, ord("y")]]  # the cancelled turn took nothing of it
    assert gone.cancelled() and encoder.calls[1] == ["yes"]

    encoder, batcher, first = await busy_batcher(executor, "a first text", slots=1, max_wait_s=60)
    failing = [asyncio.ensure_future(batcher.embed(["boom", "yes"])), asyncio.ensure_future(batcher.embed(["yes"]))]
    await asyncio.sleep(0)
    encoder.release.set()
    await first
    outcomes = await asyncio.gather(*failing, return_exceptions=True)
    assert encoder.calls[1] == ["boom", "yes"]  # one call for both turns: both see its error
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
