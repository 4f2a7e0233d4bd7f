"""Offline language detection: py3langid restricted to the bot's languages, with a script prior."""

from __future__ import annotations

import pytest

from adapters.contracts import SUPPORTED_LANGUAGES, LanguageDetector
from adapters.executor import BoundedExecutor
from adapters.local_language import LocalLanguageDetector, script_languages


@pytest.fixture(scope="module")
def detector() -> LocalLanguageDetector:
    return LocalLanguageDetector()


def test_implements_the_protocol(detector: LocalLanguageDetector) -> None:
    assert isinstance(detector, LanguageDetector)
    assert detector.name == "local"
    assert detector.supported_languages == frozenset(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The weather is lovely today and we are going to the park.", "en"),
        ("Mañana vamos a la playa con mis amigos y mi familia.", "es"),
        ("今日はとても良い天気ですね。公園に行きましょう。", "ja"),
        ("أنا سعيد جدا بهذا اليوم الجميل مع أصدقائي.", "ar"),
        ("Ich habe heute keine Zeit, weil ich arbeiten muss.", "de"),
        ("Я люблю читать книги по вечерам.", "ru"),
    ],
)
async def test_clear_sentences_are_detected(
    detector: LocalLanguageDetector, text: str, language: str
) -> None:
    [result] = await detector.detect([text])
    assert result.language == language
    assert result.engine == "local"
    assert result.score > 0.5


async def test_results_come_back_in_order(detector: LocalLanguageDetector) -> None:
    texts = ["Good morning, how are you doing today?", "Bonjour, comment allez-vous ?"]
    results = await detector.detect(texts)
    assert [r.language for r in results] == ["en", "fr"]


async def test_confidence_is_a_probability_and_alternatives_are_ranked(
    detector: LocalLanguageDetector,
) -> None:
    for text in ["gracias amigo", "Das ist gut", "ok", "Obrigado pela ajuda, até amanhã"]:
        [result] = await detector.detect([text])
        assert 0.0 <= result.score <= 1.0
        scores = [result.score, *(alt.score for alt in result.alternatives)]
        assert scores == sorted(scores, reverse=True)
        assert result.language not in {alt.language for alt in result.alternatives}
        assert sum(scores) <= 1.0 + 1e-6


async def test_short_ambiguous_text_is_less_confident_than_a_sentence(
    detector: LocalLanguageDetector,
) -> None:
    short, long = await detector.detect(
        ["gracias amigo", "Muchas gracias por tu ayuda, amigo, nos vemos mañana en la oficina."]
    )
    assert short.score < long.score


async def test_detection_is_restricted_to_the_configured_languages() -> None:
    restricted = LocalLanguageDetector(("en", "de"))
    [result] = await restricted.detect(["C'est une très belle journée pour se promener."])
    assert result.language in {"en", "de"}
    assert {alt.language for alt in result.alternatives} <= {"en", "de"}


def test_unknown_configured_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="xx"):
        LocalLanguageDetector(("en", "xx"))


async def test_text_without_letters_is_undetermined(detector: LocalLanguageDetector) -> None:
    results = await detector.detect(["", "12345", "😀👍"])
    assert [(r.language, r.score) for r in results] == [("und", 0.0)] * 3


def test_script_prior_narrows_candidates() -> None:
    assert script_languages("ね") == frozenset({"ja"})
    assert script_languages("漢字とかな") == frozenset({"ja"})
    assert script_languages("中文") == frozenset({"zh", "ja"})
    assert script_languages("привіт") == frozenset({"uk"})
    assert script_languages("שלום") == frozenset({"he"})
    assert script_languages("123 !!") is None
    mixed = script_languages("Share to Twitter पर साझा करें")
    assert mixed is not None and {"hi", "en"} <= mixed


async def test_single_kana_is_japanese(detector: LocalLanguageDetector) -> None:
    [result] = await detector.detect(["ね"])
    assert result.language == "ja"
    assert result.score == pytest.approx(1.0)


async def test_large_batches_run_in_a_shared_executor_and_close_leaves_it_alone() -> None:
    executor = BoundedExecutor(1)
    engine = LocalLanguageDetector(executor=executor)
    texts = ["This is an English sentence about nothing in particular."] * 60
    results = await engine.detect(texts)
    assert {r.language for r in results} == {"en"}
    await engine.close()
    assert await executor.run(sum, [1, 2]) == 3  # still usable: the engine did not own it
    executor.shutdown()
