"""Intent and choice recognition in every supported language, without engines.

Each language has a keyword catalog (dialogs/locales/keywords/<lang>.json, written
at development time). Matching is on normalised text (case-folded, accents removed
for Latin scripts, whole words where the script has spaces), so "Análisis", "analisis"
and "ANALYSE" all work, and a user never has to type an English command.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from enum import StrEnum
from pathlib import Path

from adapters.scripts import is_unspaced

KEYWORDS_DIR = Path(__file__).parent / "locales" / "keywords"
# Scripts written without spaces between words: match keywords as substrings.


class Intent(StrEnum):
    ANALYZE = "analyze"
    TRANSLATE = "translate"
    FEEDBACK = "feedback"
    LANGUAGE = "language"
    PRIVACY = "privacy"
    HANDOFF = "handoff"
    WHY = "why"
    HELP = "help"
    CANCEL = "cancel"
    START_OVER = "start_over"
    YES = "yes"
    NO = "no"


# When one message matches several intents, the earlier wins (interruptions first).
PRIORITY = (
    Intent.CANCEL, Intent.START_OVER, Intent.HELP, Intent.HANDOFF, Intent.WHY, Intent.PRIVACY,
    Intent.LANGUAGE, Intent.TRANSLATE, Intent.ANALYZE, Intent.FEEDBACK, Intent.YES, Intent.NO,
)


def normalize(text: str) -> str:
    """Case-fold and strip combining accents, keeping non-Latin letters intact."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(char for char in decomposed if not _is_accent(char))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", kept)).strip()


def _is_accent(char: str) -> bool:
    # Only the Latin combining accents: in Hindi or Arabic, combining marks are vowels.
    return 0x300 <= ord(char) <= 0x36F


@functools.cache
def keywords(language: str) -> dict[Intent, tuple[str, ...]]:
    """Normalised keywords per intent for one language (empty when none ship)."""
    path = KEYWORDS_DIR / f"{language}.json"
    if not path.exists():
        return {}
    raw: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    return {
        Intent(name): tuple(sorted({normalize(w) for w in words if w.strip()}, key=len, reverse=True))
        for name, words in raw.items()
        if name in Intent._value2member_map_
    }


@functools.cache
def word_pattern(phrase: str) -> re.Pattern[str]:
    """`phrase` as a whole word or words; compiled once per phrase, not per message."""
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


@functools.cache
def _intent_pattern(languages: frozenset[str], intent: Intent, phrases_only: bool = False) -> re.Pattern[str] | None:
    """One regex for all of an intent's keywords in these languages, compiled once.

    Whole words where the script has spaces, substrings where it has none. With
    `phrases_only`, only multi-word keywords ("give feedback", "talk to a person").
    """
    words = {word for language in languages for word in keywords(language).get(intent, ())}
    if phrases_only:
        words = {word for word in words if " " in word}
    ordered = sorted(words, key=len, reverse=True)
    spaced = [re.escape(word) for word in ordered if not is_unspaced(word)]
    unspaced = [re.escape(word) for word in ordered if is_unspaced(word)]
    parts = ([rf"(?<!\w)(?:{'|'.join(spaced)})(?!\w)"] if spaced else []) + unspaced
    return re.compile("|".join(parts)) if parts else None


def matches(text: str, intent: Intent, languages: tuple[str, ...]) -> bool:
    pattern = _intent_pattern(frozenset(languages), intent)
    return pattern is not None and pattern.search(normalize(text)) is not None


def phrase_intent(text: str, languages: tuple[str, ...], among: tuple[Intent, ...]) -> Intent | None:
    """The first intent of `among` named by a multi-word phrase anywhere in `text`."""
    normalized, language_set = normalize(text), frozenset(languages)
    for intent in among:
        pattern = _intent_pattern(language_set, intent, phrases_only=True)
        if pattern is not None and pattern.search(normalized):
            return intent
    return None


def recognize(text: str, languages: tuple[str, ...], among: tuple[Intent, ...] = PRIORITY) -> Intent | None:
    """The first intent of `among` (in priority order) whose keywords occur in `text`.

    `languages` is usually (conversation language, working language): a Spanish user
    may still type "help", and an English keyword never hurts.
    """
    normalized, language_set = normalize(text), frozenset(languages)
    for intent in among:
        pattern = _intent_pattern(language_set, intent)
        if pattern is not None and pattern.search(normalized):
            return intent
    return None


def is_exactly(text: str, intent: Intent, languages: tuple[str, ...]) -> bool:
    """True when the whole message is one of the intent's keywords (for short replies)."""
    normalized = normalize(text).strip(" .!?¡¿。！？")
    return normalized in _exact_words(frozenset(languages), intent)


@functools.cache
def _exact_words(languages: frozenset[str], intent: Intent) -> frozenset[str]:
    return frozenset(word for language in languages for word in keywords(language).get(intent, ()))
