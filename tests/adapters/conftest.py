"""Fixtures that start the Azure emulators on loopback and build Azure engines on them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.azure_clients import AzureCallOptions
from adapters.azure_language import AzureLanguageDetector
from adapters.azure_sentiment import AzureSentimentAnalyzer
from adapters.azure_translation import AzureTranslator
from adapters.config import AzureLanguageConfig, AzureTranslatorConfig
from tests.emulators import LanguageEmulator, TranslatorEmulator

LANGUAGE_KEY = "language-test-key"
TRANSLATOR_KEY = "translator-test-key"
TRANSLATOR_REGION = "westeurope"
# Quick retries so fault tests stay fast; 429 waits up to 0.5 s are honoured.
FAST_OPTIONS = AzureCallOptions(
    retry_total=1, retry_backoff_factor=0.01, retry_backoff_max=0.05, max_retry_after_s=0.5
)


@pytest.fixture
async def language_emulator() -> AsyncIterator[LanguageEmulator]:
    async with LanguageEmulator(key=LANGUAGE_KEY) as emulator:
        yield emulator


@pytest.fixture
async def translator_emulator() -> AsyncIterator[TranslatorEmulator]:
    async with TranslatorEmulator(key=TRANSLATOR_KEY) as emulator:
        yield emulator


@pytest.fixture
def language_config(language_emulator: LanguageEmulator) -> AzureLanguageConfig:
    return AzureLanguageConfig(endpoint=language_emulator.url, key=LANGUAGE_KEY)


@pytest.fixture
def translator_config(translator_emulator: TranslatorEmulator) -> AzureTranslatorConfig:
    return AzureTranslatorConfig(
        endpoint=translator_emulator.url, key=TRANSLATOR_KEY, region=TRANSLATOR_REGION
    )


@pytest.fixture
async def azure_detector(language_config: AzureLanguageConfig) -> AsyncIterator[AzureLanguageDetector]:
    engine = AzureLanguageDetector(language_config, options=FAST_OPTIONS)
    yield engine
    await engine.close()


@pytest.fixture
async def azure_analyzer(language_config: AzureLanguageConfig) -> AsyncIterator[AzureSentimentAnalyzer]:
    engine = AzureSentimentAnalyzer(language_config, options=FAST_OPTIONS)
    yield engine
    await engine.close()


@pytest.fixture
async def azure_translator(translator_config: AzureTranslatorConfig) -> AsyncIterator[AzureTranslator]:
    engine = AzureTranslator(translator_config, options=FAST_OPTIONS)
    yield engine
    await engine.close()
