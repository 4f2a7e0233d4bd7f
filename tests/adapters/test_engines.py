"""Assembling the chains from an EngineConfig: orders, dropped Azure, fakes, closing."""

from __future__ import annotations

import pytest

from adapters.config import AzureLanguageConfig, AzureTranslatorConfig, EngineConfig
from adapters.contracts import EngineError, SkipReason
from adapters.engines import EngineConfigError, build_engines
from adapters.fakes import FakeEngines, FakeSafetyChecker, FakeTranslator
from adapters.fallback import PASSTHROUGH, LanguageChain, SentimentChain, TranslationChain
from adapters.local_safety import LexiconSafetyChecker

FAKE_ONLY = EngineConfig(
    language_engines=("fake",), sentiment_engines=("fake",), translation_engines=("fake",),
    safety_engines=("fake",),
)


async def test_fake_config_uses_the_given_fakes() -> None:
    fakes = FakeEngines()
    fakes.language.script("hola", language="es")
    engines = build_engines(FAKE_ONLY, fakes=fakes)
    assert isinstance(engines.language, LanguageChain)
    assert isinstance(engines.sentiment, SentimentChain)
    assert isinstance(engines.translation, TranslationChain)
    assert engines.safety.engine_names == ("lexicon",)
    assert isinstance(engines.safety.engine("lexicon"), LexiconSafetyChecker)
    [result] = await engines.language.detect(["hola"])
    assert (result.language, result.engine) == ("es", "fake")
    assert fakes.language.texts_seen == ["hola"]
    await engines.close()
    assert fakes.language.closed and fakes.sentiment.closed and fakes.translation.closed


def test_azure_is_dropped_when_not_configured() -> None:
    config = EngineConfig(
        language_engines=("azure", "fake"),
        sentiment_engines=("azure", "fake"),
        translation_engines=("azure", "fake"),
    )
    engines = build_engines(config)
    assert engines.language.engine_names == ("fake",)
    assert engines.translation.engine_names == ("fake",)


def test_config_thresholds_and_budgets_reach_the_chains() -> None:
    config = EngineConfig(
        language_engines=("fake",),
        sentiment_engines=("fake",),
        translation_engines=("fake",),
        language_min_confidence=0.7,
        sentiment_min_confidence=0.4,
        call_timeout_s=0.5,
        circuit_failures=5,
        circuit_cooldown_s=12.0,
    )
    engines = build_engines(config)
    assert engines.language.policy.min_confidence == 0.7
    assert engines.sentiment.policy.min_confidence == 0.4
    assert engines.translation.policy.timeout_s == 0.5
    breaker = engines.language.breaker("fake")
    assert (breaker.failure_threshold, breaker.cooldown_s) == (5, 12.0)


def test_no_usable_engine_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(EngineConfigError, match="language_engines"):
        build_engines(EngineConfig(language_engines=("azure",)))


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(EngineConfigError, match="unknown engine"):
        build_engines(EngineConfig(sentiment_engines=("watson",)))


def test_fake_safety_checker_is_used_when_given() -> None:
    fakes = FakeEngines(safety=FakeSafetyChecker())
    assert build_engines(FAKE_ONLY, fakes=fakes).safety.engine("fake") is fakes.safety


async def test_translation_chain_falls_back_to_passthrough() -> None:
    fakes = FakeEngines(translation=FakeTranslator())
    fakes.translation.fail_with(EngineError("fake", "down"))
    engines = build_engines(FAKE_ONLY, fakes=fakes)
    [result] = await engines.translation.translate(["hola"], to="en", source="es")
    assert (result.engine, result.translated, result.text) == (PASSTHROUGH, False, "hola")
    assert result.skipped[0].reason is SkipReason.ERROR
    metrics = engines.metrics()
    assert set(metrics) == {"language", "sentiment", "translation", "safety"}
    assert metrics["translation"][0].failures == 1


async def test_local_chain_shares_one_executor_and_closes_it() -> None:
    config = EngineConfig(
        language_engines=("local",), sentiment_engines=("fake",), translation_engines=("local",)
    )
    engines = build_engines(config)
    assert engines.executor is not None
    assert engines.executor.max_workers == config.executor_workers
    [result] = await engines.language.detect(["Bonjour tout le monde, comment allez-vous ?"])
    assert (result.language, result.engine) == ("fr", "local")
    [passthrough] = await engines.translation.translate(["Bonjour"], to="en", source="fr")
    assert (passthrough.engine, passthrough.translated) == ("local", False)
    await engines.close()


async def test_configured_azure_engines_come_first() -> None:
    config = EngineConfig(
        language_engines=("azure", "fake"),
        sentiment_engines=("azure", "fake"),
        translation_engines=("azure", "fake"),
        safety_engines=("azure", "fake"),
        azure_language=AzureLanguageConfig("http://127.0.0.1:9", "key"),
        azure_translator=AzureTranslatorConfig("http://127.0.0.1:9", "key", "westeurope"),
    )
    engines = build_engines(config)
    assert engines.language.engine_names == ("azure", "fake")
    assert engines.sentiment.engine_names == ("azure", "fake")
    assert engines.translation.engine_names == ("azure", "fake")
    assert engines.executor is None  # no local engine, no thread pool
    await engines.close()


async def test_azure_detection_and_sentiment_share_one_language_client() -> None:
    config = EngineConfig(
        language_engines=("azure",), sentiment_engines=("azure",), translation_engines=("fake",),
        azure_language=AzureLanguageConfig("https://lang.example.test", "key"),
    )
    engines = build_engines(config)
    detector, analyzer = engines.language.engine("azure"), engines.sentiment.engine("azure")
    assert detector._client is analyzer._client
    shared = detector._client
    shared.get()  # build it
    await detector.close()
    assert not shared.closed  # sentiment still uses it
    await engines.close()
    assert shared.closed
