"""The fallback chains under every fault kind, with second opinions and metrics."""

from __future__ import annotations

import asyncio

import pytest

from adapters.contracts import (
    EngineError,
    LanguageDetector,
    SentimentAnalyzer,
    SentimentLabel,
    SkipReason,
    Translator,
)
from adapters.fakes import FakeLanguageDetector, FakeSentimentAnalyzer, FakeTranslator
from adapters.fallback import (
    NO_ENGINE,
    PASSTHROUGH,
    ChainPolicy,
    LanguageChain,
    SentimentChain,
    TranslationChain,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def policy(**overrides: object) -> ChainPolicy:
    values: dict[str, object] = {"timeout_s": 0.05, "failure_threshold": 2, "cooldown_s": 30.0}
    values.update(overrides)
    return ChainPolicy(**values)  # type: ignore[arg-type]


def language_pair(**kwargs: object) -> tuple[LanguageChain, FakeLanguageDetector, FakeLanguageDetector]:
    first, second = FakeLanguageDetector("azure"), FakeLanguageDetector("local")
    chain = LanguageChain([first, second], policy=policy(**kwargs))
    return chain, first, second


def reasons(result: object) -> list[tuple[str, SkipReason]]:
    return [(s.engine, s.reason) for s in result.skipped]  # type: ignore[attr-defined]


def test_chains_implement_the_capability_protocols() -> None:
    assert isinstance(LanguageChain([FakeLanguageDetector()]), LanguageDetector)
    assert isinstance(SentimentChain([FakeSentimentAnalyzer()]), SentimentAnalyzer)
    assert isinstance(TranslationChain([FakeTranslator()]), Translator)


def test_a_chain_needs_an_engine() -> None:
    with pytest.raises(ValueError):
        LanguageChain([])


async def test_first_engine_answers_when_healthy() -> None:
    chain, first, second = language_pair()
    first.script("hola", language="es", score=0.99)
    [result] = await chain.detect(["hola"])
    assert (result.language, result.engine, result.skipped) == ("es", "azure", ())
    assert not second.calls


async def test_error_falls_back_to_next_engine_with_reason() -> None:
    chain, first, second = language_pair()
    first.fail_with(EngineError("azure", "503 service unavailable"))
    second.script("bonjour", language="fr", score=0.97)
    [result] = await chain.detect(["bonjour"])
    assert (result.language, result.engine) == ("fr", "local")
    assert reasons(result) == [("azure", SkipReason.ERROR)]
    assert "503" in result.skipped[0].detail


async def test_unexpected_exception_counts_as_error() -> None:
    chain, first, _ = language_pair()
    first.fail_with(RuntimeError("bug in engine"))
    [result] = await chain.detect(["hello there"])
    assert result.engine == "local"
    assert reasons(result) == [("azure", SkipReason.ERROR)]
    assert "RuntimeError" in result.skipped[0].detail


async def test_timeout_falls_back_within_the_budget() -> None:
    chain, first, second = language_pair(timeout_s=0.02)
    first.delay_all(30.0)
    second.script("hallo", language="de", score=0.95)
    [result] = await chain.detect(["hallo"])
    assert (result.language, result.engine) == ("de", "local")
    assert reasons(result) == [("azure", SkipReason.TIMEOUT)]


async def test_chain_budget_skips_engines_once_spent() -> None:
    first, second = FakeLanguageDetector("azure"), FakeLanguageDetector("local")
    chain = LanguageChain([first, second], policy=policy(timeout_s=1.0, budget_s=0.02))
    first.delay_all(30.0)
    [result] = await chain.detect(["hello"])
    assert result.engine == NO_ENGINE
    assert result.skipped[1].reason is SkipReason.TIMEOUT
    assert result.skipped[1].detail == "chain time budget spent"
    assert not second.calls


async def test_circuit_opens_and_the_failing_engine_is_no_longer_called() -> None:
    chain, first, second = language_pair(failure_threshold=2)
    first.fail_with(EngineError("azure", "down"))
    await chain.detect(["one"])
    await chain.detect(["two"])
    assert len(first.calls) == 2
    [result] = await chain.detect(["three"])
    assert len(first.calls) == 2  # circuit open: not called
    assert result.engine == "local"
    assert reasons(result) == [("azure", SkipReason.CIRCUIT_OPEN)]
    assert chain.breaker("azure").state == "open"
    assert len(second.calls) == 3


async def test_circuit_probe_after_cooldown_closes_on_success() -> None:
    clock = Clock()
    chain, first, _ = language_pair(failure_threshold=1, cooldown_s=10.0, clock=clock)
    first.fail_with(EngineError("azure", "down"))
    await chain.detect(["x"])
    [skipped] = await chain.detect(["x"])
    assert reasons(skipped) == [("azure", SkipReason.CIRCUIT_OPEN)]

    clock.now += 10.0
    first.fail_with(None)
    first.script("hola", language="es")
    [result] = await chain.detect(["hola"])
    assert result.engine == "azure"
    assert chain.breaker("azure").state == "closed"


async def test_failed_probe_opens_the_circuit_again() -> None:
    clock = Clock()
    chain, first, _ = language_pair(failure_threshold=1, cooldown_s=10.0, clock=clock)
    first.fail_with(EngineError("azure", "down"))
    await chain.detect(["x"])
    clock.now += 10.0
    [probe] = await chain.detect(["x"])
    assert reasons(probe) == [("azure", SkipReason.ERROR)]
    calls = len(first.calls)
    [after] = await chain.detect(["x"])
    assert reasons(after) == [("azure", SkipReason.CIRCUIT_OPEN)]
    assert len(first.calls) == calls


async def test_low_confidence_routes_only_the_unsure_texts_onward() -> None:
    chain, first, second = language_pair(min_confidence=0.5)
    first.script("sure", language="en", score=0.99)
    first.script("ok", language="en", score=0.3)
    second.script("ok", language="en", score=0.6)
    sure, unsure = await chain.detect(["sure", "ok"])
    assert sure.engine == "azure" and sure.skipped == ()
    assert second.texts_seen[0] == "ok"
    assert "sure" not in second.texts_seen
    assert reasons(unsure) == [("azure", SkipReason.LOW_CONFIDENCE)]


async def test_every_engine_unsure_returns_the_best_answer_with_skips() -> None:
    first, second = FakeLanguageDetector("azure"), FakeLanguageDetector("local")
    chain = LanguageChain([first, second], policy=policy(min_confidence=0.5), second_opinion=False)
    first.script("ok", language="en", score=0.2)
    second.script("ok", language="sv", score=0.4)
    [result] = await chain.detect(["ok"])
    assert (result.language, result.score, result.engine) == ("sv", 0.4, "local")
    assert reasons(result) == [
        ("azure", SkipReason.LOW_CONFIDENCE),
        ("local", SkipReason.LOW_CONFIDENCE),
    ]


async def test_unsupported_language_moves_to_next_engine() -> None:
    first = FakeSentimentAnalyzer("azure", supported_languages=["en", "es"])
    second = FakeSentimentAnalyzer("local")
    chain = SentimentChain([first, second], policy=policy())
    [result] = await chain.analyze(["Δεν μου αρέσει"], language="el")
    assert result.engine == "local"
    assert reasons(result) == [("azure", SkipReason.UNSUPPORTED_LANGUAGE)]
    assert result.skipped[0].detail == "el"
    assert chain.breaker("azure").state == "closed"  # not a health failure


async def test_sentiment_low_confidence_uses_the_threshold() -> None:
    first, second = FakeSentimentAnalyzer("azure"), FakeSentimentAnalyzer("local")
    chain = SentimentChain([first, second], policy=policy(min_confidence=0.6))
    first.script("meh", label="mixed")
    second.script("meh", label="negative", score=0.8)
    [result] = await chain.analyze(["meh"], language="en")
    assert (result.label, result.engine) == (SentimentLabel.NEGATIVE, "local")
    assert reasons(result) == [("azure", SkipReason.LOW_CONFIDENCE)]


async def test_sentiment_with_no_engine_left_is_uncertain() -> None:
    only = FakeSentimentAnalyzer("azure")
    only.fail_with(EngineError("azure", "down"))
    [result] = await SentimentChain([only], policy=policy()).analyze(["good"], language="en")
    assert result.engine == NO_ENGINE
    assert result.confidence < 0.34
    assert reasons(result) == [("azure", SkipReason.ERROR)]


async def test_language_with_no_engine_left_is_undetermined() -> None:
    chain, first, second = language_pair()
    first.fail_with(EngineError("azure", "down"))
    second.fail_with(EngineError("local", "broken model"))
    [result] = await chain.detect(["hello"])
    assert (result.language, result.score, result.engine) == ("und", 0.0, NO_ENGINE)
    assert [s.reason for s in result.skipped] == [SkipReason.ERROR, SkipReason.ERROR]


async def test_second_opinion_agreement_raises_confidence() -> None:
    chain, first, second = language_pair(min_confidence=0.5)
    first.script("ciao", language="it", score=0.7)
    second.script("ciao", language="it", score=0.8)
    [result] = await chain.detect(["ciao"])
    assert result.engine == "azure"
    assert result.score == pytest.approx(1 - 0.3 * 0.2)
    assert result.second_opinion is not None
    assert (result.second_opinion.engine, result.second_opinion.agrees) == ("local", True)
    assert result.skipped == ()  # a second opinion is not a fallback


async def test_second_opinion_disagreement_lowers_confidence_and_adds_alternative() -> None:
    chain, first, second = language_pair(min_confidence=0.5)
    first.script("no", language="en", score=0.7)
    second.script("no", language="es", score=0.6)
    [result] = await chain.detect(["no"])
    assert (result.language, result.engine) == ("en", "azure")
    assert result.score == pytest.approx(0.7 * (1 - 0.6 / 2))
    assert result.second_opinion is not None
    assert (result.second_opinion.language, result.second_opinion.agrees) == ("es", False)
    assert ("es", 0.6) in [(c.language, c.score) for c in result.alternatives]


async def test_disagreement_prefers_the_more_confident_engine() -> None:
    chain, first, second = language_pair(min_confidence=0.5)
    first.script("Ja", language="de", score=0.55)
    second.script("Ja", language="sv", score=0.85)
    [result] = await chain.detect(["Ja"])
    assert (result.language, result.engine) == ("sv", "local")
    assert result.score == pytest.approx(0.85 * (1 - 0.55 / 2))
    assert result.second_opinion is not None
    assert result.second_opinion.engine == "azure"


async def test_sure_answers_ask_no_second_engine() -> None:
    chain, first, second = language_pair()
    first.script("hola amigos", language="es", score=0.95)
    [result] = await chain.detect(["hola amigos"])
    assert result.second_opinion is None
    assert not second.calls


async def test_failed_second_opinion_keeps_the_first_answer() -> None:
    chain, first, second = language_pair(min_confidence=0.5)
    first.script("ciao", language="it", score=0.7)
    second.fail_with(EngineError("local", "down"))
    [result] = await chain.detect(["ciao"])
    assert (result.language, result.score, result.second_opinion) == ("it", 0.7, None)


async def test_translation_is_one_batched_call() -> None:
    first = FakeTranslator("azure")
    chain = TranslationChain([first, FakeTranslator("local")], policy=policy())
    results = await chain.translate(["hola", "gracias"], to="en", source="es")
    assert len(first.calls) == 1
    assert first.calls[0].texts == ("hola", "gracias")
    assert first.calls[0].target == "en"
    assert [r.text for r in results] == ["[es→en] hola", "[es→en] gracias"]


async def test_translation_ends_in_an_honest_passthrough() -> None:
    first, second = FakeTranslator("azure"), FakeTranslator("local")
    first.fail_with(EngineError("azure", "429 too many requests"))
    second.delay_all(30.0)
    chain = TranslationChain([first, second], policy=policy(timeout_s=0.02))
    [result] = await chain.translate(["hola"], to="en", source="es")
    assert (result.text, result.translated, result.engine) == ("hola", False, PASSTHROUGH)
    assert (result.source_language, result.target_language) == ("es", "en")
    assert reasons(result) == [("azure", SkipReason.ERROR), ("local", SkipReason.TIMEOUT)]


async def test_wrong_number_of_results_is_an_error() -> None:
    class Short(FakeTranslator):
        async def translate(self, texts, *, to, source=None):  # type: ignore[no-untyped-def]
            return (await super().translate(texts, to=to, source=source))[:1]

    chain = TranslationChain([Short("azure"), FakeTranslator("local")], policy=policy())
    results = await chain.translate(["a", "b"], to="fr", source="en")
    assert [r.engine for r in results] == ["local", "local"]
    assert "1 results for 2 texts" in results[0].skipped[0].detail


async def test_empty_batches_call_nothing() -> None:
    chain, first, _ = language_pair()
    assert await chain.detect([]) == []
    assert not first.calls


async def test_metrics_count_calls_failures_fallbacks_and_circuit() -> None:
    chain, first, second = language_pair(failure_threshold=2)
    first.fail_with(EngineError("azure", "down"))
    second.script("a", language="en", score=0.99)
    for _ in range(3):
        await chain.detect(["a"])
    azure, local = chain.metrics()
    assert (azure.engine, azure.calls, azure.failures, azure.fallbacks) == ("azure", 2, 2, 3)
    assert azure.circuit == "open"
    assert azure.extra["skip_error"] == 2 and azure.extra["skip_circuit_open"] == 1
    assert (local.calls, local.failures, local.fallbacks, local.circuit) == (3, 0, 0, "closed")
    assert local.total_latency_ms >= 0.0


async def test_close_closes_every_engine_even_if_one_fails() -> None:
    class Grumpy(FakeLanguageDetector):
        async def close(self) -> None:
            raise OSError("socket already gone")

    last = FakeLanguageDetector("local")
    chain = LanguageChain([Grumpy("azure"), last])
    await chain.close()
    assert last.closed


def test_duplicate_engine_names_are_told_apart() -> None:
    chain = LanguageChain([FakeLanguageDetector(), FakeLanguageDetector()])
    assert chain.engine_names == ("fake", "fake#2")


async def test_half_open_lets_exactly_one_probe_through_concurrent_calls() -> None:
    clock = Clock()
    chain, first, second = language_pair(failure_threshold=1, cooldown_s=5.0, timeout_s=1.0, clock=clock)
    first.fail_with(EngineError("azure", "down"))
    await chain.detect(["x"])
    clock.now += 5.0
    first.fail_with(None)
    first.delay_all(0.01)
    first.script("hej", language="sv")
    probe, other = await asyncio.gather(chain.detect(["hej"]), chain.detect(["hej"]))
    assert probe[0].engine == "azure"
    assert other[0].engine == "local"
    assert other[0].skipped[0].reason is SkipReason.CIRCUIT_OPEN
    assert other[0].skipped[0].detail == "probe in progress"
    assert len(first.calls) == 2  # the failure, then the single probe
    assert chain.breaker("azure").state == "closed"
    assert second.texts_seen == ["x", "hej"]


async def test_cancelled_probe_does_not_leave_the_circuit_stuck() -> None:
    clock = Clock()
    chain, first, _ = language_pair(failure_threshold=1, cooldown_s=5.0, timeout_s=60.0, clock=clock)
    first.fail_with(EngineError("azure", "down"))
    await chain.detect(["x"])
    clock.now += 5.0
    first.fail_with(None)
    first.delay_all(60.0)
    task = asyncio.create_task(chain.detect(["x"]))
    await asyncio.sleep(0)
    assert len(first.calls) == 2  # the probe has reached the engine
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    first.delay_all(0.0)
    [result] = await chain.detect(["x"])
    assert result.engine == "azure"


async def test_second_opinions_are_counted_in_metrics() -> None:
    chain, first, _ = language_pair(min_confidence=0.5)
    first.script("ciao", language="it", score=0.7)
    await chain.detect(["ciao"])
    azure, local = chain.metrics()
    assert local.calls == 1 and local.extra["second_opinions"] == 1
    assert azure.fallbacks == 0 and local.fallbacks == 0
