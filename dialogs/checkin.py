"""A conversation-level distress signal: a run of strongly negative turns gets one gentle check-in.

The rules (`CheckinPolicy`, `Streak`, `next_streak`) are pure and need no framework object;
the main dialog feeds them each turn's insights and sends `send_checkin` when they say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.core import TurnContext

from adapters.contracts import SentimentLabel
from dialogs.choices import message_with_actions
from dialogs.i18n import t
from dialogs.insights import TurnInsights
from dialogs.why_dialog import record_action

log = logging.getLogger("dialogs.checkin")

CHECKIN_ACTION = "checkin"  # the recorded action; like "safety", it leaves the offer of a person open


@dataclass(frozen=True)
class CheckinPolicy:
    """When a run of turns is heavy enough to check in (BOT_CHECKIN_WINDOW, BOT_CHECKIN_NEGATIVE)."""

    window: int = 3  # this many strongly negative turns in a row
    negative: float = 0.8  # "strongly negative": negative sentiment at least this sure

    def counts(self, insights: TurnInsights | None) -> bool:
        """A strongly negative turn: negative and at least `negative` sure, or flagged by the safety check."""
        if insights is None:
            return False
        if insights.distressed:
            return True
        sentiment = insights.sentiment
        return (
            sentiment is not None
            and sentiment.label is SentimentLabel.NEGATIVE
            and sentiment.confidence >= self.negative
        )


@dataclass(frozen=True)
class Streak:
    """Strongly negative turns in a row (capped at the window), and whether this run had its check-in."""

    turns: int = 0
    checked_in: bool = False


def next_streak(
    streak: Streak, insights: TurnInsights | None, policy: CheckinPolicy, *, can_add: bool, person_asked: bool
) -> tuple[Streak, bool]:
    """The streak after this turn, and whether to check in now.

    `can_add`: the turn ended with no question waiting for an answer, so a check-in may follow
    the reply. `person_asked`: the turn already started a handoff, which stands for the check-in.
    A turn that does not count breaks the run; a flagged turn counts but has the crisis reply
    instead, so the check-in waits for the next strongly negative turn that can take it.
    """
    if insights is None or not policy.counts(insights):
        return Streak(), False
    turns = min(streak.turns + 1, policy.window)
    if streak.checked_in or person_asked:
        return Streak(turns, True), False
    if turns < policy.window or insights.distressed or not can_add:
        return Streak(turns, False), False
    return Streak(turns, True), True


async def send_checkin(turn_context: TurnContext) -> None:
    """One gentle question after the reply: the offer of a person, and that the bot is listening."""
    text = t(
        turn_context,
        "It sounds like things have been hard for a while. Would you like to talk to a person? "
        "I'm also here to listen.",
    )
    titles = [t(turn_context, "Talk to a person"), t(turn_context, "Not now")]
    await turn_context.send_activity(message_with_actions(text, titles))
    record_action(turn_context, CHECKIN_ACTION)
    conversation = turn_context.activity.conversation
    log.info("checkin conversation=%s", conversation.id if conversation else "?")
