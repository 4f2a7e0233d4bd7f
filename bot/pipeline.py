"""The cognitive middleware: insights in, translation out.

For each message: detect the language, then translate into the working language and
score sentiment concurrently, and check for distress on the original and translated
text, all within the turn budget; the result is one immutable TurnInsights in turn
state. On the way out, every text the bot sends that is not already in the user's
language is translated in one batched call per turn, protected spans kept.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

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
from bot.language_rules import LanguageChoice, decide_language, locale_hint
from bot.outgoing_texts import translatable_texts
from bot.protect import protect
from bot.state import BotState, ConversationProfile
from dialogs.i18n import is_own_phrase, outgoing
from dialogs.insights import (
    INSIGHTS_KEY,
    LANGUAGE_KEY,
    SERVICES_KEY,
    LanguageDecision,
    StepReport,
    TurnInsights,
)

log = logging.getLogger("bot.pipeline")


class EngineSet(Protocol):
    language: LanguageDetector
    sentiment: SentimentAnalyzer
    translation: Translator
    safety: SafetyChain


@dataclass(frozen=True)
class PipelineOptions:
    languages: tuple[str, ...]
    working_language: str = "en"
    min_confidence: float = 0.5  # below: unsure (ask when nothing is known)
    switch_confidence: float = 0.8  # a known conversation language changes only above this
    turn_budget_s: float = 5.0
    analysis: bool = True  # BOT_ANALYSIS
    log_text: bool = False  # BOT_LOG_TEXT: message text in logs only when asked for


def can_really_translate(translator: Translator | None) -> bool:
    """True when some engine in the chain is a real translator, not the offline passthrough."""
    if translator is None:
        return False
    names = getattr(translator, "engine_names", None) or (getattr(translator, "name", "local"),)
    return any(name != "local" for name in names)


class _Services:
    """On-demand engine calls lent to dialogs; they respect the user's opt-out."""

    def __init__(
        self,
        translator: Translator | None,
        enabled: bool,
        analyze: Callable[[str], Awaitable[TurnInsights]],
    ) -> None:
        self._translator = translator
        self._enabled = enabled
        self._analyze = analyze

    async def analyze(self, text: str) -> TurnInsights:
        """Insights for a text other than the message (e.g. after a command prefix)."""
        return await self._analyze(text)

    async def translate(self, text: str, *, to: str, source: str | None = None) -> TranslationResult:
        if self._enabled and self._translator is not None:
            try:
                kept = protect(text)
                [result] = await self._translator.translate([kept.text], to=to, source=source)
                return TranslationResult(
                    text=kept.restore(result.text),
                    source_language=result.source_language,
                    target_language=result.target_language,
                    engine=result.engine,
                    translated=result.translated,
                    source_score=result.source_score,
                    skipped=result.skipped,
                )
            except EngineError as error:
                log.warning("on-demand translation failed: %s", error)
        return TranslationResult(text, source or "", to, engine="none", translated=False)


