"""Keyword recognition: the compiled patterns (merged by prefix, one search for all intents
first) find exactly what a plain keyword-by-keyword search finds, and normalisation's ASCII
shortcut gives what the full Unicode path gives."""

from __future__ import annotations

import re
import unicodedata

import pytest

from adapters.scripts import is_unspaced
from dialogs.intents import PRIORITY, Intent, keywords, normalize, phrase_intent, recognize

LANGUAGES = ("en", "es", "ar", "ja", "ru", "hi")


def reference_normalize(text: str) -> str:
    """Normalisation spelled out: NFKD, drop the Latin combining accents, NFKC, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(char for char in decomposed if not 0x300 <= ord(char) <= 0x36F)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", kept)).strip()


def occurs(word: str, normalized: str) -> bool:
    """One keyword in a normalised text: a substring in scripts without spaces, else a whole word."""
    if word not in normalized:
        return False
    return is_unspaced(word) or re.search(rf"(?<!\w){re.escape(word)}(?!\w)", normalized) is not None


def reference_intent(text: str, among: tuple[Intent, ...], phrases_only: bool) -> Intent | None:
    normalized = reference_normalize(text)
    for intent in among:
        words = {word for language in LANGUAGES for word in keywords(language).get(intent, ())}
        if any(occurs(word, normalized) for word in words if not phrases_only or " " in word):
            return intent
    return None


def texts() -> list[str]:
    """Every keyword alone, inside a sentence, glued inside a longer word, and plain sentences."""
    found = [
        "I really love how quickly this bot answers my questions!",
        "Este servicio es terrible, nadie me ayuda con mi pedido.",
        "The delivery was late again and the box was damaged.",
        "", "   ", "¿¡!?",
    ]
    for language in LANGUAGES:
        for words in keywords(language).values():
            for word in words:
                found += [word.upper(), f"well, {word} please", f"x{word}y", f"{word[:-1]}"]
    return found


@pytest.mark.parametrize("among", [PRIORITY, (Intent.HELP, Intent.HANDOFF, Intent.FEEDBACK), (Intent.NO,)])
def test_recognition_finds_what_a_keyword_by_keyword_search_finds(among: tuple[Intent, ...]) -> None:
    for text in texts():
        assert recognize(text, LANGUAGES, among) == reference_intent(text, among, phrases_only=False), text
        assert phrase_intent(text, LANGUAGES, among) == reference_intent(text, among, phrases_only=True), text


def test_a_message_that_names_no_command_is_none_and_one_that_does_is_the_first_by_priority() -> None:
    assert recognize("The delivery was late again and the box was damaged.", LANGUAGES) is None
    assert recognize("cancel, and help", LANGUAGES) is Intent.CANCEL  # cancel outranks help
    assert phrase_intent("can I talk to a real person about it", LANGUAGES, PRIORITY) is Intent.HANDOFF


@pytest.mark.parametrize(
    "text",
    ["  HELP\t me  ", "Análisis DE Texto", "ﬁnal Ａ", "أريدُ", "हिन्दी", "日本語で", "Straße", "İstanbul", "a\u0301\u0308b",
     "line\u2028break", "\x1ccontrol\x1f", "ÀÉÎÕÜ çñ"],
)
def test_normalize_matches_the_full_unicode_path(text: str) -> None:
    assert normalize(text) == reference_normalize(text)
    assert normalize(text.encode("ascii", "ignore").decode()) == reference_normalize(text.encode("ascii", "ignore").decode())
