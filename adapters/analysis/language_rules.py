"""Which language the conversation is in after a message: the rules, as a pure function.

Short or ambiguous text (emoji, "ok", numbers, a name) keeps the conversation's
language; a confident switch changes it; when unsure with nothing known the bot asks
once; an explicit user choice always wins. The channel's locale is only a hint.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from adapters.analysis.insights import LanguageDecision
from adapters.contracts import LanguageResult
from adapters.locales import primary_language
from adapters.scripts import is_unspaced

# Linear in the text's length: the e-mail branch is bounded (64 + 253 characters, the
# RFC limits), so no start position can scan an unbroken token to its end.
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|[^\s@]{1,64}@[^\s@]{1,253}\.\w{1,63}|[@#]\w+|\d+(?:[.,:/-]\d+)*"
)
# Words shared by many languages or too short to mean a language on their own.
AMBIGUOUS_WORDS = frozenset(
    "ok okay k kk lol haha hahaha jaja xd hm hmm mmm ah oh eh uh wow yay ty thx pls plz "
    "hi hey yo bye ciao salut hallo hello no si sí ja nee nein oui non da net yes y n "
    "bot test emoji".split()
)


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    decision: LanguageDecision
    ask: bool = False
    note: str = ""


def words_of(text: str) -> list[str]:
    """Letters-only words, after removing URLs, e-mail addresses, mentions and numbers."""
    cleaned = _NOISE.sub(" ", text)
    letters = "".join(char if _is_letter(char) else " " for char in cleaned)
    return letters.split()


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith(("L", "M"))


def is_ambiguous(text: str) -> bool:
    """Too little text to tell a language: emoji, numbers, "ok", one short word, a name."""
    words = words_of(text)
    if not words:
        return True
    joined = "".join(words)
    if is_unspaced(joined):
        return len(joined) < 2
    if len(words) == 1:
        word = words[0]
        return len(word) < 3 or word.casefold() in AMBIGUOUS_WORDS
    return all(word.casefold() in AMBIGUOUS_WORDS for word in words)


def is_single_word(text: str) -> bool:
    words = words_of(text)
    joined = "".join(words)
    if is_unspaced(joined):
        return len(joined) < 4
    return len(words) <= 1


def locale_hint(locale: str | None, languages: tuple[str, ...]) -> str | None:
    """'es-ES' -> 'es' when supported; a hint only, never the truth."""
    if not locale:
        return None
    language = primary_language(locale)
    return language if language in languages else None


def decide_language(
    text: str,
    detection: LanguageResult | None,
    *,
    known: str,
    explicit: bool,
    hint: str | None,
    working_language: str,
    min_confidence: float,
    switch_confidence: float,
    own_phrase: bool = False,
) -> LanguageChoice:
    """Apply the conversation-language rules to one message.

    `own_phrase` is True when the message is exactly one of the bot's own localized
    texts in the language the bot is speaking (the conversation's, else the locale's or
    the working language): a tapped button never switches, nor sets a first language.
    """
    if explicit and known:
        return LanguageChoice(known, LanguageDecision.EXPLICIT, note=f"you chose {known}")
    fallback = known or hint or working_language
    fallback_decision = (
        LanguageDecision.KEPT if known else LanguageDecision.HINT if hint else LanguageDecision.DEFAULT
    )
    if own_phrase:  # "Help" tapped on the English welcome is not Dutch
        return LanguageChoice(fallback, fallback_decision, note="one of my own buttons or phrases")
    if detection is None:
        return LanguageChoice(fallback, fallback_decision, note="no language detection this turn")
    disagreement = detection.second_opinion is not None and not detection.second_opinion.agrees
    sure = detection.score >= min_confidence and not disagreement
    if is_ambiguous(text):
        return LanguageChoice(fallback, fallback_decision, note="text too short or ambiguous to tell")
    if known:
        if detection.language == known:
            return LanguageChoice(known, LanguageDecision.KEPT, note="same language as before")
        if is_single_word(text):
            return LanguageChoice(known, LanguageDecision.KEPT, note="a one-word reply never switches")
        if sure and detection.score >= switch_confidence:
            return LanguageChoice(
                detection.language,
                LanguageDecision.SWITCHED,
                note=f"confident switch from {known} ({detection.score:.2f})",
            )
        note = f"not sure enough to switch ({detection.score:.2f})"
        return LanguageChoice(known, LanguageDecision.KEPT, note=note)
    if sure:
        note = f"detected ({detection.score:.2f})"
        return LanguageChoice(detection.language, LanguageDecision.DETECTED, note=note)
    if hint and (
        detection.language == hint
        or any(alternative.language == hint for alternative in detection.alternatives)
        or is_single_word(text)
    ):
        # Unsure, but the channel's locale fits: a Spanish "hola" needs no question.
        return LanguageChoice(hint, LanguageDecision.HINT, note=f"unsure ({detection.score:.2f}); the locale fits")
    guess = hint or detection.language
    reason = "engines disagree" if disagreement else f"low confidence ({detection.score:.2f})"
    return LanguageChoice(guess, LanguageDecision.UNCERTAIN, ask=True, note=f"unsure: {reason}")
