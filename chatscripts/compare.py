"""Compares what the bot sent in each turn with what the conversation expects.

Each turn's expected bot activities are aligned with the actual ones (a small edit
distance where `bot: ...` absorbs any activities for free), so a failure reads as a
side-by-side diff: matched, differing, missing and extra activities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from chatscripts.checks import describe_activity
from chatscripts.model import (
    IGNORED_REPLY_TYPES,
    BotStep,
    Conversation,
    EngineStep,
    Outcome,
    Row,
    UserStep,
)


@dataclass(frozen=True)
class Turn:
    """What was sent, what the conversation expects back, and what came back."""

    user: UserStep
    expected: tuple[BotStep, ...]
    actual: tuple[dict[str, Any], ...]
    error: str = ""  # the turn could not be delivered (HTTP status, exception)


def plan(conversation: Conversation) -> list[UserStep | EngineStep | tuple[UserStep, tuple[BotStep, ...]]]:
    """The conversation as engine steps and (user step, expected bot steps) turns, in order."""
    items: list[Any] = []
    for step in conversation.steps:
        if isinstance(step, UserStep):
            items.append((step, []))
        elif isinstance(step, BotStep):
            turn = next(item for item in reversed(items) if isinstance(item, tuple))
            turn[1].append(step)
        else:
            items.append(step)
    return [(item[0], tuple(item[1])) if isinstance(item, tuple) else item for item in items]


def visible(replies: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The replies assertions are about: typing indicators and traces are left out."""
    return tuple(reply for reply in replies if reply.get("type") not in IGNORED_REPLY_TYPES)


def turn_rows(turn: Turn) -> list[Row]:
    rows = [Row(turn.user.label, "user", turn.user.label, turn.user.line)]
    if turn.error:
        rows.append(Row("", "differs", f"(turn failed: {turn.error})", turn.user.line, (turn.error,)))
        return rows
    return rows + align(turn.expected, visible(turn.actual))


def align(expected: Sequence[BotStep], actual: Sequence[dict[str, Any]]) -> list[Row]:
    """The cheapest alignment of expected steps with actual activities, as report rows."""
    reasons = {
        (i, j): step.mismatches(activity)
        for i, step in enumerate(expected)
        if not step.wildcard
        for j, activity in enumerate(actual)
    }

    @cache
    def cost(i: int, j: int) -> int:
        if i == len(expected):
            return len(actual) - j
        if expected[i].wildcard:
            return min(cost(i + 1, j), cost(i, j + 1) if j < len(actual) else len(actual))
        options = [1 + cost(i + 1, j)]
        if j < len(actual):
            options += [(1 if reasons[i, j] else 0) + cost(i + 1, j + 1), 1 + cost(i, j + 1)]
        return min(options)

    rows: list[Row] = []
    i = j = 0
    absorbing = False
    while i < len(expected) or j < len(actual):
        here = cost(i, j)
        if i == len(expected):
            rows.append(Row("", "extra", describe_activity(actual[j]), 0, ("an extra activity nobody expected",)))
            j += 1
            continue
        step = expected[i]
        if step.wildcard:
            if j < len(actual) and cost(i, j + 1) == here:
                rows.append(Row("" if absorbing else step.label, "any", describe_activity(actual[j]), step.line))
                absorbing, j = True, j + 1
            else:
                if not absorbing:
                    rows.append(Row(step.label, "any", "", step.line))
                absorbing, i = False, i + 1
            continue
        if j < len(actual) and (1 if reasons[i, j] else 0) + cost(i + 1, j + 1) == here:
            status = "differs" if reasons[i, j] else "ok"
            rows.append(Row(step.label, status, describe_activity(actual[j]), step.line, tuple(reasons[i, j])))
            i, j = i + 1, j + 1
        elif 1 + cost(i + 1, j) == here:
            rows.append(Row(step.label, "missing", "(nothing)", step.line, ("the bot sent nothing more",)))
            i += 1
        else:
            rows.append(Row("", "extra", describe_activity(actual[j]), 0, ("an extra activity nobody expected",)))
            j += 1
    return rows


def outcome_of(conversation: Conversation, turns_and_notes: Sequence[Turn | Row], error: str = "") -> Outcome:
    rows: list[Row] = []
    for item in turns_and_notes:
        rows.extend(turn_rows(item) if isinstance(item, Turn) else [item])
    return Outcome(conversation, tuple(rows), error, tuple(turns_and_notes))
