"""Every function that runs a regex over user text stays linear on 100,000-character attacks.

Python's `re` backtracks: a pattern like `\\S+@\\S+` rescans an unbroken token from every
start position, which made one 100,000-character message cost 78 s. Each input below
repeats a short unit that one of those patterns could stumble over (dots before a
lookahead, word runs before an `@`, code-like `A-A-A`, URL prefixes, CJK particles).
A linear pattern handles 100,000 characters in milliseconds, a quadratic one in
minutes, so the generous bound below separates them without measuring speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from adapters.analysis.language_rules import is_ambiguous, is_single_word, words_of
from adapters.analysis.protect import protect
from adapters.fast_sentiment import feature_indices
from adapters.local_safety import LexiconSafetyChecker
from adapters.local_sentiment import prepare_text, split_sentences
from adapters.scripts import has_cjk, has_kana, is_unspaced
from adapters.telemetry import _CODE
from adapters.text_limits import split_text
from bot.activity_reader import _ISO
from bot.activity_schema import _SURROGATE
from bot.channels.webchat.generate_auth import _USER_ID
from bot.channels.webchat.tokens import _TOKEN_SHAPE
from bot.channels.webchat.uploads import _SAFE_ASCII_NAME
from dialogs.choices import find_language, parse_rating
from dialogs.intents import Intent, normalize, phrase_intent, recognize
from dialogs.translate_dialog import parse_request

LENGTH = 100_000
BOUND_S = 5.0  # a quadratic pattern needs minutes here; a linear one, milliseconds to a second

UNITS = (
    "a", "A", "1", ".", "@", "-", "_", " ", "\n", ":", "/", "!", "\"", "#", "%",
    "A-", "A1-", "1.", "a@", "a.", ".a", "@a.", "x@y", "aA1", "RT ", ". ",
    "http://", "https://a", "www.", "http://.", "a\u3092", "\u3092\u306b", "\u3002", "\u2026",
    "\u00e9", "\u0430", "\u0645", "\U0001F600", "to ", "translate ", "kill ", "i want to ",
    "help ", "talk to a ", "e\u0301",
)
ENDINGS = ("x", "@")

_SAFETY = LexiconSafetyChecker()
LANGUAGES = ("en", "es", "ja", "ar", "de")

FUNCTIONS: dict[str, Callable[[str], object]] = {
    "language_rules.words_of": words_of,
    "language_rules.is_ambiguous": is_ambiguous,
    "language_rules.is_single_word": is_single_word,
    "protect.protect": lambda text: protect(text, keep=("Ana", "AB-12")).restore("[[0]] [[1]]"),
    "local_sentiment.prepare_text": prepare_text,
    "local_sentiment.split_sentences": split_sentences,
    "scripts.has_cjk": has_cjk,
    "scripts.is_unspaced": is_unspaced,
    "scripts.has_kana": has_kana,
    # Guarded by a 16-character bound in use; shown linear without it.
    "telemetry.language_code": _CODE.fullmatch,
    "fast_sentiment.feature_indices": lambda text: feature_indices(text, 18),
    "text_limits.split_text": split_text,
    "local_safety.check": lambda text: _SAFETY.check_sync(text, language="en"),
    "choices.find_language": lambda text: find_language(text, LANGUAGES),
    "choices.parse_rating": parse_rating,
    "intents.normalize": normalize,
    "intents.recognize": lambda text: recognize(text, LANGUAGES),
    "intents.phrase_intent": lambda text: phrase_intent(text, LANGUAGES, tuple(Intent)),
    "translate_dialog.parse_request": lambda text: parse_request(text, LANGUAGES),
    # The edge's own patterns, on inputs longer than any bound that guards them in use.
    "activity_schema.surrogate": _SURROGATE.search,
    "activity_reader.iso_timestamp": _ISO.fullmatch,
    "directline.token_shape": _TOKEN_SHAPE.fullmatch,
    "directline.user_id": _USER_ID.fullmatch,
    "uploads.safe_ascii_name": lambda text: _SAFE_ASCII_NAME.sub("_", text),
}


def attacks() -> list[str]:
    texts = []
    for unit in UNITS:
        for ending in ENDINGS:
            body = unit * (LENGTH // len(unit))
            texts.append(body[: LENGTH - len(ending)] + ending)
    texts.append("translate " + "a" * 50_000 + " to " + "." * 49_000 + "x")
    texts.append("\u3092".join("a" * 100 for _ in range(900)) + "\u306b")
    texts.append("2026-01-01T00:00:00." + "1" * (LENGTH - 21) + "x")  # a fraction that never ends
    return texts


ATTACKS = attacks()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_regexes_on_user_text_are_linear(name: str) -> None:
    function = FUNCTIONS[name]
    slowest = (0.0, "")
    for text in ATTACKS:
        started = time.perf_counter()
        function(text)
        elapsed = time.perf_counter() - started
        slowest = max(slowest, (elapsed, repr(text[:24])))
    assert slowest[0] < BOUND_S, f"{name} took {slowest[0]:.2f} s on {slowest[1]}..."
