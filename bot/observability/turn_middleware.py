"""The turn span and the per-turn metrics, as the outermost botbuilder middleware.

Outermost so the span covers the whole turn: waiting for the conversation's lock, the
analysis, the dialogs, a re-run after a lost state race, and releasing the replies.
What the analysis found is read from the turn's insights after the turn (language,
sentiment label, safety flag; never the text). With telemetry off it only calls on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext

from adapters import telemetry
from dialogs.insights import get_insights


class TurnTelemetryMiddleware(Middleware):
    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        if not telemetry.enabled():
            await logic()
            return
        activity = context.activity
        with telemetry.turn(activity.channel_id, activity.type) as turn:
            await logic()
            insights = get_insights(context)
            if insights is None:
                return
            language = insights.language.language if insights.language is not None else None
            sentiment = insights.sentiment.label.value if insights.sentiment is not None else None
            if insights.analysis_enabled:
                telemetry.record_analysis(language, sentiment)
            turn.annotate(
                analysis=insights.analysis_enabled,
                language=insights.user_language,
                safety_flagged=insights.distressed,
                **({"sentiment": sentiment} if sentiment is not None and insights.analysis_enabled else {}),
            )
