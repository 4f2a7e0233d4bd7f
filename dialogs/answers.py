"""What a free-text answer says, read without engines: answer words, numbers in words, feelings.

The keyword catalogs (locales/keywords) name commands; the answer catalogs
(locales/answers/<lang>.json, written at development time for every supported language)
name what a reply to one of the bot's questions may say in the user's own words:
"erase all of it" (delete), "me gustó" (positive), "二番目" (the second option), "so
alone" (a feeling to acknowledge). Matching is on normalised text, whole words where the
script has spaces and substrings where it has none; a word with a negation next to it in
the same clause ("please don't delete anything") is reported as negated. Every pattern is
an alternation of literal words, so matching stays linear in the length of the text.

One module, over 300 lines: the catalogs' loading and every matcher share one normalisation;
the matchers are small and listed in the order prompts.py asks them.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from adapters.scripts import has_kana, is_unspaced
from dialogs.intents import normalize

ANSWERS_DIR = Path(__file__).parent / "locales" / "answers"
# Scripts written without spaces between words (as in dialogs/intents.py).
# Where a clause ends: a negation on the other side of one does not count.
_CLAUSE_END = re.compile(r"[,.;:!?¡¿、。，！？；：،؛؟।]")
# Arabic and Hebrew write "and", "so", "the" (و ف ال; ו ה ב ל ש) joined to the next word.
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_HEBREW = re.compile(r"[\u0590-\u05ff]")
_WINDOW = 60  # characters looked at around a match for a negation (keeps the check linear)
_TRIM = " .!?¡¿。！？、,，"


class Answer(StrEnum):
    """What an answer may say; each is a list of words in every answer catalog."""

    YES = "yes"
    NO = "no"
    DELETE = "delete"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    DONE = "done"
    POSITIVE = "positive"
    NEGATIVE = "negative"
    MIXED = "mixed"
    OTHER = "other"  # another one (language), none of these
    FEELING = "feeling"  # strong feelings worth acknowledging (sad, alone, furious)


# Lists in every catalog besides the answers: negations, rating cues, numbers (cardinal, ordinal).
NEGATION, STARS = "negation", "stars"
NUMBERS, ORDINALS = "numbers", "ordinals"
LIST_KEYS = (*(answer.value for answer in Answer), NEGATION, STARS)
NUMBER_KEYS = (NUMBERS, ORDINALS)


@dataclass(frozen=True)
class Hit:
    """One answer word found in a normalised text."""

    key: str
    start: int
    end: int
    negated: bool = False


# --- catalogs ----------------------------------------------------------------------------


@functools.cache
def answer_languages() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in ANSWERS_DIR.glob("*.json")))


@functools.cache
def _raw(language: str) -> dict:
    path = ANSWERS_DIR / f"{language}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def words(language: str, key: str) -> tuple[str, ...]:
    """Normalised words of one list (longest first); empty when the language ships none."""
    raw = _raw(language).get(key, [])
    return tuple(sorted({normalize(word) for word in raw if word.strip()}, key=len, reverse=True))


@functools.cache
def number_words(language: str, key: str) -> dict[str, int]:
    """Normalised number word -> value (1-5), for `numbers` or `ordinals`."""
    raw = _raw(language).get(key, {})
    return {normalize(word): int(value) for value, listed in raw.items() for word in listed if word.strip()}


def _alternation(items: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(items), key=len, reverse=True)
    # A single character of an unspaced script ("一", "好") is too common inside other words:
    # it only counts as the whole reply (see `whole_reply_value`).
    arabic = [re.escape(word) for word in ordered if _ARABIC.match(word)]
    hebrew = [re.escape(word) for word in ordered if _HEBREW.match(word)]
    spaced = [re.escape(word) for word in ordered
              if not is_unspaced(word) and not _ARABIC.match(word) and not _HEBREW.match(word)]
    unspaced = [re.escape(word) for word in ordered if is_unspaced(word) and len(word) > 1]
    parts = ([rf"(?<!\w)(?:{'|'.join(spaced)})(?!\w)"] if spaced else [])
    if arabic:
        parts.append(rf"(?<!\w)(?:[وف]?(?:ال)?)(?:{'|'.join(arabic)})(?!\w)")
    if hebrew:
        parts.append(rf"(?<!\w)[ובהלש]?(?:{'|'.join(hebrew)})(?!\w)")
    parts += unspaced
    return re.compile("|".join(parts)) if parts else None


@functools.cache
def _pattern(languages: frozenset[str], key: str) -> re.Pattern[str] | None:
    return _alternation(word for language in languages for word in words(language, key))


@functools.cache
def _number_pattern(languages: frozenset[str], key: str) -> tuple[re.Pattern[str] | None, dict[str, int]]:
    values: dict[str, int] = {}
    for language in sorted(languages):
        for word, value in number_words(language, key).items():
            values.setdefault(word, value)
    return _alternation(values), values


@functools.cache
def _negations(languages: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole-word negations, negations of unspaced scripts looked for as substrings)."""
    found = {word for language in languages for word in words(language, NEGATION)}
    return frozenset(w for w in found if not is_unspaced(w)), tuple(w for w in found if is_unspaced(w))


