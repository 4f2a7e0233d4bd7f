"""Deterministic stand-ins for the services' models: script rules and tiny word lists.

They are meant to be plausible, not accurate: the same text always gets the same
answer, so tests and benches can reason about what the emulators say.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LANGUAGE_NAMES = {
    "ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
    "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh_chs": "Chinese_Simplified",
    "fa": "Persian",
}

# Frequent function words: enough to tell the Latin-script languages apart.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is are was were i you it this that to of in not with have what my "
              "your we they be do does for on at hello thanks thank please very good bad",
        "es": "el la los las es y de que en no un una por para con muy gracias hola estoy "
              "pero como está soy",
        "fr": "le la les est et de des que en ne pas un une pour avec très merci bonjour je "
              "suis mais c'est",
        "de": "der die das ist und nicht ich du ein eine mit für sehr danke hallo bin aber "
              "auch es",
        "it": "il lo la gli è e di che non un una per con molto grazie ciao sono ma anche",
        "pt": "o a os as é e de que não um uma para com muito obrigado olá estou mas você",
        "nl": "de het een is en niet ik je met voor zeer dank hallo ben maar ook van",
        "sv": "och är inte jag du en ett med för mycket tack hej men det att",
        "da": "og er ikke jeg du en et med for meget tak hej men det at",
        "pl": "i jest nie to że w na z się jak bardzo dziękuję cześć ale jestem",
        "cs": "a je není to že v na se jak velmi děkuji ahoj ale jsem",
        "ro": "și este nu un o cu pentru foarte mulțumesc bună dar sunt că",
        "tr": "ve bir bu çok teşekkür merhaba değil ama ben sen için ile",
        "id": "dan yang tidak ini itu saya anda dengan untuk sangat terima kasih halo",
        "vi": "và là không tôi bạn của có này cảm ơn xin chào rất",
    }.items()
}

_UKRAINIAN_LETTERS = frozenset("іїєґІЇЄҐ")
_WORD = re.compile(r"[\w']+", re.UNICODE)


@dataclass(frozen=True)
class Detection:
    iso: str  # the service's iso6391Name, e.g. "en", "zh_chs", "(Unknown)"
    name: str
    score: float


UNKNOWN = Detection("(Unknown)", "(Unknown)", 0.0)


def detect_language(text: str) -> Detection:
    """Script first (non-Latin scripts decide alone), then stop-word votes for Latin."""
    script = _dominant_script(text)
    if script is not None:
        iso = script
        if iso == "ru" and any(ch in _UKRAINIAN_LETTERS for ch in text):
            iso = "uk"
        return Detection(iso, LANGUAGE_NAMES[iso], 1.0)
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return UNKNOWN
    votes = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(votes, key=lambda lang: (votes[lang], lang == "en"))
    if votes[best] == 0:
        return UNKNOWN
    runner_up = max(v for lang, v in votes.items() if lang != best)
    margin = (votes[best] - runner_up) / max(len(words), 1)
    score = round(min(1.0, 0.5 + votes[best] / len(words) * 0.5 + margin * 0.5), 2)
    return Detection(best, LANGUAGE_NAMES[best], score)


def _dominant_script(text: str) -> str | None:
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        lang = _script_language(ch)
        counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return None
    # Japanese text mixes kana with Han characters: any kana means Japanese.
    if counts.get("ja"):
        return "ja"
    best = max(counts, key=lambda k: counts[k])
    return None if best == "latin" else best


def _script_language(ch: str) -> str:
    name = unicodedata.name(ch, "")
    for prefix, lang in (
        ("HANGUL", "ko"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("CJK", "zh_chs"),
        ("ARABIC", "ar"), ("HEBREW", "he"), ("DEVANAGARI", "hi"), ("GREEK", "el"),
        ("CYRILLIC", "ru"),
    ):
        if name.startswith(prefix):
            return lang
    return "latin"


# --- sentiment ------------------------------------------------------------------

_POSITIVE = frozenset(
    "good great excellent love loved lovely nice happy wonderful amazing fantastic perfect "
    "beautiful fast friendly helpful best awesome delicious clean thanks enjoy enjoyed "
    "bueno buena excelente genial feliz encanta bien bon bonne excellent génial heureux "
    "super gut toll prima glücklich buono ottimo felice bom ótimo feliz goed blij".split()
)
_NEGATIVE = frozenset(
    "bad terrible awful hate hated horrible slow rude sad angry broken worst poor dirty "
    "disappointing disappointed boring ugly expensive wrong useless cold late "
    "malo mala terrible odio lento triste mauvais horrible lent triste schlecht "
    "schrecklich langsam traurig cattivo brutto lento triste ruim péssimo slecht".split()
)
_NEGATORS = frozenset("not no never n't isn't wasn't don't didn't nunca pas nicht non não niet".split())
_COPULAS = frozenset("is was are were seems looks tastes felt feels".split())
_FUNCTION_WORDS = frozenset("a an the and or but to of in on at it this that very so".split())
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]*\s*|[.!?。！？]+\s*")


@dataclass(frozen=True)
class WordHit:
    text: str
    offset: int
    polarity: str  # "positive" / "negative", after negation
    negated: bool


@dataclass(frozen=True)
class Opinion:
    target: str
    target_offset: int
    assessments: tuple[WordHit, ...]


@dataclass(frozen=True)
class SentenceScore:
    text: str
    offset: int
    label: str
    scores: tuple[float, float, float]  # positive, neutral, negative
    opinions: tuple[Opinion, ...]


def split_sentences(text: str) -> list[tuple[str, int]]:
    """(sentence, offset) pairs; trailing whitespace stays out of the sentence text."""
    out: list[tuple[str, int]] = []
    for match in _SENTENCE.finditer(text):
        chunk = match.group(0)
        stripped = chunk.rstrip()
        lead = len(chunk) - len(chunk.lstrip())
        if stripped.strip():
            out.append((stripped[lead:], match.start() + lead))
    return out


def score_sentence(sentence: str, offset: int) -> SentenceScore:
    words = [(m.group(0), m.start()) for m in _WORD.finditer(sentence)]
    hits: list[WordHit] = []
    for index, (word, start) in enumerate(words):
        lower = word.lower()
        polarity = "positive" if lower in _POSITIVE else "negative" if lower in _NEGATIVE else None
        if polarity is None:
            continue
        window = {w.lower() for w, _ in words[max(0, index - 2) : index]}
        negated = bool(window & _NEGATORS) or any(w.lower().endswith("n't") for w in window)
        if negated:
            polarity = "negative" if polarity == "positive" else "positive"
        hits.append(WordHit(word, offset + start, polarity, negated))
    positive = sum(h.polarity == "positive" for h in hits)
    negative = len(hits) - positive
    label, scores = _label_and_scores(positive, negative)
    return SentenceScore(sentence, offset, label, scores, _opinions(words, hits, offset))


def _label_and_scores(positive: int, negative: int) -> tuple[str, tuple[float, float, float]]:
    if positive == negative == 0:
        return "neutral", (0.05, 0.9, 0.05)
    if positive == negative:
        return "neutral", (0.3, 0.4, 0.3)
    strength = min(abs(positive - negative), 3)
    top = round(0.6 + 0.1 * strength, 2)
    other = round((1 - top) / 2, 2)
    rest = round(1 - top - other, 2)
    if positive > negative:
        return "positive", (top, other, rest)
    return "negative", (rest, other, top)


def _opinions(words: list[tuple[str, int]], hits: list[WordHit], offset: int) -> tuple[Opinion, ...]:
    """Target = the noun before "is/was ADJ", else the word right after ADJ."""
    by_target: dict[tuple[str, int], list[WordHit]] = {}
    positions = {offset + start: i for i, (_, start) in enumerate(words)}
    for hit in hits:
        i = positions[hit.offset]
        target: tuple[str, int] | None = None
        back = i - 1
        while back >= 0 and words[back][0].lower() in _NEGATORS:
            back -= 1
        if back >= 1 and words[back][0].lower() in _COPULAS:
            candidate = words[back - 1]
            if candidate[0].lower() not in _FUNCTION_WORDS:
                target = candidate
        if target is None and i + 1 < len(words):
            candidate = words[i + 1]
            if candidate[0].lower() not in _FUNCTION_WORDS | _POSITIVE | _NEGATIVE:
                target = candidate
        if target is not None:
            by_target.setdefault((target[0], offset + target[1]), []).append(hit)
    return tuple(
        Opinion(text, start, tuple(found)) for (text, start), found in by_target.items()
    )


def document_label(sentences: list[SentenceScore]) -> tuple[str, tuple[float, float, float]]:
    """Mixed when both polarities occur; otherwise the polar label, else neutral."""
    labels = {s.label for s in sentences}
    count = max(len(sentences), 1)
    scores = tuple(
        round(sum(s.scores[k] for s in sentences) / count, 2) for k in range(3)
    )
    if {"positive", "negative"} <= labels:
        return "mixed", scores  # type: ignore[return-value]
    for label in ("positive", "negative"):
        if label in labels:
            return label, scores  # type: ignore[return-value]
    return "neutral", scores  # type: ignore[return-value]


# --- translation ----------------------------------------------------------------

PHRASES: dict[tuple[str, str], str] = {
    ("en", "es"): "hello=hola|thank you=gracias|good morning=buenos días|how are you?=¿cómo estás?",
    ("en", "fr"): "hello=bonjour|thank you=merci|good morning=bonjour|how are you?=comment ça va ?",
    ("en", "de"): "hello=hallo|thank you=danke|good morning=guten Morgen|how are you?=wie geht's?",
    ("es", "en"): "hola=hello|gracias=thank you|buenos días=good morning|¿cómo estás?=how are you?",
    ("fr", "en"): "bonjour=hello|merci=thank you|comment ça va ?=how are you?",
    ("de", "en"): "hallo=hello|danke=thank you|guten morgen=good morning",
}


def translate(text: str, source: str, target: str) -> str:
    """A phrase from the tiny dictionary, else the text marked "[target] text"."""
    if source == target:
        return text
    table = dict(pair.split("=", 1) for pair in PHRASES.get((source, target), "").split("|") if pair)
    found = table.get(text.strip().lower())
    if found is not None:
        return found
    return f"[{target}] {text}"
