"""Deterministic, scriptable engines for tests: no model, no network, every call recorded.

Script a text to get a chosen answer, an exception, or a delay::

    language = FakeLanguageDetector()
    language.script("hola", language="es", score=0.99)
    language.script("boom", error=EngineError("fake", "down"))
    language.script("slow", delay=5.0, language="en")
    language.fail_with(EngineError("fake", "down"))   # every call fails until cleared

Unscripted texts follow a small, predictable default rule (scripts and a few
common words for language; a few opinion words for sentiment; a visible
"[es→en] text" marker for translation). `calls` lists every call, so a test can
assert that no engine was called at all (`assert not fake.calls`).

One module, over 300 lines: one fake per capability with the same scripting surface, read
together by anyone writing a test.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from adapters.contracts import (
    SUPPORTED_LANGUAGES,
    EngineError,
    LanguageCandidate,
    LanguageResult,
    SafetyResult,
    SentenceSentiment,
    SentimentLabel,
    SentimentResult,
    SentimentScores,
    TranslationResult,
    UnsupportedLanguageError,
)


@dataclass(frozen=True)
class FakeCall:
    """One call an engine received: the batch and, where relevant, language and target."""

    texts: tuple[str, ...]
    language: str | None = None
    target: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class _Script:
    result: object | None = None
    error: BaseException | None = None
    delay: float = 0.0


class _FakeBase:
    """Call recording, per-text scripts and whole-call failures shared by every fake."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[FakeCall] = []
        self.closed = False
        self._scripts: dict[str, _Script] = {}
        self._failure: BaseException | None = None
        self._delay = 0.0

    @property
    def texts_seen(self) -> list[str]:
        """Every text this engine was asked about, in order, over all calls."""
        return [text for call in self.calls for text in call.texts]

    def fail_with(self, error: BaseException | None) -> None:
        """Make every call raise `error` (None restores normal answers)."""
        self._failure = error

    def delay_all(self, seconds: float) -> None:
        """Make every call sleep first (to exercise time budgets)."""
        self._delay = seconds

    def reset(self) -> None:
        """Forget the recorded calls (scripts stay)."""
        self.calls.clear()

    async def close(self) -> None:
        self.closed = True

    def _put(self, text: str, result: object | None, error: BaseException | None, delay: float) -> None:
        self._scripts[text] = _Script(result=result, error=error, delay=delay)

    async def _before(self, call: FakeCall) -> None:
        """Record the call, then apply whole-call and per-text delays and errors."""
        self.calls.append(call)
        delay = max([self._delay, *(self._scripts.get(t, _Script()).delay for t in call.texts)])
        if delay > 0:
            await asyncio.sleep(delay)
        if self._failure is not None:
            raise self._failure
        for text in call.texts:
            error = self._scripts.get(text, _Script()).error
            if error is not None:
                raise error

    def _scripted(self, text: str) -> object | None:
        script = self._scripts.get(text)
        return script.result if script is not None else None


# --- language ---------------------------------------------------------------------

_SCRIPT_RULES: tuple[tuple[str, str], ...] = (
    ("[\u3040-\u30ff]", "ja"),
    ("[\uac00-\ud7af]", "ko"),
    ("[\u4e00-\u9fff]", "zh"),
    ("[\u0600-\u06ff]", "ar"),
    ("[\u0590-\u05ff]", "he"),
    ("[\u0900-\u097f]", "hi"),
    ("[\u0370-\u03ff]", "el"),
    ("[іїєґ]", "uk"),
    ("[\u0400-\u04ff]", "ru"),
)
_WORD_RULES: Mapping[str, frozenset[str]] = {
    "es": frozenset("hola gracias quiero por favor qué que está estoy muy bueno malo sí".split()),
    "fr": frozenset("bonjour merci je suis est très oui non avec pour le la".split()),
    "de": frozenset("hallo danke ich bin nicht ist sehr gut schlecht und".split()),
    "pt": frozenset("olá obrigado obrigada não você muito bom".split()),
    "it": frozenset("ciao grazie sono molto buono questo".split()),
    "nl": frozenset("dank hoi ik ben niet het een goed".split()),
    "tr": frozenset("merhaba teşekkürler evet hayır çok".split()),
}
_WORD = re.compile(r"\w+", re.UNICODE)


def guess_language(text: str) -> tuple[str, float] | None:
    """The fakes' default rule: a script or a known word gives a language, else None."""
    for pattern, language in _SCRIPT_RULES:
        if re.search(pattern, text):
            return language, 0.95
    words = {w.lower() for w in _WORD.findall(text)}
    best = max(_WORD_RULES, key=lambda lang: len(words & _WORD_RULES[lang]))
    if words & _WORD_RULES[best]:
        return best, 0.9
    return None


