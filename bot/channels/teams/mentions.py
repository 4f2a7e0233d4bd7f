"""Teams quirks, handled before anything else: the bot's @mention and suggested actions.

Install `MentionMiddleware` first in the adapter's middleware, so the pipeline
detects the language of "hola, ¿qué tal?" and not of "<at>Showcase Bot</at> hola...".
It also drops suggested actions from replies in Teams channels and group chats,
where Teams rejects them ("Invalid message"); typed commands work there instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import ActivityTypes


def _mentioned_id(entity: Any) -> tuple[str | None, str]:
    """(id of the mentioned account, the mention's text) of a mention entity."""
    props = getattr(entity, "additional_properties", None) or {}
    mentioned = props.get("mentioned") or getattr(entity, "mentioned", None) or {}
    mentioned_id = mentioned.get("id") if isinstance(mentioned, dict) else getattr(mentioned, "id", None)
    return mentioned_id, props.get("text") or getattr(entity, "text", "") or ""


def clean_incoming_text(turn_context: TurnContext) -> str:
    """Remove mentions of the bot from the message text (idempotent); returns the cleaned text."""
    activity = turn_context.activity
    if activity.type != ActivityTypes.message or not activity.text or activity.recipient is None:
        return activity.text or ""
    text = activity.text
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        mentioned_id, mention_text = _mentioned_id(entity)
        if mentioned_id == activity.recipient.id and mention_text:
            text = text.replace(mention_text, " ")
    activity.text = " ".join(text.split())
    return activity.text


def _in_teams_group(activity: Any) -> bool:
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    return activity.channel_id == "msteams" and kind in ("channel", "groupChat")


class MentionMiddleware(Middleware):
    """Runs `clean_incoming_text` before the rest of the middleware and the bot."""

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        clean_incoming_text(context)
        if _in_teams_group(context.activity):
            context.on_send_activities(_drop_suggested_actions)
        await logic()


async def _drop_suggested_actions(context: TurnContext, activities: list, send_next) -> Any:
    for activity in activities:
        activity.suggested_actions = None
    return await send_next()