# --- finding answers -----------------------------------------------------------------------


def find(text: str, languages: Sequence[str], keys: Iterable[str]) -> list[Hit]:
    """Every answer word of `keys` in `text` (normalised), outermost first, with negation marked.

    A match inside a longer match of another list is dropped ("memnun değil" is negative,
    not the "memnun" inside it).
    """
    normalized = normalize(text)
    language_set = frozenset(languages)
    hits: list[Hit] = []
    for key in keys:
        pattern = _pattern(language_set, key)
        if pattern is None:
            continue
        hits.extend(Hit(key, match.start(), match.end()) for match in pattern.finditer(normalized))
    hits.sort(key=lambda hit: (hit.start, -(hit.end - hit.start)))
    kept: list[Hit] = []
    reach_start, reach_end = -1, -1
    for hit in hits:
        if hit.end <= reach_end and hit.end - hit.start < reach_end - reach_start:
            continue  # inside a longer match that starts before or with it
        kept.append(hit)
        if hit.end > reach_end:
            reach_start, reach_end = hit.start, hit.end
    words_negating, unspaced_negating = _negations(language_set)
    return [
        Hit(hit.key, hit.start, hit.end, _negated(normalized, hit, words_negating, unspaced_negating))
        for hit in kept
    ]


def said(text: str, languages: Sequence[str], keys: Iterable[str]) -> set[str]:
    """The keys whose words `text` says, not negated."""
    return {hit.key for hit in find(text, languages, keys) if not hit.negated}


def negated_at(normalized: str, start: int, end: int, languages: Sequence[str]) -> bool:
    """True when a negation stands next to `normalized[start:end]` in the same clause."""
    negating, unspaced = _negations(frozenset(languages))
    return _negated(normalized, Hit("", start, end), negating, unspaced)


def _negated(normalized: str, hit: Hit, negating: frozenset[str], unspaced: tuple[str, ...]) -> bool:
    before = _CLAUSE_END.split(normalized[max(0, hit.start - _WINDOW): hit.start])[-1]
    after = _CLAUSE_END.split(normalized[hit.end: hit.end + _WINDOW])[0]
    if unspaced and (is_unspaced(normalized[hit.start: hit.end]) or is_unspaced(before[-3:] + after[:4])):
        if any(word in _unspaced_window(normalized[hit.start: hit.end], before, after) for word in unspaced):
            return True
    tokens = [token.strip("\"'“”«»()[]") for token in before.split()[-3:] + after.split()[:2]]
    return any(token in negating or token.endswith("n't") for token in tokens if token)


_HANGUL = re.compile(r"[\uac00-\ud7af]")


def _unspaced_window(match: str, before: str, after: str) -> str:
    """Where a negation of a word without spaces stands: Japanese negates after the verb
    ("消さないで"; a prefix like 不 sits right before), Chinese before it ("不要删除"), Korean
    both ("안 지워", "지우지 마")."""
    if has_kana(match + before[-2:] + after[:2]):
        return before[-1:] + "|" + after[:5]
    if _HANGUL.search(match):
        return before[-3:] + "|" + after[:5]
    return before[-2:] + "|" + after[:2]


