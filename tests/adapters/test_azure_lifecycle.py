"""One SDK client per engine, closed by close(); keyless construction needs no key."""

from __future__ import annotations

import asyncio

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.identity.aio import DefaultAzureCredential

from adapters.azure_clients import AzureCallOptions, make_credential
from adapters.azure_language import AzureLanguageDetector
from adapters.azure_sentiment import AzureSentimentAnalyzer
from adapters.azure_translation import AzureTranslator
from adapters.config import AzureLanguageConfig, AzureTranslatorConfig
from tests.adapters.conftest import FAST_OPTIONS, LANGUAGE_KEY, TRANSLATOR_KEY
from tests.emulators import EmulatorServer, LanguageEmulator, TranslatorEmulator


async def _wait_until_closed(emulator: EmulatorServer) -> int:
    """Open connections once the server has seen the client go (bounded wait)."""
    for _ in range(200):
        if emulator.open_connections == 0:
            break
        await asyncio.sleep(0.01)
    return emulator.open_connections


async def test_language_engines_reuse_one_connection_and_close_it(
    language_emulator: LanguageEmulator,
) -> None:
    config = AzureLanguageConfig(endpoint=language_emulator.url, key=LANGUAGE_KEY)
    engine = AzureLanguageDetector(config, options=FAST_OPTIONS)
    for _ in range(3):
        await engine.detect(["the cat is on the mat"])
    assert language_emulator.open_connections == 1  # one client, one kept-alive connection
    sdk_client = engine._client.get()  # held, so only close() (not GC) can end the connection

    await engine.close()

    assert await _wait_until_closed(language_emulator) == 0
    del sdk_client
    with pytest.raises(RuntimeError, match="closed"):
        await engine.detect(["the cat is on the mat"])


async def test_sentiment_engine_closes_its_client(language_emulator: LanguageEmulator) -> None:
    config = AzureLanguageConfig(endpoint=language_emulator.url, key=LANGUAGE_KEY)
    engine = AzureSentimentAnalyzer(config, options=FAST_OPTIONS)
    await engine.analyze(["I love it."], language="en")
    assert language_emulator.open_connections == 1
    sdk_client = engine._client.get()

    await engine.close()

    assert await _wait_until_closed(language_emulator) == 0
    del sdk_client


async def test_translator_closes_its_client(translator_emulator: TranslatorEmulator) -> None:
    config = AzureTranslatorConfig(endpoint=translator_emulator.url, key=TRANSLATOR_KEY)
    engine = AzureTranslator(config, options=FAST_OPTIONS)
    await engine.translate(["hello"], to="es")
    await engine.translate(["hello"], to="fr")
    assert translator_emulator.open_connections == 1
    sdk_client = engine._client.get()

    await engine.close()

    assert await _wait_until_closed(translator_emulator) == 0
    del sdk_client


async def test_close_before_any_call_is_harmless() -> None:
    engine = AzureTranslator(AzureTranslatorConfig(endpoint="https://example.invalid", key="k"))

    await engine.close()
    await engine.close()


async def test_keyless_engines_construct_without_a_key() -> None:
    detector = AzureLanguageDetector(AzureLanguageConfig(endpoint="https://lang.example.invalid"))
    translator = AzureTranslator(
        AzureTranslatorConfig(endpoint="https://tr.example.invalid", region="westeurope")
    )

    await detector.close()
    await translator.close()


async def test_credential_choice() -> None:
    key_credential, owned = make_credential("secret")
    assert isinstance(key_credential, AzureKeyCredential) and owned is False

    token_credential, owned = make_credential(None)
    try:
        assert isinstance(token_credential, DefaultAzureCredential) and owned is True
    finally:
        await token_credential.close()


def test_call_options_follow_the_budget() -> None:
    options = AzureCallOptions.for_budget(2.0)

    assert options.max_retry_after_s == 1.0
    assert options.connection_timeout_s == 2.0
    assert options.client_kwargs()["retry_policy"].max_retry_after_s == 1.0
