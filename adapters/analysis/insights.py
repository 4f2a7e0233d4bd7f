"""`TurnInsights`: what the turn analysis learnt about one incoming message.

Built once per message by adapters/analysis/turn_analysis.py; the bot puts it in turn
state (dialogs/insights.py reads it there), so no dialog ever calls an engine itself.
Framework-free: nothing here knows about botbuilder.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from adapters.contracts import (
    LanguageResult,
    SafetyResult,
    SentimentLabel,
    SentimentResult,
    Skip,
    TranslationResult,
)


class LanguageDecision(StrEnum):
    """Why the conversation language is what it is after this turn."""

    DETECTED = "detected"  # first confident detection
    KEPT = "kept"  # same language, or text too short/ambiguous to switch
    SWITCHED = "switched"  # confident detection of another language
    EXPLICIT = "explicit"  # the user chose; detection does not override it
    UNCERTAIN = "uncertain"  # unsure and nothing known: the bot asks once
    HINT = "hint"  # nothing detected; the channel's locale was used
    DEFAULT = "default"  # nothing at all: the working language


@dataclass(frozen=True)
class StepReport:
    """Which engine answered one capability, how long it took, and what was skipped."""

    capability: str
    engine: str
    latency_ms: float
    skipped: tuple[Skip, ...] = ()


@dataclass(frozen=True)
class TurnInsights:
    original_text: str
    text: str  # in the working language: translated, or the original when not needed/possible
    user_language: str  # the conversation language after this turn's rules
    working_language: str
    language_decision: LanguageDecision
    language: LanguageResult | None = None
    ask_language: bool = False  # unsure with nothing known: dialogs should ask once
    translation: TranslationResult | None = None  # into the working language
    sentiment: SentimentResult | None = None
    safety: SafetyResult | None = None
    analysis_enabled: bool = True  # False when the user opted out or BOT_ANALYSIS=off
    steps: tuple[StepReport, ...] = ()
    notes: tuple[str, ...] = ()  # plain-language decisions, shown by the "why" dialog

    @property
    def distressed(self) -> bool:
        return self.safety is not None and self.safety.flagged

    @property
    def sentiment_uncertain(self) -> bool:
        """Mixed or low-confidence sentiment is reported as uncertain, never forced."""
        if self.sentiment is None:
            return True
        return self.sentiment.label is SentimentLabel.MIXED or self.sentiment.confidence < 0.6

    @property
    def translated(self) -> bool:
        return self.translation is not None and self.translation.translated