def starts_with(text: str, languages: Sequence[str], key: str, extra: Iterable[str] = ()) -> bool:
    """True when the reply opens with one of the words ("yes, erase all of it", "はい、お願いします")."""
    normalized = normalize(text).lstrip(_TRIM)
    for word in (*words_of(languages, key), *extra):
        if not normalized.startswith(word):
            continue
        rest = normalized[len(word):]
        if not rest or rest[0] in _TRIM or is_unspaced(word):
            return True
    return False


def words_of(languages: Sequence[str], key: str) -> tuple[str, ...]:
    return tuple(sorted({word for language in languages for word in words(language, key)}, key=len, reverse=True))


# --- feelings ------------------------------------------------------------------------------

FEELING_KEYS = (Answer.POSITIVE.value, Answer.NEGATIVE.value, Answer.MIXED.value, Answer.FEELING.value)


def feeling_of(text: str, languages: Sequence[str]) -> Answer | None:
    """How the reply says the user feels, from the answer words: positive, negative or mixed.

    "not good" is negative; "not bad" says nothing for sure; both kinds of words, or an
    explicit "a bit of both", are mixed. Strong feelings ("furious", "so alone") are negative.
    """
    positive = negative = mixed = False
    for hit in find(text, languages, FEELING_KEYS):
        if hit.key == Answer.MIXED:
            mixed = mixed or not hit.negated
        elif hit.key == Answer.POSITIVE:
            negative, positive = (True, positive) if hit.negated else (negative, True)
        elif not hit.negated:
            negative = True
    if mixed or (positive and negative):
        return Answer.MIXED
    if positive:
        return Answer.POSITIVE
    if negative:
        return Answer.NEGATIVE
    return None


def strong_feeling(text: str, languages: Sequence[str]) -> bool:
    """True when the reply names a strong feeling (not negated): worth a short acknowledgement."""
    return Answer.FEELING.value in said(text, languages, (Answer.FEELING.value,))


# --- numbers and ratings ---------------------------------------------------------------------

NUMBER_WORDS: dict[str, int] = {
    # en, es, ar, ja: number words a user may type instead of a digit.
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "واحد": 1, "اثنان": 2, "اثنين": 2, "ثلاثة": 3, "أربعة": 4, "اربعة": 4, "خمسة": 5,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
    "いち": 1, "に": 2, "さん": 3, "よん": 4, "ご": 5,
    # Other catalog languages. Words that are also common short words elsewhere
    # (Danish "en"/"to"/"fire", Dutch "een", Portuguese "um", Swedish "ett", Italian "hai")
    # are left out: a digit always works.
    "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "funf": 5,
    "due": 2, "tre": 3, "quattro": 4, "cinque": 5,
    "jedna": 1, "dva": 2, "tři": 3, "čtyři": 4, "pět": 5,
    "ένα": 1, "δύο": 2, "τρία": 3, "τέσσερα": 4, "πέντε": 5,
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "אחת": 1, "שתיים": 2, "שלוש": 3, "ארבע": 4, "חמש": 5,
    "एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पाँच": 5, "पांच": 5,
    "하나": 1, "둘": 2, "셋": 3, "넷": 4, "다섯": 5,
    "twee": 2, "drie": 3, "vijf": 5,
    "jeden": 1, "dwa": 2, "trzy": 3, "cztery": 4, "pięć": 5,
    "dois": 2, "duas": 2, "três": 3, "quatro": 4,
    "unu": 1, "doi": 2, "trei": 3, "patru": 4, "cinci": 5,
    "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5,
    "två": 2, "fyra": 4, "fem": 5,
    "bir": 1, "iki": 2, "üç": 3, "dört": 4, "beş": 5,
    "чотири": 4, "п'ять": 5, "пʼять": 5,
    "một": 1, "bốn": 4,
    "两": 2,
}


