"""What an incoming activity must look like before botbuilder sees it: shapes, types and bounds.

botbuilder assumes a well-formed activity and fails deep inside a turn (a TypeError on
a missing `channelId`, an AttributeError on a null `from`) where the user only gets an
apology. Checking here turns every such case into a 400 with a reason, and bounds the
sizes and counts that would otherwise cost CPU or memory for the rest of the turn.
Pure functions over the parsed JSON: no aiohttp, no botbuilder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

MAX_DEPTH = 32  # nesting of objects and arrays anywhere in the body
MAX_NODES = 20_000  # objects, arrays and values in the whole body
MAX_ID_CHARS = 1024  # ids of conversations, users, activities
MAX_SHORT_CHARS = 256  # channel ids, names, locales, types
MAX_URL_CHARS = 2048
MAX_LIST_ITEMS = {"attachments": 50, "entities": 100, "membersAdded": 100, "membersRemoved": 100}

# JSON can escape half of a UTF-16 pair ("\ud800"); Python keeps it, and the first UTF-8
# encode (SQLite, the engines, the reply) fails deep in the turn.
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidActivity(ValueError):
    """The body is not an activity the bot can process; the message says why."""


def check_structure(payload: Any) -> None:
    """Reject bodies nested deeper than MAX_DEPTH, holding more than MAX_NODES values, or a lone surrogate.

    Iterative, so a hostile body cannot exhaust the stack; linear in the body's size.
    """
    stack: list[tuple[Any, int]] = [(payload, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise InvalidActivity(f"body holds more than {MAX_NODES} values")
        if isinstance(value, str):
            _unicode(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidActivity(f"body is nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                for key in value:
                    _unicode(key)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


def _unicode(text: str) -> None:
    # An ASCII string (nearly every id, key and message) holds no surrogate: no search needed.
    if type(text) is str and text.isascii():
        return
    if _SURROGATE.search(text):
        raise InvalidActivity("body holds an unpaired surrogate (\\ud800-\\udfff), which is not Unicode text")


def _string(value: Any, where: str, *, limit: int, required: bool) -> None:
    if value is None:
        if required:
            raise InvalidActivity(f"activity has no '{where}'")
        return
    if not isinstance(value, str):
        raise InvalidActivity(f"'{where}' must be a string")
    if required and not value.strip():
        raise InvalidActivity(f"activity has no '{where}'")
    if len(value) > limit:
        raise InvalidActivity(f"'{where}' is longer than {limit} characters")


def _account(value: Any, where: str, *, required: bool) -> None:
    """A ChannelAccount / ConversationAccount: an object with a non-empty string id."""
    if value is None and not required:
        return
    if not isinstance(value, dict):
        raise InvalidActivity(f"activity has no '{where}.id'")
    _string(value.get("id"), f"{where}.id", limit=MAX_ID_CHARS, required=True)
    for field in ("name", "role", "aadObjectId", "tenantId", "conversationType"):
        _string(value.get(field), f"{where}.{field}", limit=MAX_SHORT_CHARS, required=False)


def _object_or_none(value: Any, where: str) -> None:
    if value is not None and not isinstance(value, dict):
        raise InvalidActivity(f"'{where}' must be an object")


def _list_of_objects(value: Any, where: str, limit: int, item: Callable[[Any, str], None]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise InvalidActivity(f"'{where}' must be a list")
    if len(value) > limit:
        raise InvalidActivity(f"'{where}' has more than {limit} items")
    for index, element in enumerate(value):
        item(element, f"{where}[{index}]")


def _attachment(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise InvalidActivity(f"'{where}' must be an object")
    _string(value.get("contentType"), f"{where}.contentType", limit=MAX_SHORT_CHARS, required=False)
    _string(value.get("contentUrl"), f"{where}.contentUrl", limit=MAX_URL_CHARS, required=False)
    _string(value.get("name"), f"{where}.name", limit=MAX_SHORT_CHARS, required=False)


def _entity(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise InvalidActivity(f"'{where}' must be an object")
    _string(value.get("type"), f"{where}.type", limit=MAX_SHORT_CHARS, required=False)


def _service_url(value: Any) -> None:
    """An absolute http(s) URL with a host: the base every reply of the turn is posted under."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise InvalidActivity("activity has no http(s) 'serviceUrl'")
    _string(value, "serviceUrl", limit=MAX_URL_CHARS, required=True)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError when out of range
    except ValueError:
        raise InvalidActivity("'serviceUrl' is not a valid URL") from None
    if (not parts.hostname or "@" in parts.netloc or parts.query or parts.fragment
            or not value.isprintable() or any(char.isspace() for char in value)):
        raise InvalidActivity("'serviceUrl' must be an http(s) URL with a host and no user, query or fragment")


def _member(value: Any, where: str) -> None:
    _account(value, where, required=True)


def check_activity(payload: Any, *, max_body_text: int) -> None:
    """Raise InvalidActivity unless `payload` has what botbuilder and a reply need, well typed.

    `max_body_text` bounds `text` as a hard edge (the body limit); the softer per-message
    text limit, answered with a localized reply, is applied later in the turn.
    """
    if not isinstance(payload, dict):
        raise InvalidActivity("body must be a JSON object (an activity)")
    check_structure(payload)
    _string(payload.get("type"), "type", limit=MAX_SHORT_CHARS, required=True)
    _string(payload.get("channelId"), "channelId", limit=MAX_SHORT_CHARS, required=True)
    conversation = payload.get("conversation")
    if not isinstance(conversation, dict):
        raise InvalidActivity("activity has no 'conversation.id'")
    _account(conversation, "conversation", required=True)
    _account(payload.get("from"), "from", required=True)
    _account(payload.get("recipient"), "recipient", required=True)
    _service_url(payload.get("serviceUrl"))
    _string(payload.get("text"), "text", limit=max_body_text, required=False)
    for field in ("id", "replyToId"):
        _string(payload.get(field), field, limit=MAX_ID_CHARS, required=False)
    for field in ("locale", "textFormat", "inputHint", "name", "action", "timestamp",
                  "localTimestamp", "localTimezone", "deliveryMode", "importance", "valueType",
                  "topicName", "callerId", "summary", "speak", "attachmentLayout", "label"):
        _string(payload.get(field), field, limit=MAX_SHORT_CHARS, required=False)
    for field in ("channelData", "suggestedActions", "relatesTo", "semanticAction"):
        _object_or_none(payload.get(field), field)
    _list_of_objects(payload.get("attachments"), "attachments", MAX_LIST_ITEMS["attachments"], _attachment)
    _list_of_objects(payload.get("entities"), "entities", MAX_LIST_ITEMS["entities"], _entity)
    for field in ("membersAdded", "membersRemoved"):
        _list_of_objects(payload.get(field), field, MAX_LIST_ITEMS[field], _member)
