"""The conversation-language rules, one behaviour per test."""

from __future__ import annotations

import pytest

from adapters.analysis.language_rules import decide_language, is_ambiguous, locale_hint
from adapters.contracts import LanguageResult, SecondOpinion
from dialogs.insights import LanguageDecision


def detected(language: str, score: float = 0.99, agrees: bool | None = None) -> LanguageResult:
    opinion = None if agrees is None else SecondOpinion("other", language if agrees else "xx", 0.9, agrees)
    return LanguageResult(language, score, "test", second_opinion=opinion)


def decide(text: str, detection: LanguageResult | None, known: str = "", explicit: bool = False, hint=None):
    return decide_language(
        text, detection, known=known, explicit=explicit, hint=hint, working_language="en",
        min_confidence=0.5, switch_confidence=0.8,
    )


@pytest.mark.parametrize("text", ["ok", "👍🎉", "12345", "lol", "OK!!", "https://example.com", "a@b.co", "  "])
def test_short_or_ambiguous_text_is_ambiguous(text: str) -> None:
    assert is_ambiguous(text)


@pytest.mark.parametrize("text", ["hola amigo", "Bonjour à tous", "ありがとう", "مرحبا بك", "Guten Morgen zusammen"])
def test_real_words_are_not_ambiguous(text: str) -> None:
    assert not is_ambiguous(text)


def test_short_reply_keeps_conversation_language() -> None:
    choice = decide("ok", detected("en", 0.9), known="es")
    assert (choice.language, choice.decision) == ("es", LanguageDecision.KEPT)


def test_one_word_reply_never_switches_a_known_language() -> None:
    choice = decide("Perfect", detected("en", 0.99), known="es")
    assert choice.language == "es"


def test_confident_sentence_switches_language() -> None:
    choice = decide("Can we continue in English please?", detected("en", 0.97), known="es")
    assert (choice.language, choice.decision) == ("en", LanguageDecision.SWITCHED)


def test_unsure_sentence_does_not_switch() -> None:
    choice = decide("Lorem ipsum dolor sit", detected("it", 0.6), known="es")
    assert (choice.language, choice.decision) == ("es", LanguageDecision.KEPT)


def test_first_confident_message_sets_the_language() -> None:
    choice = decide("hola, necesito ayuda", detected("es", 0.95))
    assert (choice.language, choice.decision, choice.ask) == ("es", LanguageDecision.DETECTED, False)


def test_unsure_with_nothing_known_asks_once() -> None:
    choice = decide("xyz qwrt", detected("pl", 0.3), hint="de")
    assert choice.ask and choice.decision is LanguageDecision.UNCERTAIN
    assert choice.language == "de"  # the locale hint is the best guess meanwhile


def test_engines_disagreeing_with_nothing_known_asks() -> None:
    choice = decide("dag allemaal", detected("nl", 0.9, agrees=False))
    assert choice.ask


def test_explicit_choice_wins_over_confident_detection() -> None:
    choice = decide("Je voudrais parler français maintenant", detected("fr", 0.99), known="de", explicit=True)
    assert (choice.language, choice.decision) == ("de", LanguageDecision.EXPLICIT)


def test_locale_is_only_a_hint() -> None:
    assert locale_hint("es-ES", ("en", "es")) == "es"
    assert locale_hint("xx-YY", ("en", "es")) is None
    choice = decide("Good morning, I need some help", detected("en", 0.98), hint="es")
    assert choice.language == "en"


def test_unsure_single_word_with_a_fitting_locale_needs_no_question() -> None:
    choice = decide("hola", detected("pt", 0.3), hint="es")
    assert (choice.language, choice.ask) == ("es", False)


def test_a_tapped_button_of_the_conversation_language_never_switches() -> None:
    choice = decide_language(
        "Dar mi opinión", detected("en", 0.95), known="es", explicit=False, hint=None,
        working_language="en", min_confidence=0.5, switch_confidence=0.8, own_phrase=True,
    )
    assert (choice.language, choice.decision) == ("es", LanguageDecision.KEPT)