class PipelineMiddleware(Middleware):
    def __init__(
        self,
        engines: EngineSet | None,
        bot_state: BotState,
        options: PipelineOptions,
        *,
        safety: SafetyChain | None = None,
    ) -> None:
        self._engines = engines
        # The safety check runs whatever is switched off: BOT_ANALYSIS=off passes its own chain.
        self._safety_checker = safety if safety is not None else engines.safety if engines else None
        self._state = bot_state
        self._options = options
        self._translate_out = engines is not None and options.analysis and can_really_translate(
            engines.translation
        )
        self._quick_detector = _quick_detector(engines)

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        deadline = asyncio.get_running_loop().time() + self._options.turn_budget_s
        profile = await self._state.conversation(context)
        user = await self._state.user(context)
        enabled = self._engines is not None and self._options.analysis and not user.analysis_opt_out
        activity = context.activity
        hint = locale_hint(activity.locale, self._options.languages)
        if activity.type == ActivityTypes.message and (activity.text or "").strip():
            insights = await self._analyze(activity.text, profile=profile, hint=hint, enabled=enabled)
            context.turn_state[INSIGHTS_KEY] = insights
            if log.isEnabledFor(logging.INFO):
                log.info("%s", self._log_line(activity, insights))
            language = insights.user_language
            if not insights.ask_language:
                profile.language = language
            profile.remember("user", activity.text)
        else:
            language = profile.language or hint or self._options.working_language
        context.turn_state[LANGUAGE_KEY] = language
        context.turn_state[SERVICES_KEY] = _Services(
            self._engines.translation if self._engines else None,
            enabled,
            functools.partial(self._analyze, profile=profile, hint=hint, enabled=enabled),
        )
        buffer: list[Activity] = []
        flushing = False

        async def on_send(ctx: TurnContext, activities: list[Activity], send_next) -> list[ResourceResponse]:
            for sent in activities:
                if sent.type == ActivityTypes.message and sent.text:
                    profile.remember("bot", sent.text)
            if flushing or not self._needs_translation(ctx):
                return await send_next()
            if any(a.type == "invokeResponse" for a in activities):
                return await send_next()
            buffer.extend(activities)
            responses = [ResourceResponse(id="") for _ in activities]
            activities.clear()  # botbuilder sends whatever is left in this list once handlers return
            return responses

        context.on_send_activities(on_send)
        try:
            await logic()
        finally:
            if buffer:
                await self._translate_outgoing(context, buffer, deadline)
                flushing = True
                await context.send_activities(buffer)

    def _log_line(self, activity: Activity, insights: TurnInsights) -> str:
        """One line per analysed message: conversation, decisions, engines, latencies; no text by default."""
        parts = [
            f"turn conversation={activity.conversation.id if activity.conversation else '?'}",
            f"language={insights.user_language} decision={insights.language_decision}",
        ]
        if insights.sentiment is not None:
            parts.append(f"sentiment={insights.sentiment.label} ({insights.sentiment.confidence:.2f})")
        parts.extend(
            f"{step.capability}={step.engine}:{step.latency_ms:.0f}ms"
            + "".join(f" skipped={skip.engine}:{skip.reason}" for skip in step.skipped)
            for step in insights.steps
        )
        if insights.distressed:
            parts.append("safety=flagged")
        if self._options.log_text:
            parts.append(f"text={insights.original_text!r}")
        return " ".join(parts)

    def _needs_translation(self, context: TurnContext) -> bool:
        if not self._translate_out:
            return False
        user = context.turn_state.get(LANGUAGE_KEY, self._options.working_language)
        return user != self._options.working_language

    # --- incoming ---------------------------------------------------------------

    async def _analyze(
        self, text: str, *, profile: ConversationProfile, hint: str | None, enabled: bool
    ) -> TurnInsights:
        options = self._options
        if not enabled:
            choice = decide_language(
                text, None, known=profile.language, explicit=profile.language_explicit, hint=hint,
                working_language=options.working_language, min_confidence=options.min_confidence,
                switch_confidence=options.switch_confidence,
            )
            # The distress check always runs (a user who opted out, or BOT_ANALYSIS=off,
            # still gets support when they need it).
            safety = await self._safety(text, text, choice.language)
            return TurnInsights(
                original_text=text, text=text, user_language=choice.language,
                working_language=options.working_language, language_decision=choice.decision,
                safety=safety, analysis_enabled=False,
                notes=("analysis is off: no text was sent to any engine",),
            )
        assert self._engines is not None
        steps: list[StepReport] = []
        notes: list[str] = []
        # A remote safety engine reads the original now, beside detection, instead of one round
        # trip after translation; the local ones wait for the sentiment engine's embedding.
        early_safety = (
            asyncio.ensure_future(self._check(text, profile.language or hint or options.working_language))
            if self._safety_checker is not None and self._safety_checker.has_remote_engine else None
        )
        detection: LanguageResult | None = None
        translation: TranslationResult | None = None
        sentiment: SentimentResult | None = None
        decide = functools.partial(
            decide_language, known=profile.language, explicit=profile.language_explicit, hint=hint,
            working_language=options.working_language, min_confidence=options.min_confidence,
            switch_confidence=options.switch_confidence,
            own_phrase=bool(profile.language) and is_own_phrase(profile.language, text),
        )
        try:
            async with asyncio.timeout(options.turn_budget_s):
                detecting = asyncio.ensure_future(self._timed(steps, "language", self._detect(text)))
                guess = await self._quick_guess(text)
                if guess is not None and not detecting.done():
                    # The first engine is remote: start translation and sentiment on the
                    # local engine's guess now, instead of one round trip later.
                    speculated = self._source(text, guess, decide(text, guess))
                    work = asyncio.gather(
                        self._timed(steps, "translation", self._translate_in(text, speculated)),
                        self._timed(steps, "sentiment", self._sentiment(text, speculated)),
                    )
                    detection, (translation, sentiment) = await asyncio.gather(detecting, work)
                    source = self._source(text, detection, decide(text, detection))
                    if source != speculated:
                        notes.append(f"re-analysed: the local guess {speculated} was wrong ({source})")
                        steps[:] = [step for step in steps if step.capability == "language"]
                        translation, sentiment = await self._translate_and_score(steps, text, source)
                else:
                    detection = await detecting
                    source = self._source(text, detection, decide(text, detection))
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

    def _source(self, text: str, detection: LanguageResult | None, choice: LanguageChoice) -> str:
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
        assert self._engines is not None
        if source == self._options.working_language:
            return None
        try:
            kept = protect(text)
            [result] = await self._engines.translation.translate(
                [kept.text], to=self._options.working_language, source=source
            )
        except EngineError as error:
            log.warning("translation failed on every engine: %s", error)
            return TranslationResult(text, source, self._options.working_language, "none", translated=False)
        restored = kept.restore(result.text) if result.translated else text
        return TranslationResult(
            restored, result.source_language or source, result.target_language, result.engine,
            result.translated, result.source_score, result.skipped,
        )

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

    # --- outgoing ---------------------------------------------------------------

    async def _translate_outgoing(
        self, context: TurnContext, activities: Sequence[Activity], deadline: float
    ) -> None:
        """Translate every not-yet-localized text of the turn in one batched call.

        Bounded by what is left of the turn budget (at least 50 ms): past it, the
        replies go out as written rather than late.
        """
        assert self._engines is not None
        language = context.turn_state.get(LANGUAGE_KEY, self._options.working_language)
        keep = outgoing(context)
        slots = translatable_texts(activities, keep)
        if not slots:
            return
        masked = [protect(text, keep.verbatim) for _, text in slots]
        try:
            remaining = max(0.05, deadline - asyncio.get_running_loop().time())
            async with asyncio.timeout(remaining):
                results = await self._engines.translation.translate(
                    [item.text for item in masked], to=language, source=self._options.working_language
                )
        except TimeoutError:
            log.warning("outgoing translation ran past the turn budget; sending replies as written")
            return
        except EngineError as error:
            log.warning("outgoing translation failed: %s", error)
            return
        for (put, _), kept, result in zip(slots, masked, results, strict=True):
            if result.translated:
                put(kept.restore(result.text))


def _quick_detector(engines: EngineSet | None) -> LanguageDetector | None:
    """The chain's local detector, when a remote engine comes before it."""
    chain = engines.language if engines is not None else None
    names = getattr(chain, "engine_names", ())
    if not names or names[0] == "local" or "local" not in names:
        return None
    return chain.engine("local")  # type: ignore[union-attr]


def pipeline_options(settings: Any) -> PipelineOptions:
    """Build options from bot.settings.Settings (kept loose to avoid an import cycle)."""
    return PipelineOptions(
        languages=settings.languages,
        working_language=settings.working_language,
        min_confidence=settings.engines.language_min_confidence,
        turn_budget_s=settings.turn_budget_s,
        analysis=settings.analysis,
        log_text=settings.log_text,
    )
