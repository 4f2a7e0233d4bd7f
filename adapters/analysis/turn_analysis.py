"""One message's analysis over the engine chains: detect, translate in, score, check.

For each message: detect the language, then translate into the working language and
score sentiment concurrently, and check for distress on the original and translated
text, all within the turn budget; the result is one immutable `TurnInsights`. The same
analyzer translates the bot's replies back (one batched call, protected spans kept).
Framework-free: bot/pipeline.py adapts it to a botbuilder turn, tests drive it directly.

One module, over 300 lines: the incoming steps share the turn budget, the step reports and
the speculation on the local guess; splitting them would pass that state between files.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.analysis.insights import LanguageDecision, StepReport, TurnInsights
from adapters.analysis.language_rules import LanguageChoice, decide_language
from adapters.analysis.protect import protect
from adapters.contracts import (
    EngineError,
    LanguageDetector,
    LanguageResult,
    SafetyResult,
    SentimentAnalyzer,
    SentimentResult,
    TranslationResult,
    Translator,
)
from adapters.safety_chain import SafetyChain

log = logging.getLogger("adapters.analysis")

# (conversation language, text) -> True when the text is one of the bot's own phrases in
# that language (a menu button pressed): it must not switch the conversation's language.
OwnPhrase = Callable[[str, str], bool]


class EngineSet(Protocol):
    language: LanguageDetector
    sentiment: SentimentAnalyzer
    translation: Translator
    safety: SafetyChain


@dataclass(frozen=True)
class AnalysisOptions:
    languages: tuple[str, ...]
    working_language: str = "en"
    min_confidence: float = 0.5  # below: unsure (ask when nothing is known)
    switch_confidence: float = 0.8  # a known conversation language changes only above this
    turn_budget_s: float = 5.0


@dataclass(frozen=True)
class KnownLanguage:
    """What the conversation knew about its language before this message."""

    language: str | None = None  # the conversation's language so far
    explicit: bool = False  # the user chose it
    hint: str | None = None  # the channel's locale, when supported


def can_really_translate(translator: Translator | None) -> bool:
    """True when some engine in the chain is a real translator, not the offline passthrough."""
    if translator is None:
        return False
    names = getattr(translator, "engine_names", None) or (getattr(translator, "name", "local"),)
    return any(name != "local" for name in names)


class TurnAnalyzer:
    """The turn analysis over one set of engine chains (None: every engine off, safety only)."""

    def __init__(
        self,
        engines: EngineSet | None,
        options: AnalysisOptions,
        *,
        safety: SafetyChain | None = None,
        own_phrase: OwnPhrase | None = None,
    ) -> None:
        self._engines = engines
        # The safety check runs whatever is switched off: BOT_ANALYSIS=off passes its own chain.
        self._safety_checker = safety if safety is not None else engines.safety if engines else None
        self._options = options
        self._own_phrase = own_phrase or (lambda language, text: False)
        self._quick_detector = _quick_detector(engines)
        self.translates_replies = engines is not None and can_really_translate(engines.translation)

    @property
    def options(self) -> AnalysisOptions:
        return self._options

    # --- incoming ---------------------------------------------------------------

    async def analyze(self, text: str, known: KnownLanguage, *, enabled: bool = True) -> TurnInsights:
        """Insights for one message; `enabled=False` (opt-out, analysis off) runs only the safety check."""
        options = self._options
        rules = functools.partial(
            decide_language, known=known.language, explicit=known.explicit, hint=known.hint,
            working_language=options.working_language, min_confidence=options.min_confidence,
            switch_confidence=options.switch_confidence,
        )
        if not enabled or self._engines is None:
            choice = rules(text, None)
            # The distress check always runs (a user who opted out, or BOT_ANALYSIS=off,
            # still gets support when they need it).
            safety = await self._safety(text, text, choice.language)
            return TurnInsights(
                original_text=text, text=text, user_language=choice.language,
                working_language=options.working_language, language_decision=choice.decision,
                safety=safety, analysis_enabled=False,
                notes=("analysis is off: no text was sent to any engine",),
            )
        speaking = known.language or known.hint or options.working_language
        decide = functools.partial(rules, own_phrase=self._own_phrase(speaking, text))
        steps: list[StepReport] = []
        notes: list[str] = []
        # A remote safety engine reads the original now, beside detection, instead of one round
        # trip after translation; the local ones wait for the sentiment engine's embedding.
        early_safety = (
            asyncio.ensure_future(self._check(text, known.language or known.hint or options.working_language))
            if self._safety_checker is not None and self._safety_checker.has_remote_engine else None
        )
        detection: LanguageResult | None = None
        translation: TranslationResult | None = None
        sentiment: SentimentResult | None = None
        try:
            async with asyncio.timeout(options.turn_budget_s):
                detecting = asyncio.ensure_future(self._timed(steps, "language", self._detect(text)))
                guess = await self._quick_guess(text)
                if guess is not None and not detecting.done():
                    # The first engine is remote: start translation and sentiment on the
                    # local engine's guess now, instead of one round trip later.
                    speculated = self._source(detection=guess, choice=decide(text, guess))
                    work = asyncio.gather(
                        self._timed(steps, "translation", self._translate_in(text, speculated)),
                        self._timed(steps, "sentiment", self._sentiment(text, speculated)),
                    )
                    detection, (translation, sentiment) = await asyncio.gather(detecting, work)
                    source = self._source(detection=detection, choice=decide(text, detection))
                    if source != speculated:
                        notes.append(f"re-analysed: the local guess {speculated} was wrong ({source})")
                        steps[:] = [step for step in steps if step.capability == "language"]
                        translation, sentiment = await self._translate_and_score(steps, text, source)
                else:
                    detection = await detecting
                    source = self._source(detection=detection, choice=decide(text, detection))
                    translation, sentiment = await self._translate_and_score(steps, text, source)
                choice = decide(text, detection)
        except TimeoutError:
            notes.append(f"analysis stopped at the turn budget ({options.turn_budget_s:.1f} s)")
            choice = decide(text, detection)
        working_text = translation.text if translation and translation.translated else text
        safety = await self._safety(text, working_text, choice.language, early=early_safety)
        if choice.note:
            notes.insert(0, f"language: {choice.note}")
        if translation is not None and not translation.translated:
            notes.append("no translator available: the text was read as written")
        return TurnInsights(
            original_text=text,
            text=working_text,
            user_language=choice.language,
            working_language=options.working_language,
            language_decision=choice.decision,
            language=detection,
            ask_language=choice.ask and choice.decision is LanguageDecision.UNCERTAIN,
            translation=translation,
            sentiment=sentiment,
            safety=safety,
            steps=tuple(steps),
            notes=tuple(notes),
        )

    def _source(self, *, detection: LanguageResult | None, choice: LanguageChoice) -> str:
        """The language to read this message in: the detected one when sure, else the conversation's."""
        if detection is not None and detection.score >= self._options.min_confidence:
            return detection.language
        return choice.language

    async def _translate_and_score(
        self, steps: list[StepReport], text: str, source: str
    ) -> tuple[TranslationResult | None, SentimentResult | None]:
        return await asyncio.gather(
            self._timed(steps, "translation", self._translate_in(text, source)),
            self._timed(steps, "sentiment", self._sentiment(text, source)),
        )

    async def _quick_guess(self, text: str) -> LanguageResult | None:
        """The local detector's answer when the chain would ask a remote engine first."""
        if self._quick_detector is None:
            return None
        try:
            [guess] = await self._quick_detector.detect([text])
        except EngineError:
            return None
        return guess if guess.language in self._options.languages else None

    async def _timed(self, steps: list[StepReport], capability: str, work: Awaitable[Any]) -> Any:
        started = time.perf_counter()
        result = await work
        if result is not None:
            steps.append(
                StepReport(
                    capability,
                    getattr(result, "engine", "?"),
                    round((time.perf_counter() - started) * 1000, 2),
                    getattr(result, "skipped", ()),
                )
            )
        return result

    async def _detect(self, text: str) -> LanguageResult | None:
        assert self._engines is not None
        try:
            [result] = await self._engines.language.detect([text])
        except EngineError as error:
            log.warning("language detection failed on every engine: %s", error)
            return None
        return result if result.language in self._options.languages else None

    async def _translate_in(self, text: str, source: str) -> TranslationResult | None:
        if source == self._options.working_language:
            return None
        return await self.translate(text, to=self._options.working_language, source=source)

    async def _sentiment(self, text: str, language: str) -> SentimentResult | None:
        assert self._engines is not None
        try:
            [result] = await self._engines.sentiment.analyze([text], language=language)
        except EngineError as error:
            log.warning("sentiment failed on every engine: %s", error)
            return None
        return result

    async def _safety(
        self,
        original: str,
        working_text: str,
        language: str,
        *,
        early: asyncio.Future[SafetyResult | None] | None = None,
    ) -> SafetyResult | None:
        """The safety chain on the original text, and on the translation when it says more.

        The translation is read by the local engines only: a remote one has read the original.
        """
        result = await early if early is not None else await self._check(original, language)
        if result is None:
            return None
        if not result.flagged and working_text != original:
            result = await self._check(working_text, self._options.working_language, only_local=True) or result
        return result

    async def _check(self, text: str, language: str, *, only_local: bool = False) -> SafetyResult | None:
        if self._safety_checker is None:
            return None
        return await self._safety_checker.check(text, language=language, only_local=only_local)

    # --- translation on demand and outgoing ---------------------------------------

    async def translate(self, text: str, *, to: str, source: str | None = None) -> TranslationResult:
        """One text, protected spans kept; the text as written (flagged untranslated) when no engine can."""
        if self._engines is not None:
            try:
                kept = protect(text)
                [result] = await self._engines.translation.translate([kept.text], to=to, source=source)
            except EngineError as error:
                log.warning("translation failed on every engine: %s", error)
            else:
                return TranslationResult(
                    text=kept.restore(result.text) if result.translated else text,
                    source_language=result.source_language or source or "",
                    target_language=result.target_language,
                    engine=result.engine,
                    translated=result.translated,
                    source_score=result.source_score,
                    skipped=result.skipped,
                )
        return TranslationResult(text, source or "", to, engine="none", translated=False)

    async def translate_replies(
        self, texts: Sequence[str], *, to: str, verbatim: Sequence[str] = (), budget_s: float = 0.05
    ) -> list[str | None]:
        """The bot's texts in the user's language, one batched call; None where one stays as written.

        Bounded by `budget_s` (what is left of the turn): past it, the replies go out as
        written rather than late. `verbatim` texts (names, codes) are never translated.
        """
        if self._engines is None or not texts:
            return [None] * len(texts)
        masked = [protect(text, verbatim) for text in texts]
        try:
            async with asyncio.timeout(max(0.05, budget_s)):
                results = await self._engines.translation.translate(
                    [item.text for item in masked], to=to, source=self._options.working_language
                )
        except TimeoutError:
            log.warning("outgoing translation ran past the turn budget; sending replies as written")
            return [None] * len(texts)
        except EngineError as error:
            log.warning("outgoing translation failed: %s", error)
            return [None] * len(texts)
        return [
            kept.restore(result.text) if result.translated else None
            for kept, result in zip(masked, results, strict=True)
        ]


def _quick_detector(engines: EngineSet | None) -> LanguageDetector | None:
    """The chain's local detector, when a remote engine comes before it."""
    chain = engines.language if engines is not None else None
    names = getattr(chain, "engine_names", ())
    if not names or names[0] == "local" or "local" not in names:
        return None
    return chain.engine("local")  # type: ignore[union-attr]
