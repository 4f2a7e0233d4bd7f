"""Bot Framework `.transcript` files (a JSON array of activities, as the Emulator saves them).

User activities become steps to send; bot activities become expectations on type, text
and attachments' content types. Ids, timestamps, typing and trace activities are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chatscripts.checks import (
    AttachmentTypesCheck,
    EventCheck,
    TextCheck,
    TextMatcher,
    TypeCheck,
    attachment_types,
    describe_activity,
    shorten,
)
from chatscripts.model import (
    IGNORED_REPLY_TYPES,
    BotStep,
    Check,
    Conversation,
    ConversationError,
    Step,
    UserStep,
)

# The fields of a recorded user activity that are replayed; the runner stamps the rest.
_SENT_FIELDS = ("type", "text", "value", "name", "locale", "attachments", "textFormat", "membersAdded",
                "membersRemoved", "action")


def load_transcript(path: Path, *, engines: str = "app") -> Conversation:
    """Read a transcript file into a Conversation (replayed with the app's engines by default)."""
    try:
        activities = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConversationError(str(path), 0, f"not a readable transcript: {error}") from None
    return transcript_conversation(activities, path, engines=engines)


def transcript_conversation(activities: Any, path: Path, *, engines: str = "app") -> Conversation:
    if not isinstance(activities, list) or not all(isinstance(a, dict) for a in activities):
        raise ConversationError(str(path), 0, "a transcript is a JSON array of activity objects")
    bot_id = _bot_id(activities)
    user_ids = {_from(a).get("id") for a in activities if not _is_bot(a, bot_id)}
    steps: list[Step] = []
    for number, activity in enumerate(activities, start=1):
        if activity.get("type") in IGNORED_REPLY_TYPES:
            continue
        if _is_bot(activity, bot_id):
            if not steps:
                continue  # a bot activity before anything was sent (proactive): nothing triggers it
            steps.append(BotStep(_checks(activity), number, describe_activity(activity)))
        else:
            steps.append(UserStep(_sent(activity, bot_id, user_ids), number, _user_label(activity)))
    if not any(isinstance(step, UserStep) for step in steps):
        raise ConversationError(str(path), 0, "the transcript has no user activity to replay")
    locale = next((s.activity.get("locale") for s in steps if isinstance(s, UserStep)), None)
    return Conversation(path.stem, path, tuple(steps), locale, engines)


def _from(activity: dict[str, Any]) -> dict[str, Any]:
    sender = activity.get("from")
    return sender if isinstance(sender, dict) else {}


def _bot_id(activities: list[dict[str, Any]]) -> str | None:
    """The bot's id: whoever has role "bot", else the recipient of the first user activity."""
    for activity in activities:
        if _from(activity).get("role") == "bot":
            return _from(activity).get("id")
    for activity in activities:
        recipient = activity.get("recipient")
        if isinstance(recipient, dict) and recipient.get("id"):
            return recipient["id"]
    return None


def _is_bot(activity: dict[str, Any], bot_id: str | None) -> bool:
    sender = _from(activity)
    if sender.get("role"):
        return sender["role"] == "bot"
    return bot_id is not None and sender.get("id") == bot_id


def _sent(activity: dict[str, Any], bot_id: str | None, user_ids: set[Any]) -> dict[str, Any]:
    sent = {key: activity[key] for key in _SENT_FIELDS if activity.get(key) is not None}
    for key in ("membersAdded", "membersRemoved"):
        if key in sent:
            sent[key] = [_member(m, bot_id, user_ids) for m in sent[key] if isinstance(m, dict)]
    return sent


def _member(member: dict[str, Any], bot_id: str | None, user_ids: set[Any]) -> Any:
    if member.get("id") == bot_id or member.get("role") == "bot":
        return "$bot"
    if member.get("id") in user_ids or member.get("role") == "user":
        return "$user"
    return member


def _checks(activity: dict[str, Any]) -> tuple[Check, ...]:
    kind = str(activity.get("type") or "message")
    if kind == "event":
        return (EventCheck(str(activity.get("name"))),)
    return (
        TypeCheck(kind),
        TextCheck(TextMatcher(exact=activity.get("text") or "")),
        AttachmentTypesCheck(attachment_types(activity)),
    )


def _user_label(activity: dict[str, Any]) -> str:
    kind = activity.get("type")
    if kind == "conversationUpdate":
        return "join" if activity.get("membersAdded") else "user: [conversationUpdate]"
    if kind == "message" and activity.get("text") is not None:
        return f"user: {shorten(activity['text'])}"
    if kind == "message" and activity.get("value") is not None:
        return f"user: submit {shorten(json.dumps(activity['value'], ensure_ascii=False))}"
    return f"user: [{kind}]"
