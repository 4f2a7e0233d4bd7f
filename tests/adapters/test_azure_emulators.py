"""The emulators answer the real SDK clients with the service's shapes and limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.ai.textanalytics.aio import TextAnalyticsClient
from azure.ai.translation.text.aio import TextTranslationClient
from azure.ai.translation.text.models import TranslateInputItem, TranslationTarget
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from tests.adapters.conftest import LANGUAGE_KEY, TRANSLATOR_KEY
from tests.emulators import Fault, LanguageEmulator, TranslatorEmulator


@pytest.fixture
async def text_client(language_emulator: LanguageEmulator) -> AsyncIterator[TextAnalyticsClient]:
    client = TextAnalyticsClient(
        language_emulator.url, AzureKeyCredential(LANGUAGE_KEY), retry_total=0
    )
    async with client:
        yield client


@pytest.fixture
async def translation_client(
    translator_emulator: TranslatorEmulator,
) -> AsyncIterator[TextTranslationClient]:
    client = TextTranslationClient(
        translator_emulator.url, AzureKeyCredential(TRANSLATOR_KEY), retry_total=0
    )
    async with client:
        yield client


async def test_more_than_ten_sentiment_documents_is_a_400(text_client: TextAnalyticsClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await text_client.analyze_sentiment(["fine"] * 11, language="en")

    assert raised.value.status_code == 400
    assert "InvalidDocumentBatch" in str(raised.value)


async def test_oversize_text_is_a_document_error_like_the_service(
    text_client: TextAnalyticsClient,
) -> None:
    results = await text_client.analyze_sentiment(["x" * 5_121, "fine"], language="en")

    assert results[0].is_error and results[0].error.code == "InvalidDocument"
    assert not results[1].is_error


async def test_oversize_text_can_fail_the_whole_request(
    text_client: TextAnalyticsClient, language_emulator: LanguageEmulator
) -> None:
    language_emulator.oversize_status = 400

    with pytest.raises(HttpResponseError) as raised:
        await text_client.detect_language(["x" * 5_121])

    assert raised.value.status_code == 400


async def test_opinion_relations_resolve_in_later_documents(
    text_client: TextAnalyticsClient,
) -> None:
    results = await text_client.analyze_sentiment(
        ["", "The soup is cold.", "The staff is not friendly."],
        language="en", show_opinion_mining=True,
    )

    assert results[0].is_error
    [soup] = results[1].sentences[0].mined_opinions
    assert (soup.target.text, soup.assessments[0].text) == ("soup", "cold")
    [staff] = results[2].sentences[0].mined_opinions
    assert staff.assessments[0].is_negated is True
    assert staff.assessments[0].sentiment == "negative"


async def test_faults_can_target_one_kind(
    text_client: TextAnalyticsClient, language_emulator: LanguageEmulator
) -> None:
    language_emulator.faults.push(Fault.server_error(503, match="SentimentAnalysis"))

    detected = await text_client.detect_language(["the cat"])
    with pytest.raises(HttpResponseError) as raised:
        await text_client.analyze_sentiment(["the cat"], language="en")

    assert detected[0].primary_language.iso6391_name == "en"
    assert raised.value.status_code == 503
    assert language_emulator.faults.queued == []


async def test_queued_faults_apply_in_order(
    translation_client: TextTranslationClient, translator_emulator: TranslatorEmulator
) -> None:
    translator_emulator.faults.push(Fault.server_error(500), Fault.rate_limited(7))
    item = [TranslateInputItem(text="hello", targets=[TranslationTarget(language="es")])]

    statuses = []
    for _ in range(3):
        try:
            await translation_client.translate(item)
            statuses.append(200)
        except HttpResponseError as error:
            statuses.append(error.status_code)
            if error.status_code == 429:
                assert error.response.headers["Retry-After"] == "7"

    assert statuses == [500, 429, 200]


async def test_translator_rejects_requests_over_fifty_thousand_characters(
    translation_client: TextTranslationClient,
) -> None:
    items = [
        TranslateInputItem(text="a" * 5_000, targets=[TranslationTarget(language="es")])
        for _ in range(11)
    ]

    with pytest.raises(HttpResponseError) as raised:
        await translation_client.translate(items)

    assert raised.value.status_code == 400
    assert "400077" in str(raised.value)


async def test_translator_wire_shape(
    translation_client: TextTranslationClient, translator_emulator: TranslatorEmulator
) -> None:
    [item] = await translation_client.translate(
        [TranslateInputItem(text="Bonjour, je suis là", targets=[TranslationTarget(language="en")])]
    )

    assert item.detected_language.language == "fr"
    assert item.translations[0].language == "en"
    assert item.translations[0].text == "[en] Bonjour, je suis là"
    assert item.translations[0].source_characters == len("Bonjour, je suis là")
    assert translator_emulator.requests[0].body == {
        "inputs": [{"text": "Bonjour, je suis là", "targets": [{"language": "en"}]}]
    }
