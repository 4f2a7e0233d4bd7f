"""Assembles the three fallback chains and the safety checker from an EngineConfig.

Engine modules are imported only when named in the config, so a fake-only or
Azure-less process never loads a model or an SDK it does not use. The local
engines share one bounded executor, owned (and shut down) here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from adapters.config import EngineConfig
from adapters.contracts import (
    EngineMetrics,
    LanguageDetector,
    SafetyChecker,
    SentimentAnalyzer,
    Translator,
)
from adapters.executor import BoundedExecutor
from adapters.fakes import FakeEngines
from adapters.fallback import ChainPolicy, LanguageChain, SentimentChain, TranslationChain
from adapters.local_safety import LexiconSafetyChecker
from adapters.safety_chain import SafetyChain

ENGINE_NAMES: tuple[str, ...] = ("azure", "local", "fake")


class EngineConfigError(ValueError):
    """The engine configuration names an unknown engine or leaves a capability with none."""


@dataclass(frozen=True)
class Engines:
    """Everything the pipeline calls: one chain per capability plus the safety checker."""

    language: LanguageChain
    sentiment: SentimentChain
    translation: TranslationChain
    safety: SafetyChain
    executor: BoundedExecutor | None = None

    def metrics(self) -> dict[str, list[EngineMetrics]]:
        """Per capability, each engine's counters and circuit state."""
        return {
            "language": self.language.metrics(),
            "sentiment": self.sentiment.metrics(),
            "translation": self.translation.metrics(),
            "safety": self.safety.metrics(),
        }

    async def warm_up(self) -> None:
        """Load the offline models now, so the first user's turn isn't the one that waits.

        Called directly on the local engines (not through the chains), so a slow first
        load can neither time out nor count as a failure against a circuit breaker.
        """
        detector = self.language.engine("local")
        if detector is not None:
            await detector.detect(["warming up the language model"])
        analyzer = self.sentiment.engine("local")
        if analyzer is not None:
            await analyzer.warm_up()  # every model of its pool, not only the first
        learned = self.safety.engine("learned")
        if learned is not None:
            await learned.check("warming up the safety head", language="en")

    async def close(self) -> None:
        """Close every engine, then stop the shared executor (off the event loop)."""
        await self.language.close()
        await self.sentiment.close()
        await self.translation.close()
        await self.safety.close()
        if self.executor is not None:
            await asyncio.to_thread(self.executor.shutdown)


class _Builder:
    """Builds each named engine once per capability, sharing the executor and the fakes."""

    def __init__(self, config: EngineConfig, fakes: FakeEngines | None) -> None:
        self.config = config
        self.fakes = fakes
        self.executor: BoundedExecutor | None = None
        self._language_client = None
        self._local_sentiment = None
        self._embedding_cache = None

    def embedding_cache(self):
        """The (text -> embedding) cache the local sentiment engine fills and the safety head reads."""
        if self._embedding_cache is None:
            from adapters.embedding_cache import EmbeddingCache

            self._embedding_cache = EmbeddingCache()
        return self._embedding_cache

    def shared_executor(self) -> BoundedExecutor:
        if self.executor is None:
            self.executor = BoundedExecutor(self.config.executor_workers, name="engines")
        return self.executor

    def language_client(self):
        """The one Azure AI Language client both Azure engines share."""
        if self._language_client is None:
            from adapters.azure_clients import text_analytics_client

            self._language_client = text_analytics_client(self.config.azure_language, self.azure_options())
        return self._language_client

    def azure_options(self):
        """SDK retries that fit the per-call budget (a 429 is waited up to half of it)."""
        from adapters.azure_clients import AzureCallOptions

        return AzureCallOptions.for_budget(self.config.call_timeout_s)

    def fake_set(self) -> FakeEngines:
        if self.fakes is None:
            self.fakes = FakeEngines()
        return self.fakes

    def language(self, name: str) -> LanguageDetector | None:
        config = self.config
        if name == "azure":
            if config.azure_language is None:
                return None
            from adapters.azure_language import AzureLanguageDetector

            return AzureLanguageDetector(
                config.azure_language,
                supported_languages=config.supported_languages,
                options=self.azure_options(),
                client=self.language_client(),
            )
        if name == "local":
            from adapters.local_language import LocalLanguageDetector

            return LocalLanguageDetector(config.supported_languages, executor=self.shared_executor())
        return self.fake_set().language

    def sentiment(self, name: str) -> SentimentAnalyzer | None:
        config = self.config
        if name == "azure":
            if config.azure_language is None:
                return None
            from adapters.azure_sentiment import AzureSentimentAnalyzer

            return AzureSentimentAnalyzer(
                config.azure_language,
                supported_languages=config.supported_languages,
                options=self.azure_options(),
                client=self.language_client(),
            )
        if name == "local":
            from adapters.local_sentiment import LocalSentimentAnalyzer

            self._local_sentiment = LocalSentimentAnalyzer(
                config.supported_languages,
                executor=self.shared_executor(),
                cascade=config.sentiment_cascade,
                cache=self.embedding_cache(),
                encoder=config.local_encoder,
            )
            return self._local_sentiment
        return self.fake_set().sentiment

    def translation(self, name: str) -> Translator | None:
        if name == "azure":
            if self.config.azure_translator is None:
                return None
            from adapters.azure_translation import AzureTranslator

            return AzureTranslator(self.config.azure_translator, options=self.azure_options())
        if name == "local":
            from adapters.local_translation import PassthroughTranslator

            return PassthroughTranslator()
        return self.fake_set().translation


    def safety(self, name: str) -> list[SafetyChecker]:
        """The engines one safety name stands for: "local" is the lexicon and the learned head."""
        config = self.config
        if name == "azure":
            if config.azure_content_safety is None:
                return []
            from adapters.azure_safety import AzureContentSafetyChecker

            return [
                AzureContentSafetyChecker(
                    config.azure_content_safety,
                    severity_threshold=config.safety_severity,
                    options=self.azure_options(),
                )
            ]
        if name == "local":
            return [LexiconSafetyChecker(), self.learned_safety()]
        if self.fakes is not None and self.fakes.safety is not None:
            return [self.fakes.safety]
        return []

    def learned_safety(self) -> SafetyChecker:
        """The learned head, on the sentiment engine's embeddings when there is a local one."""
        from adapters.learned_safety import LearnedSafetyChecker

        encoder, own = self._local_sentiment, False
        if encoder is None:
            from adapters.local_sentiment import LocalSentimentAnalyzer

            encoder = LocalSentimentAnalyzer(
                executor=self.shared_executor(), cascade=False, encoder=self.config.local_encoder
            )
            own = True
        # Both engines send their texts through the same batched encoder.
        return LearnedSafetyChecker(
            encoder.embed, cache=self.embedding_cache(), executor=self.shared_executor(),
            embed_async=encoder.embed_async, warm=encoder.warm_up if own else None,
        )


