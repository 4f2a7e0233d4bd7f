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


# Only the Latin combining accents: in Hindi or Arabic, combining marks are vowels.
_ACCENTS = re.compile("[\u0300-\u036f]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Case-fold and strip combining accents, keeping non-Latin letters intact.

    Runs several times a turn: ASCII text (most commands and buttons) has no accents and
    nothing for Unicode normalisation to change, so it is only lower-cased.
    """
    if text.isascii():
        return _SPACES.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", _ACCENTS.sub("", decomposed))).strip()


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
    ordered = sorted(_intent_words(languages, intent, phrases_only), key=len, reverse=True)
    spaced = [re.escape(word) for word in ordered if not is_unspaced(word)]
    unspaced = [re.escape(word) for word in ordered if is_unspaced(word)]
    parts = ([rf"(?<!\w)(?:{'|'.join(spaced)})(?!\w)"] if spaced else []) + unspaced
    return re.compile("|".join(parts)) if parts else None


def _intent_words(languages: frozenset[str], intent: Intent, phrases_only: bool) -> set[str]:
    words = {word for language in languages for word in keywords(language).get(intent, ())}
    return {word for word in words if " " in word} if phrases_only else words


@functools.cache
def _patterns(
    languages: frozenset[str], among: tuple[Intent, ...], phrases_only: bool
) -> tuple[re.Pattern[str] | None, tuple[tuple[Intent, re.Pattern[str]], ...]]:
    """One regex for the keywords of all of `among`, then each intent's own, in order.

    Most messages name no command: the one search says so, instead of one per intent. It
    only tells whether some keyword occurs, so its alternatives are merged by common prefix
    (a trie): each position of the text is tried against a few first characters, not every keyword.
    """
    each = tuple(
        (intent, pattern) for intent in among
        if (pattern := _intent_pattern(languages, intent, phrases_only)) is not None
    )
    words = set().union(*(_intent_words(languages, intent, phrases_only) for intent, _ in each))
    spaced = [word for word in words if not is_unspaced(word)]
    unspaced = [word for word in words if is_unspaced(word)]
    parts = [rf"(?<!\w)(?:{_trie(spaced)})(?!\w)"] if spaced else []
    if unspaced:  # tried only where one of their first characters stands
        first = "".join(sorted({re.escape(word[0]) for word in unspaced}))
        parts.append(f"(?=[{first}]){_trie(unspaced)}")
    return (re.compile("|".join(parts)) if parts else None), each


def _trie(words: list[str]) -> str:
    """An alternation of the literal `words` with common prefixes factored out."""
    root: dict[str, dict] = {}
    for word in sorted(words):
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie_node(root)


def _trie_node(node: dict[str, dict]) -> str:
    parts, last = [], []
    for char, child in node.items():
        if not char:
            continue
        if len(child) == 1 and "" in child:
            last.append(re.escape(char))
        else:
            parts.append(re.escape(char) + _trie_node(child))
    if last:
        parts.append(last[0] if len(last) == 1 else f"[{''.join(last)}]")
    if not parts:
        return ""
    if len(parts) == 1 and "" not in node:
        return parts[0]
    return f"(?:{'|'.join(parts)}){'?' if '' in node else ''}"


def compile_patterns(languages: tuple[str, ...]) -> None:
    """Compile each intent's patterns for these languages now (start-up), not on a user's turn."""
    language_set = frozenset(languages)
    for phrases_only in (False, True):
        for intent in Intent:
            _intent_pattern(language_set, intent, phrases_only)


def _first_intent(
    normalized: str, languages: tuple[str, ...], among: tuple[Intent, ...], phrases_only: bool
) -> Intent | None:
    anyone, each = _patterns(frozenset(languages), tuple(among), phrases_only)
    if anyone is None or anyone.search(normalized) is None:
        return None
    for intent, pattern in each:
        if pattern.search(normalized):
            return intent
    return None


def matches(text: str, intent: Intent, languages: tuple[str, ...]) -> bool:
    pattern = _intent_pattern(frozenset(languages), intent)
    return pattern is not None and pattern.search(normalize(text)) is not None


def phrase_intent(text: str, languages: tuple[str, ...], among: tuple[Intent, ...]) -> Intent | None:
    """The first intent of `among` named by a multi-word phrase anywhere in `text`."""
    return _first_intent(normalize(text), languages, among, phrases_only=True)


def recognize(text: str, languages: tuple[str, ...], among: tuple[Intent, ...] = PRIORITY) -> Intent | None:
    """The first intent of `among` (in priority order) whose keywords occur in `text`.

    `languages` is usually (conversation language, working language): a Spanish user
    may still type "help", and an English keyword never hurts.
    """
    return _first_intent(normalize(text), languages, among, phrases_only=False)


def is_exactly(text: str, intent: Intent, languages: tuple[str, ...]) -> bool:
    """True when the whole message is one of the intent's keywords (for short replies)."""
    normalized = normalize(text).strip(" .!?¡¿。！？")
    return normalized in _exact_words(frozenset(languages), intent)


@functools.cache
def _exact_words(languages: frozenset[str], intent: Intent) -> frozenset[str]:
    return frozenset(word for language in languages for word in keywords(language).get(intent, ()))