class FakeLanguageDetector(_FakeBase):
    """A LanguageDetector answering from scripts, then from `guess_language`."""

    def __init__(
        self,
        name: str = "fake",
        *,
        default_language: str = "en",
        default_score: float = 0.8,
        scripts: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(name)
        self.default_language = default_language
        self.default_score = default_score
        for text, language in (scripts or {}).items():
            self.script(text, language=language)

    def script(
        self,
        text: str,
        *,
        language: str | None = None,
        score: float = 0.99,
        alternatives: Iterable[tuple[str, float]] = (),
        error: BaseException | None = None,
        delay: float = 0.0,
    ) -> FakeLanguageDetector:
        """Answer `language` (with `score`) for `text`, or raise `error`, after `delay`."""
        result = None
        if language is not None:
            result = LanguageResult(
                language=language,
                score=score,
                engine=self.name,
                alternatives=tuple(LanguageCandidate(lang, s) for lang, s in alternatives),
            )
        self._put(text, result, error, delay)
        return self

    async def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        await self._before(FakeCall(tuple(texts)))
        return [self._answer(text) for text in texts]

    def _answer(self, text: str) -> LanguageResult:
        scripted = self._scripted(text)
        if isinstance(scripted, LanguageResult):
            return scripted
        if not any(ch.isalpha() for ch in text):  # emoji, numbers: nothing to go on
            return LanguageResult(self.default_language, 0.1, self.name)
        guessed = guess_language(text)
        language, score = guessed or (self.default_language, self.default_score)
        return LanguageResult(language, score, self.name)


# --- sentiment --------------------------------------------------------------------

_POSITIVE = frozenset(
    "good great love loved excellent thanks thank awesome happy nice perfect "
    "bueno genial gracias excelente encanta bien merci super génial gut danke toll "
    "ótimo obrigado grazie ottimo 良い 好 شكرا".split()
)
_NEGATIVE = frozenset(
    "bad terrible hate awful slow broken worst angry sad useless "
    "malo horrible odio lento mal nul mauvais lent schlecht langsam furchtbar "
    "ruim pessimo 悪い 差 سيء".split()
)
_SENTENCE = re.compile(r"[^\s.!?。！？][^.!?。！？]*[.!?。！？]*")


def _scores(label: SentimentLabel, score: float) -> SentimentScores:
    rest = (1.0 - score) / 2.0
    if label is SentimentLabel.POSITIVE:
        return SentimentScores(score, rest, rest)
    if label is SentimentLabel.NEGATIVE:
        return SentimentScores(rest, rest, score)
    if label is SentimentLabel.MIXED:
        return SentimentScores(0.45, 0.1, 0.45)
    return SentimentScores(rest, score, rest)


def guess_sentiment(text: str) -> SentimentLabel:
    """The fakes' default rule: a few opinion words decide; both kinds make `mixed`."""
    lowered = text.lower()
    words = set(_WORD.findall(lowered)) | {w for w in _POSITIVE | _NEGATIVE if w in lowered}
    positive, negative = bool(words & _POSITIVE), bool(words & _NEGATIVE)
    if positive and negative:
        return SentimentLabel.MIXED
    if positive:
        return SentimentLabel.POSITIVE
    if negative:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


class FakeSentimentAnalyzer(_FakeBase):
    """A SentimentAnalyzer answering from scripts, then from `guess_sentiment` per sentence."""

    def __init__(
        self,
        name: str = "fake",
        *,
        supported_languages: Iterable[str] = SUPPORTED_LANGUAGES,
        default_score: float = 0.9,
    ) -> None:
        super().__init__(name)
        self.supported_languages = frozenset(supported_languages)
        self.default_score = default_score

    def script(
        self,
        text: str,
        *,
        label: str | SentimentLabel | None = None,
        score: float = 0.95,
        scores: SentimentScores | None = None,
        error: BaseException | None = None,
        delay: float = 0.0,
    ) -> FakeSentimentAnalyzer:
        """Answer `label` (top class `score`, or exact `scores`) for `text`, or raise `error`."""
        result = None
        if label is not None:
            label = SentimentLabel(label)
            result = (label, scores or _scores(label, score))
        self._put(text, result, error, delay)
        return self

    async def analyze(self, texts: Sequence[str], *, language: str) -> list[SentimentResult]:
        await self._before(FakeCall(tuple(texts), language=language))
        if language not in self.supported_languages:
            raise UnsupportedLanguageError(self.name, language)
        return [self._answer(text, language) for text in texts]

    def _answer(self, text: str, language: str) -> SentimentResult:
        scripted = self._scripted(text)
        if isinstance(scripted, tuple):
            label, scores = scripted
            sentence = SentenceSentiment(text=text, label=label, scores=scores)
            return SentimentResult(label, scores, self.name, language, (sentence,))
        sentences = tuple(
            SentenceSentiment(
                text=match.group().strip(),
                label=(label := guess_sentiment(match.group())),
                scores=_scores(label, self.default_score),
                offset=match.start(),
            )
            for match in _SENTENCE.finditer(text)
            if match.group().strip()
        )
        labels = {s.label for s in sentences} - {SentimentLabel.NEUTRAL}
        if not labels:
            label = SentimentLabel.NEUTRAL
        elif len(labels) == 1:
            label = labels.pop()
        else:
            label = SentimentLabel.MIXED
        return SentimentResult(label, _scores(label, self.default_score), self.name, language, sentences)


# --- translation ------------------------------------------------------------------


class FakeTranslator(_FakeBase):
    """A Translator answering from scripts (text, target) -> translation, else a visible marker."""

    def __init__(self, name: str = "fake", *, translations: Mapping[tuple[str, str], str] | None = None):
        super().__init__(name)
        for (text, to), translated in (translations or {}).items():
            self.script(text, to=to, translation=translated)

    def script(
        self,
        text: str,
        *,
        to: str = "en",
        translation: str | None = None,
        source: str | None = None,
        error: BaseException | None = None,
        delay: float = 0.0,
    ) -> FakeTranslator:
        """Translate `text` into `to` as `translation`, or raise `error`, after `delay`."""
        if translation is not None:
            existing = self._scripted(text)
            scripted = dict(existing) if isinstance(existing, dict) else {}
            scripted[to] = (translation, source)
            self._put(text, scripted, error, delay)
        else:
            self._put(text, self._scripted(text), error, delay)
        return self

    async def translate(
        self, texts: Sequence[str], *, to: str, source: str | None = None
    ) -> list[TranslationResult]:
        await self._before(FakeCall(tuple(texts), target=to, source=source))
        return [self._answer(text, to, source) for text in texts]

    def _answer(self, text: str, to: str, source: str | None) -> TranslationResult:
        scripted = self._scripted(text)
        if isinstance(scripted, dict) and to in scripted:
            translated, scripted_source = scripted[to]
            detected = source or scripted_source or _source_of(text)
            return TranslationResult(translated, detected, to, self.name, source_score=0.99)
        detected = source or _source_of(text)
        if detected == to:
            return TranslationResult(text, detected, to, self.name, source_score=0.9)
        return TranslationResult(f"[{detected}→{to}] {text}", detected, to, self.name, source_score=0.9)


def _source_of(text: str) -> str:
    guessed = guess_language(text)
    return guessed[0] if guessed else "en"


# --- safety -----------------------------------------------------------------------


@dataclass
class FakeSafetyChecker:
    """A SafetyChecker that flags exactly the scripted texts (and records what it saw)."""

    flagged_texts: set[str] = field(default_factory=set)
    name: str = "fake"
    calls: list[tuple[str, str]] = field(default_factory=list)
    about_others: set[str] = field(default_factory=set)

    def flag(self, text: str, *, about_someone_else: bool = False) -> FakeSafetyChecker:
        """Flag `text`; `about_someone_else` scripts a worried third party."""
        self.flagged_texts.add(text)
        if about_someone_else:
            self.about_others.add(text)
        return self

    async def check(self, text: str, *, language: str) -> SafetyResult:
        self.calls.append((text, language))
        if text in self.flagged_texts:
            return SafetyResult(True, self.name, "self_harm", (text,), score=1.0,
                                about_someone_else=text in self.about_others)
        return SafetyResult(False, self.name)

    async def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeEngines:
    """One fake per capability, handed to `build_engines(..., fakes=...)`."""

    language: FakeLanguageDetector = field(default_factory=FakeLanguageDetector)
    sentiment: FakeSentimentAnalyzer = field(default_factory=FakeSentimentAnalyzer)
    translation: FakeTranslator = field(default_factory=FakeTranslator)
    safety: FakeSafetyChecker | None = None

    @property
    def calls(self) -> int:
        """Calls made to any engine fake (safety excluded)."""
        return len(self.language.calls) + len(self.sentiment.calls) + len(self.translation.calls)


def engine_error(name: str = "fake", message: str = "scripted failure") -> EngineError:
    """A ready-made EngineError for scripts: `fake.fail_with(engine_error())`."""
    return EngineError(name, message)