def build_safety(config: EngineConfig, *, fakes: FakeEngines | None = None) -> SafetyChain:
    """Only the safety chain: for BOT_ANALYSIS=off, where no other engine runs but this one must."""
    return _safety_chain(_Builder(config, fakes), config)


def _safety_chain(builder: _Builder, config: EngineConfig) -> SafetyChain:
    names = config.safety_engines
    if builder.fakes is not None and builder.fakes.safety is not None:
        names = ("fake", *names)  # a scripted fake joins (never replaces) the configured engines
    engines = [engine for name in dict.fromkeys(names) for engine in builder.safety(name)]
    if not engines:
        engines = [LexiconSafetyChecker()]  # the check always runs: the lexicon needs nothing
    policy = ChainPolicy(
        timeout_s=config.call_timeout_s,
        failure_threshold=config.circuit_failures,
        cooldown_s=config.circuit_cooldown_s,
    )
    return SafetyChain(engines, policy=policy)


def _engines_for(setting: str, names: tuple[str, ...], build: Callable[[str], object | None]) -> list:
    unknown = [n for n in names if n not in ENGINE_NAMES]
    if unknown:
        raise EngineConfigError(
            f"{setting}: unknown engine(s) {', '.join(unknown)}; accepted: {', '.join(ENGINE_NAMES)}"
        )
    engines = [e for e in (build(n) for n in dict.fromkeys(names)) if e is not None]
    if not engines:
        raise EngineConfigError(
            f"{setting}: no usable engine in {', '.join(names) or '(empty)'} "
            "(azure is dropped when its endpoint is not configured; add 'local')"
        )
    return engines


def build_engines(
    config: EngineConfig,
    *,
    fakes: FakeEngines | None = None,
    sure_confidence: float = 0.9,
) -> Engines:
    """Build the chains in the configured orders; "fake" engines come from `fakes`."""
    builder = _Builder(config, fakes)

    def policy(min_confidence: float) -> ChainPolicy:
        return ChainPolicy(
            timeout_s=config.call_timeout_s,
            failure_threshold=config.circuit_failures,
            cooldown_s=config.circuit_cooldown_s,
            min_confidence=min_confidence,
        )

    language = LanguageChain(
        _engines_for("language_engines", config.language_engines, builder.language),
        policy=policy(config.language_min_confidence),
        sure_confidence=sure_confidence,
    )
    sentiment = SentimentChain(
        _engines_for("sentiment_engines", config.sentiment_engines, builder.sentiment),
        policy=policy(config.sentiment_min_confidence),
    )
    translation = TranslationChain(
        _engines_for("translation_engines", config.translation_engines, builder.translation),
        policy=policy(0.0),
    )
    safety = _safety_chain(builder, config)
    return Engines(language, sentiment, translation, safety, builder.executor)
