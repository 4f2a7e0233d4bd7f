"""Where a turn's analysis lives in turn state, and the accessors dialogs read it with.

The pipeline middleware (bot/pipeline.py) puts one `TurnInsights` (adapters/analysis) per
message in turn state; dialogs only read it, so no dialog ever calls an engine itself.
"""

from __future__ import annotations

from typing import Protocol

from botbuilder.core import TurnContext

from adapters.analysis.insights import LanguageDecision, StepReport, TurnInsights
from adapters.contracts import TranslationResult

__all__ = [
    "INSIGHTS_KEY",
    "LANGUAGE_KEY",
    "SERVICES_KEY",
    "LanguageDecision",
    "StepReport",
    "TurnInsights",
    "TurnServices",
    "conversation_language",
    "get_insights",
    "get_services",
]

INSIGHTS_KEY = "showcase.insights"
LANGUAGE_KEY = "showcase.language"


def get_insights(turn_context: TurnContext) -> TurnInsights | None:
    return turn_context.turn_state.get(INSIGHTS_KEY)


def conversation_language(turn_context: TurnContext, default: str = "en") -> str:
    """The language the bot should speak on this turn (set by the pipeline for every activity)."""
    return turn_context.turn_state.get(LANGUAGE_KEY, default)


SERVICES_KEY = "showcase.services"


class TurnServices(Protocol):
    """On-demand engine calls the pipeline lends to dialogs (none when analysis is off)."""

    async def analyze(self, text: str) -> TurnInsights:
        """Full insights for another text than the message (e.g. after "analyze:")."""
        ...

    async def translate(self, text: str, *, to: str, source: str | None = None) -> TranslationResult:
        """Translate one text now; falls back to the untranslated text, flagged."""
        ...


def get_services(turn_context: TurnContext) -> TurnServices | None:
    return turn_context.turn_state.get(SERVICES_KEY)
