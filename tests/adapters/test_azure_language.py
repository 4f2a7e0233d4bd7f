"""AzureLanguageDetector driving the real TextAnalyticsClient against the Language emulator."""

from __future__ import annotations

import pytest

from adapters.azure_language import AzureLanguageDetector
from adapters.config import AzureLanguageConfig
from adapters.contracts import EngineError, LanguageCandidate, LanguageDetector
from tests.adapters.conftest import FAST_OPTIONS, LANGUAGE_KEY
from tests.emulators import ANALYZE_PATH, LanguageEmulator


async def test_detects_languages_in_one_request(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    texts = [
        "Hello, how are you? The weather is very good today.",
        "Bonjour, je suis très content de vous voir.",
        "안녕하세요, 만나서 반갑습니다",
        "Привіт, як справи? Я їду додому.",
        "你好，今天天气很好",
    ]

    results = await azure_detector.detect(texts)

    assert [r.language for r in results] == ["en", "fr", "ko", "uk", "zh"]
    assert all(r.engine == "azure" for r in results)
    assert all(0.5 <= r.score <= 1.0 for r in results)
    sent = language_emulator.requests_to(ANALYZE_PATH)
    assert len(sent) == 1
    assert sent[0].body["kind"] == "LanguageDetection"
    assert sent[0].query["api-version"] == "2023-04-01"
    assert len(sent[0].body["analysisInput"]["documents"]) == 5


async def test_sends_the_key_header(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    await azure_detector.detect(["Hello there, how are you?"])

    assert language_emulator.requests[0].headers["Ocp-Apim-Subscription-Key"] == LANGUAGE_KEY


async def test_wrong_key_is_an_engine_error(language_emulator: LanguageEmulator) -> None:
    engine = AzureLanguageDetector(
        AzureLanguageConfig(endpoint=language_emulator.url, key="wrong"), options=FAST_OPTIONS
    )
    try:
        with pytest.raises(EngineError, match="authentication failed"):
            await engine.detect(["Hello there, how are you?"])
    finally:
        await engine.close()


async def test_language_outside_the_supported_set_has_no_confidence(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_language("سلام، حال شما چطور است؟", "fa", 0.95, "Persian")

    [result] = await azure_detector.detect(["سلام، حال شما چطور است؟"])

    assert result.language == "fa"
    assert result.score == 0.0
    assert result.alternatives == (LanguageCandidate("fa", 0.95),)


async def test_unknown_language_is_undetermined(azure_detector: AzureLanguageDetector) -> None:
    [result] = await azure_detector.detect(["xyzzy qwrtp"])

    assert (result.language, result.score) == ("und", 0.0)


async def test_service_codes_are_normalised(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_language("Olá", "pt_PT", 0.9)
    language_emulator.script_language("Shalom", "iw", 0.8)

    results = await azure_detector.detect(["Olá", "Shalom"])

    assert [(r.language, r.score) for r in results] == [("pt", 0.9), ("he", 0.8)]


async def test_empty_text_costs_no_request(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    [result] = await azure_detector.detect(["   "])

    assert (result.language, result.score) == ("und", 0.0)
    assert language_emulator.requests == []


async def test_long_text_sends_only_its_opening(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    text = "The cat is on the mat and the dog is in the garden. " * 300  # ~15,600 chars

    [result] = await azure_detector.detect([text])

    assert result.language == "en"
    [document] = language_emulator.requests[0].body["analysisInput"]["documents"]
    assert 0 < len(document["text"]) <= 5_120
    assert text.startswith(document["text"])


async def test_more_than_a_thousand_texts_are_chunked(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    texts = ["the cat is here"] * 1001

    results = await azure_detector.detect(texts)

    assert len(results) == 1001
    sizes = sorted(len(r.body["analysisInput"]["documents"]) for r in language_emulator.requests)
    assert sizes == [1, 1000]


async def test_per_document_error_is_an_engine_error(
    azure_detector: AzureLanguageDetector, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_document_error("boom", "InvalidArgument", "Bad.", "InvalidDocument")

    with pytest.raises(EngineError, match="InvalidDocument"):
        await azure_detector.detect(["fine text here", "boom"])


async def test_is_a_language_detector(azure_detector: AzureLanguageDetector) -> None:
    assert isinstance(azure_detector, LanguageDetector)
