"""AzureTranslator driving the real TextTranslationClient against the Translator emulator."""

from __future__ import annotations

import pytest

from adapters.azure_translation import AzureTranslator
from adapters.config import AzureTranslatorConfig
from adapters.contracts import Translator, UnsupportedLanguageError
from tests.adapters.conftest import FAST_OPTIONS, TRANSLATOR_KEY, TRANSLATOR_REGION
from tests.emulators import TRANSLATE_PATH, TranslatorEmulator


async def test_all_texts_of_a_turn_go_in_one_request(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    texts = ["hello", "The weather is good today.", "thank you", "What is your name?", "Bye now"]

    results = await azure_translator.translate(texts, to="es")

    [request] = translator_emulator.requests_to(TRANSLATE_PATH)
    assert request.query["api-version"] == "2026-06-06"
    assert [i["text"] for i in request.body["inputs"]] == texts
    assert all(i["targets"] == [{"language": "es"}] for i in request.body["inputs"])
    assert [r.text for r in results] == [
        "hola", "[es] The weather is good today.", "gracias", "[es] What is your name?",
        "[es] Bye now",
    ]
    assert all(r.target_language == "es" and r.engine == "azure" for r in results)
    assert all(r.translated for r in results)


async def test_detected_source_language_and_score_come_from_the_response(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    translator_emulator.script("Guten Tag", "en", "Good day", detected=("de", 0.87))

    [result] = await azure_translator.translate(["Guten Tag"], to="en")

    assert (result.text, result.source_language, result.source_score) == ("Good day", "de", 0.87)


async def test_known_source_is_sent_and_not_detected(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    [result] = await azure_translator.translate(["hola"], to="en", source="es")

    assert (result.text, result.source_language, result.source_score) == ("hello", "es", None)
    assert translator_emulator.requests[0].body["inputs"][0]["language"] == "es"


async def test_chinese_uses_the_script_qualified_code(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    [to_zh] = await azure_translator.translate(["Good morning everyone"], to="zh")
    [from_zh] = await azure_translator.translate(["早上好"], to="en")

    assert translator_emulator.requests[0].body["inputs"][0]["targets"] == [{"language": "zh-Hans"}]
    assert to_zh.target_language == "zh" and to_zh.text.startswith("[zh] ")
    assert from_zh.source_language == "zh"


async def test_key_and_region_headers_are_sent(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    await azure_translator.translate(["hello"], to="fr")

    headers = translator_emulator.requests[0].headers
    assert headers["Ocp-Apim-Subscription-Key"] == TRANSLATOR_KEY
    assert headers["Ocp-Apim-Subscription-Region"] == TRANSLATOR_REGION


async def test_long_text_is_split_into_inputs_of_the_same_request_and_joined(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    sentence = "The train leaves at noon and arrives in the evening. "
    text = sentence * 250  # ~13,000 characters

    results = await azure_translator.translate([text, "hello"], to="es")

    [request] = translator_emulator.requests
    inputs = [i["text"] for i in request.body["inputs"]]
    assert len(inputs) == 4  # three pieces of the long text, then "hello"
    assert all(len(piece) <= 5_120 for piece in inputs)
    assert inputs[-1] == "hello"
    assert results[0].text.replace("[es] ", "") == text
    assert results[0].text.count("[es] ") == 3
    assert results[1].text == "hola"


async def test_turns_beyond_the_request_size_use_more_requests(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    texts = [("word " * 1000).strip()] * 11  # 11 x ~5,000 chars > 50,000 per request

    results = await azure_translator.translate(texts, to="fr")

    assert len(results) == 11
    assert all(r.text == "[fr] " + texts[0] for r in results)
    assert len(translator_emulator.requests) == 2


async def test_blank_texts_pass_through_without_a_call(
    azure_translator: AzureTranslator, translator_emulator: TranslatorEmulator
) -> None:
    results = await azure_translator.translate(["", "  "], to="fr")

    assert [r.text for r in results] == ["", "  "]
    assert translator_emulator.requests == []


async def test_unknown_target_language_is_unsupported(azure_translator: AzureTranslator) -> None:
    with pytest.raises(UnsupportedLanguageError) as raised:
        await azure_translator.translate(["hello"], to="xx")

    assert raised.value.language == "xx"


async def test_unknown_source_language_is_unsupported(azure_translator: AzureTranslator) -> None:
    with pytest.raises(UnsupportedLanguageError) as raised:
        await azure_translator.translate(["hello"], to="fr", source="qq")

    assert raised.value.language == "qq"


async def test_without_a_region_no_region_header_is_sent(
    translator_emulator: TranslatorEmulator,
) -> None:
    engine = AzureTranslator(
        AzureTranslatorConfig(endpoint=translator_emulator.url, key=TRANSLATOR_KEY),
        options=FAST_OPTIONS,
    )
    try:
        await engine.translate(["hello"], to="de")
    finally:
        await engine.close()

    assert "Ocp-Apim-Subscription-Region" not in translator_emulator.requests[0].headers


async def test_is_a_translator(azure_translator: AzureTranslator) -> None:
    assert isinstance(azure_translator, Translator)
