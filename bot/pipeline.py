"""The cognitive middleware: adapts the turn analysis (adapters/analysis) to a botbuilder turn.

In: reads what the conversation knows, has the analyzer build one `TurnInsights` for the
message, and puts it (and the language to answer in) in turn state. Out: holds the turn's
replies and has every text not already in the user's language translated in one batched
call before they are sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

from adapters.analysis.insights import TurnInsights
from adapters.analysis.language_rules import locale_hint
from adapters.analysis.turn_analysis import AnalysisOptions, EngineSet, KnownLanguage, TurnAnalyzer
from adapters.contracts import TranslationResult
from adapters.safety_chain import SafetyChain
from bot.outgoing_texts import translatable_texts
from dialogs.i18n import is_own_phrase, outgoing
from dialogs.insights import INSIGHTS_KEY, LANGUAGE_KEY, SERVICES_KEY
from dialogs.state import BotState, ConversationProfile

log = logging.getLogger("bot.pipeline")


@dataclass(frozen=True)
class PipelineOptions(AnalysisOptions):
    analysis: bool = True  # BOT_ANALYSIS
    log_text: bool = False  # BOT_LOG_TEXT: message text in logs only when asked for


class _Services:
    """On-demand engine calls lent to dialogs; they respect the user's opt-out."""

    def __init__(self, analyzer: TurnAnalyzer, enabled: bool, known: KnownLanguage) -> None:
        self._analyzer = analyzer
        self._enabled = enabled
        self._known = known

    async def analyze(self, text: str) -> TurnInsights:
        """Insights for a text other than the message (e.g. after a command prefix)."""
        return await self._analyzer.analyze(text, self._known, enabled=self._enabled)

    async def translate(self, text: str, *, to: str, source: str | None = None) -> TranslationResult:
        if not self._enabled:
            return TranslationResult(text, source or "", to, engine="none", translated=False)
        return await self._analyzer.translate(text, to=to, source=source)


class PipelineMiddleware(Middleware):
    def __init__(
        self,
        engines: EngineSet | None,
        bot_state: BotState,
        options: PipelineOptions,
        *,
        safety: SafetyChain | None = None,
    ) -> None:
        self._analyzer = TurnAnalyzer(engines, options, safety=safety, own_phrase=is_own_phrase)
        self._has_engines = engines is not None
        self._state = bot_state
        self._options = options
        self._translate_out = options.analysis and self._analyzer.translates_replies

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        deadline = asyncio.get_running_loop().time() + self._options.turn_budget_s
        profile = await self._state.conversation(context)
        user = await self._state.user(context)
        enabled = self._has_engines and self._options.analysis and not user.analysis_opt_out
        activity = context.activity
        hint = locale_hint(activity.locale, self._options.languages)
        known = _known(profile, hint)
        if activity.type == ActivityTypes.message and (activity.text or "").strip():
            insights = await self._analyzer.analyze(activity.text, known, enabled=enabled)
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
        context.turn_state[SERVICES_KEY] = _Services(self._analyzer, enabled, known)
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

    async def _translate_outgoing(self, context: TurnContext, activities: list[Activity], deadline: float) -> None:
        """Every not-yet-localized text of the turn, in one call bounded by what is left of the budget."""
        language = context.turn_state.get(LANGUAGE_KEY, self._options.working_language)
        keep = outgoing(context)
        slots = translatable_texts(activities, keep)
        if not slots:
            return
        remaining = deadline - asyncio.get_running_loop().time()
        translated = await self._analyzer.translate_replies(
            [text for _, text in slots], to=language, verbatim=keep.verbatim, budget_s=remaining
        )
        for (put, _), text in zip(slots, translated, strict=True):
            if text is not None:
                put(text)


def _known(profile: ConversationProfile, hint: str | None) -> KnownLanguage:
    return KnownLanguage(profile.language, profile.language_explicit, hint)


def pipeline_options(settings: Any) -> PipelineOptions:
    """Options from bot.settings.Settings (kept loose to avoid an import cycle)."""
    return PipelineOptions(
        languages=settings.languages,
        working_language=settings.working_language,
        min_confidence=settings.engines.language_min_confidence,
        turn_budget_s=settings.turn_budget_s,
        analysis=settings.analysis,
        log_text=settings.log_text,
    )
