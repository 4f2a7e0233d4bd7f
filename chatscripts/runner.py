"""Replays a conversation through any channel (in-process or live) and compares the turns."""

from __future__ import annotations

from typing import Any, Protocol

from chatscripts.compare import Turn, outcome_of, plan
from chatscripts.model import Conversation, EngineStep, Outcome, Row


class TurnFailed(Exception):
    """A user activity could not be delivered or the bot failed the turn outright."""


class ConversationChannel(Protocol):
    """Plays the channel for one conversation: sends user activities, returns the bot's replies."""

    async def send(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver one user activity; the bot's replies to it, as JSON activities, in order."""
        ...

    def script_engine(self, step: EngineStep) -> str | None:
        """Apply an `engine:` line; a note for the report when it could not be applied."""
        ...


async def replay(conversation: Conversation, channel: ConversationChannel) -> Outcome:
    """Send every user step, collect the replies, compare them with the expectations."""
    items: list[Turn | Row] = []
    for item in plan(conversation):
        if isinstance(item, EngineStep):
            note = channel.script_engine(item)
            items.append(Row(item.label, "note", note, item.line) if note else Row(item.label, "engine", "", item.line))
            continue
        user, expected = item
        try:
            replies = await channel.send(user.activity)
        except TurnFailed as error:
            items.append(Turn(user, expected, (), str(error)))
            break  # later turns would only repeat the same failure
        items.append(Turn(user, expected, tuple(replies)))
    return outcome_of(conversation, items)


def resolve_members(activity: dict[str, Any], bot: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Replace the "$bot" / "$user" member placeholders with this channel's accounts."""
    resolved = dict(activity)
    for key in ("membersAdded", "membersRemoved"):
        if key in resolved:
            resolved[key] = [
                bot if member == "$bot" else user if member == "$user" else member for member in resolved[key]
            ]
    return resolved