def parse_rating(text: str) -> int | None:
    """A number in the text (any script's digits, a number word, or stars), else None."""
    cleaned = text.strip()
    stars = cleaned.count("⭐") + cleaned.count("★")
    if stars:
        return stars
    digits = "".join(str(unicodedata.decimal(char)) for char in cleaned if unicodedata.decimal(char, None) is not None)
    if digits:
        # A rating is a small number; a long digit run is not one (and int() refuses 4,300+ digits).
        return int(digits) if len(digits) <= 6 else None
    normalized = normalize(cleaned).strip(" .!?。！？")
    known = _normalized_number_words()
    for word in re.split(r"[\s/]+", normalized):
        word = word.removesuffix("つ")
        if word in known:
            return known[word]
    return known.get(normalized)


@functools.cache
def _normalized_number_words() -> dict[str, int]:
    """NUMBER_WORDS as `normalize` writes them ("dört" -> "dort"), matching user text."""
    return {normalize(word): value for word, value in NUMBER_WORDS.items()}


def digit_numbers(text: str) -> list[int]:
    """Every run of digits in any script, as numbers (runs longer than 6 digits are skipped)."""
    numbers: list[int] = []
    run = ""
    for char in (*text, " "):
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            run += str(digit)
            continue
        if run and len(run) <= 6:
            numbers.append(int(run))
        run = ""
    return numbers


def is_short(text: str, words_at_most: int = 4) -> bool:
    """A reply short enough for a number in it to be the answer ("four stars", "星四つ")."""
    normalized = normalize(text)
    if is_unspaced(normalized):
        return len(normalized.replace(" ", "")) <= 2 * words_at_most
    return len(normalized.split()) <= words_at_most


def whole_reply_value(text: str, languages: Sequence[str], keys: Sequence[str]) -> int | None:
    """The number the whole reply is ("4", "cuatro", "二番目", "三"), else None."""
    normalized = normalize(text).strip(_TRIM)
    digits = digit_numbers(normalized)
    if len(digits) == 1 and not any(char.isalpha() for char in normalized):
        return digits[0]
    for key in keys:
        for language in languages:
            value = number_words(language, key).get(normalized)
            if value is not None:
                return value
    if NUMBERS in keys:
        return _normalized_number_words().get(normalized.removesuffix("つ"))
    return None


def numbers_in(text: str, languages: Sequence[str], keys: Sequence[str]) -> set[int]:
    """The distinct numbers named in the text: digits, else number words of these lists."""
    digits = set(digit_numbers(text))
    if digits:
        return digits
    normalized = normalize(text)
    found: set[int] = set()
    for key in keys:
        pattern, values = _number_pattern(frozenset(languages), key)
        if pattern is None:
            continue
        found.update(values[match.group()] for match in pattern.finditer(normalized))
    if not found:
        whole = whole_reply_value(text, languages, keys)
        if whole is not None:
            found.add(whole)
    return found


@dataclass(frozen=True)
class RatingRead:
    """What a reply says as a 1-5 rating: a value (sure, or a reading to confirm), or a number off the scale."""

    value: int | None = None
    sure: bool = False
    off_scale: int | None = None


def read_rating(text: str, languages: Sequence[str]) -> RatingRead:
    """A rating in digits, number words or stars: sure when the reply is short, opens with the
    number, or names stars or points; otherwise a reading to ask back."""
    stars = text.count("⭐") + text.count("★")
    if stars:
        return RatingRead(stars, sure=1 <= stars <= 5, off_scale=None if stars <= 5 else stars)
    values = numbers_in(text, languages, (NUMBERS,))
    if len(values) != 1:
        return RatingRead()
    [value] = values
    if not 1 <= value <= 5:
        return RatingRead(off_scale=value)
    cued = bool(said(text, languages, (STARS,)))
    leading = digit_numbers(normalize(text).strip(_TRIM)[:3]) == [value]  # "1, nobody ever answered me"
    return RatingRead(value, sure=is_short(text) or cued or leading)
