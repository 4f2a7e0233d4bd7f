"""The learned safety engine: shipped head, shared embeddings, the gate that saves the encoder."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from adapters.embedding_cache import EmbeddingCache
from adapters.learned_safety import LearnedSafetyChecker, SafetyHead
from adapters.local_sentiment import LocalSentimentAnalyzer, prepare_text


@pytest.fixture(scope="module")
def analyzer() -> LocalSentimentAnalyzer:
    return LocalSentimentAnalyzer(cascade=False)


def test_the_head_ships_inside_the_package() -> None:
    head = SafetyHead.load()
    assert head.hidden_weights.shape[0] == head.other_weights.shape[0] == 384
    assert head.weights.shape == head.hidden_bias.shape
    assert head.gate_weights.shape == (1 << head.gate_bits,)
    assert 0.0 < head.threshold < 1.0 and 0.0 < head.gate_threshold < 1.0


def test_a_cached_embedding_is_reused_not_recomputed(analyzer: LocalSentimentAnalyzer) -> None:
    calls: list[list[str]] = []
    cache = EmbeddingCache()

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return analyzer.embed(texts)

    checker = LearnedSafetyChecker(embed, cache=cache)
    text = "I have been giving my things away and writing letters to everyone"
    cache.put(prepare_text(text), analyzer.embed([prepare_text(text)])[0])
    checker.check_sync(text)
    assert calls == [] and checker.embedded == 0


def test_sentiment_fills_the_cache_the_safety_head_reads() -> None:
    cache = EmbeddingCache()
    analyzer = LocalSentimentAnalyzer(cascade=False, cache=cache)
    analyzer.analyze_sync(["Nothing matters anymore and I am so tired of everything"], "en")
    assert cache.get(prepare_text("Nothing matters anymore and I am so tired of everything")) is not None


@pytest.mark.parametrize(
    "text",
    [
        "I've stockpiled enough pills and tonight I'm going to take them all",
        "Ya no quiero despertar mañana, estoy cansado de todo",
        "Ich habe keine Kraft mehr zu leben",
    ],
)
def test_indirect_distress_is_flagged(analyzer: LocalSentimentAnalyzer, text: str) -> None:
    checker = LearnedSafetyChecker(analyzer.embed)
    result = checker.check_sync(text)
    assert result.flagged and result.engine == "learned" and result.score >= SafetyHead.load().threshold


@pytest.mark.parametrize("text", ["Can you translate good morning into Japanese?", "Thanks, that was helpful!"])
def test_everyday_requests_are_cleared(analyzer: LocalSentimentAnalyzer, text: str) -> None:
    checker = LearnedSafetyChecker(analyzer.embed)
    assert not checker.check_sync(text).flagged


def test_a_third_party_is_told_apart(analyzer: LocalSentimentAnalyzer) -> None:
    checker = LearnedSafetyChecker(analyzer.embed)
    result = checker.check_sync("My friend told me she wants to kill herself, what should I do?")
    assert result.flagged and result.about_someone_else


# Everyday messages the gate must clear without the encoder (the point of the gate), and
# distress it must send to the head, in several languages; none is a training text as written.
# The gate is not perfect: of the everyday texts first written here it still sent "Merci, c'est
# parfait", "Danke schön, bis morgen", "Hola, ¿qué tal va todo?", "ありがとうございます" and
# "Could you translate this sentence into German?" to the encoder, and "message 57" (docs/safety.md).
EVERYDAY = [
    "hi",
    "ok thanks",
    "Good afternoon! How is it going?",
    "test message 42",
    "load test 812",
    "Obrigado pela ajuda",
    "谢谢你",
]
DISTRESS = [
    "I don't want to be alive anymore",
    "whats the point of going on tbh",
    "Je veux mourir, je n'en peux plus",
    "Quiero matarme esta noche",
    "Ich will nicht mehr leben",
    "Не хочу больше жить",
    "死にたい",
    "我不想活了",
    "Nie chcę już żyć",
    "Voglio farla finita",
]


def _gate_passes(text: str) -> bool:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.zeros((len(texts), 384), dtype=np.float32)

    LearnedSafetyChecker(embed, cache=EmbeddingCache()).check_sync(text)
    return bool(calls)


@pytest.mark.parametrize("text", EVERYDAY)
def test_the_gate_clears_everyday_messages_without_the_encoder(text: str) -> None:
    assert not _gate_passes(text)


@pytest.mark.parametrize("text", DISTRESS)
def test_the_gate_sends_distress_to_the_head(text: str) -> None:
    assert _gate_passes(text)


def test_the_scalar_sigmoid_is_numpys_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decisions compare the sigmoid with thresholds: the math.exp form must give the same float64.

    Checked with numpy's exp put in, so it holds on any CPU: numpy's float64 exp is the C
    library's (as math.exp is) only without AVX-512, where numpy has an exp of its own.
    """
    from adapters import learned_safety

    def numpy_sigmoid(value: float) -> float:
        return float(1.0 / (1.0 + np.exp(-np.clip(value, -40.0, 40.0))))

    values = np.random.default_rng(13).normal(0.0, 8.0, 200_000).tolist()
    values += [0.0, -0.0, 40.0, -40.0, 40.5, -40.5, 1e300, -1e300, 5e-324, -5e-324, float("inf"), float("-inf")]
    values += [math.nextafter(bound, toward) for bound in (40.0, -40.0) for toward in (0.0, 2 * bound)]  # in, out
    expected = [numpy_sigmoid(value) for value in values]
    with monkeypatch.context() as patched:
        patched.setattr(learned_safety, "math", SimpleNamespace(exp=lambda value: float(np.exp(value))))
        assert [v for v, e in zip(values, expected, strict=True) if learned_safety._sigmoid(v) != e] == []
    # With the C library's exp: the same float64 where numpy's exp is the C library's, an ulp or two off elsewhere.
    far = [v for v, e in zip(values, expected, strict=True) if abs(learned_safety._sigmoid(v) - e) > 2 * math.ulp(e)]
    assert far == []
    assert math.isnan(learned_safety._sigmoid(math.nan))  # as numpy's: a NaN logit neither flags nor clears
