"""The fake engines: scripts, defaults, recorded calls, and Protocol conformance."""

from __future__ import annotations

import asyncio

import pytest

from adapters.contracts import (
    EngineError,
    LanguageDetector,
    SafetyChecker,
    SentimentAnalyzer,
    SentimentLabel,
    Translator,
    UnsupportedLanguageError,
)
from adapters.fakes import (
    FakeEngines,
    FakeLanguageDetector,
    FakeSafetyChecker,
    FakeSentimentAnalyzer,
    FakeTranslator,
    engine_error,
    guess_language,
)


def test_fakes_implement_the_protocols() -> None:
    assert isinstance(FakeLanguageDetector(), LanguageDetector)
    assert isinstance(FakeSentimentAnalyzer(), SentimentAnalyzer)
    assert isinstance(FakeTranslator(), Translator)
    assert isinstance(FakeSafetyChecker(), SafetyChecker)


async def test_scripted_language_with_alternatives() -> None:
    fake = FakeLanguageDetector().script("hola", language="es", score=0.99, alternatives=[("pt", 0.4)])
    [result] = await fake.detect(["hola"])
    assert (result.language, result.score, result.engine) == ("es", 0.99, "fake")
    assert [(c.language, c.score) for c in result.alternatives] == [("pt", 0.4)]


async def test_constructor_scripts_a_dict() -> None:
    fake = FakeLanguageDetector(scripts={"merci": "fr", "danke": "de"})
    results = await fake.detect(["merci", "danke"])
    assert [r.language for r in results] == ["fr", "de"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("こんにちは", "ja"),
        ("안녕하세요", "ko"),
        ("你好", "zh"),
        ("مرحبا", "ar"),
        ("שלום", "he"),
        ("नमस्ते", "hi"),
        ("Привет", "ru"),
        ("Привіт, як справи? Їжак", "uk"),
        ("Γεια σου", "el"),
        ("hola, quiero ayuda", "es"),
        ("bonjour, je suis là", "fr"),
        ("hallo, ich bin hier", "de"),
    ],
)
async def test_default_rule_recognises_scripts_and_common_words(text: str, language: str) -> None:
    [result] = await FakeLanguageDetector().detect([text])
    assert result.language == language
    assert result.score >= 0.9


async def test_default_rule_is_unsure_about_unknown_and_letterless_text() -> None:
    fake = FakeLanguageDetector(default_language="en", default_score=0.6)
    plain, emoji = await fake.detect(["zxqv", "👍 42"])
    assert (plain.language, plain.score) == ("en", 0.6)
    assert (emoji.language, emoji.score) == ("en", 0.1)
    assert guess_language("zxqv") is None


async def test_scripted_error_is_raised_and_call_still_recorded() -> None:
    fake = FakeLanguageDetector().script("boom", error=EngineError("fake", "down"))
    with pytest.raises(EngineError):
        await fake.detect(["ok", "boom"])
    assert fake.calls[0].texts == ("ok", "boom")


async def test_fail_with_fails_every_call_until_cleared() -> None:
    fake = FakeTranslator()
    fake.fail_with(engine_error("fake", "429"))
    with pytest.raises(EngineError, match="429"):
        await fake.translate(["a"], to="es")
    fake.fail_with(None)
    assert (await fake.translate(["a"], to="es", source="en"))[0].text == "[en→es] a"


async def test_scripted_delay_makes_a_call_slow() -> None:
    fake = FakeSentimentAnalyzer().script("slow", label="positive", delay=30.0)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await fake.analyze(["slow"], language="en")
    [fast] = await fake.analyze(["quick"], language="en")
    assert fast.label is SentimentLabel.NEUTRAL


async def test_scripted_sentiment_label_and_score() -> None:
    fake = FakeSentimentAnalyzer().script("meh", label="mixed")
    fake.script("grr", label=SentimentLabel.NEGATIVE, score=0.8)
    mixed, negative = await fake.analyze(["meh", "grr"], language="es")
    assert mixed.label is SentimentLabel.MIXED and mixed.confidence == 0.0
    assert negative.label is SentimentLabel.NEGATIVE
    assert negative.scores.negative == 0.8
    assert negative.language == "es"
    assert fake.calls[0].language == "es"


async def test_default_sentiment_per_sentence() -> None:
    [result] = await FakeSentimentAnalyzer().analyze(
        ["The food was great. The delivery was slow."], language="en"
    )
    assert result.label is SentimentLabel.MIXED
    assert [s.label for s in result.sentences] == [SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE]
    assert result.sentences[1].offset == len("The food was great. ")


async def test_unsupported_language_raises_after_recording() -> None:
    fake = FakeSentimentAnalyzer(supported_languages=["en"])
    with pytest.raises(UnsupportedLanguageError) as caught:
        await fake.analyze(["hei"], language="da")
    assert caught.value.language == "da"
    assert len(fake.calls) == 1


async def test_translator_scripts_per_target_and_marks_the_rest() -> None:
    fake = FakeTranslator(translations={("hola", "en"): "hello"})
    fake.script("hola", to="fr", translation="salut")
    en, fr, de = (
        (await fake.translate(["hola"], to="en"))[0],
        (await fake.translate(["hola"], to="fr"))[0],
        (await fake.translate(["hola"], to="de"))[0],
    )
    assert (en.text, en.source_language, en.translated) == ("hello", "es", True)
    assert fr.text == "salut"
    assert de.text == "[es→de] hola"
    assert [c.target for c in fake.calls] == ["en", "fr", "de"]


async def test_translator_keeps_text_already_in_the_target_language() -> None:
    [result] = await FakeTranslator().translate(["hello"], to="en", source="en")
    assert result.text == "hello"


async def test_texts_seen_and_reset() -> None:
    fake = FakeLanguageDetector()
    await fake.detect(["a", "b"])
    await fake.detect(["c"])
    assert fake.texts_seen == ["a", "b", "c"]
    fake.reset()
    assert fake.calls == []


async def test_close_is_recorded() -> None:
    fake = FakeTranslator()
    await fake.close()
    assert fake.closed


async def test_fake_safety_flags_only_scripted_texts() -> None:
    checker = FakeSafetyChecker().flag("help me")
    assert (await checker.check("help me", language="en")).flagged
    assert not (await checker.check("hello", language="en")).flagged
    assert checker.calls == [("help me", "en"), ("hello", "en")]


async def test_fake_engines_count_calls_for_no_engine_called_assertions() -> None:
    fakes = FakeEngines()
    assert fakes.calls == 0
    await fakes.language.detect(["x"])
    await fakes.sentiment.analyze(["x"], language="en")
    assert fakes.calls == 2
