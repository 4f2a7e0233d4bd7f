"""`POST /api/messages`: check the request, then hand the activity to the adapter.

Malformed requests get a 4xx with a JSON reason before botbuilder sees them, so a bad
client never causes a 500 or sees a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.core.teams.teams_helper import deserializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse
from botbuilder.schema.teams import (
    AppBasedLinkQuery,
    FileConsentCardResponse,
    MessagingExtensionAction,
    MessagingExtensionQuery,
    O365ConnectorCardActionQuery,
    TabRequest,
    TabSubmit,
    TaskModuleRequest,
    TeamsChannelData,
)
from botframework.connector import Channels
from msrest.exceptions import DeserializationError
from msrest.serialization import Model

from bot.activity_reader import deserialize_activity
from bot.activity_schema import MAX_DEPTH, InvalidActivity, check_activity

log = logging.getLogger("bot.messages")

# Bodies larger than this are parsed and checked in a worker thread (most activities are a
# few KB: no thread hop for them).
OFF_LOOP_BYTES = 16 * 1024

# What botbuilder's TeamsActivityHandler reads an invoke's `value` as, by invoke name, on every
# channel: a value these models can't hold fails inside the turn (an apology and a 501).
TEAMS_INVOKE_VALUES: dict[str, type[Model]] = {
    "fileConsent/invoke": FileConsentCardResponse,
    "actionableMessage/executeAction": O365ConnectorCardActionQuery,
    "composeExtension/queryLink": AppBasedLinkQuery,
    "composeExtension/anonymousQueryLink": AppBasedLinkQuery,
    "composeExtension/query": MessagingExtensionQuery,
    "composeExtension/submitAction": MessagingExtensionAction,
    "composeExtension/fetchTask": MessagingExtensionAction,
    "composeExtension/querySettingUrl": MessagingExtensionQuery,
    "task/fetch": TaskModuleRequest,
    "task/submit": TaskModuleRequest,
    "tab/fetch": TabRequest,
    "tab/submit": TabSubmit,
}
# Activities whose channelData TeamsActivityHandler reads as TeamsChannelData on msteams.
TEAMS_CHANNEL_DATA_TYPES = (ActivityTypes.conversation_update, ActivityTypes.message_update,
                            ActivityTypes.message_delete)


class BadActivity(web.HTTPException):
    """A request the bot can't accept, answered with a JSON reason."""

    def __init__(self, status: int, reason: str) -> None:
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": reason}),
            content_type="application/json",
        )


def _require(condition: bool, reason: str, status: int = 400) -> None:
    if not condition:
        raise BadActivity(status, reason)


async def read_body(request: web.Request, max_body_bytes: int) -> bytes:
    """The whole body, however many segments it arrives in; 413 past `max_body_bytes`."""
    _require(
        request.content_length is None or request.content_length <= max_body_bytes,
        f"body is larger than {max_body_bytes} bytes",
        413,
    )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        _require(size <= max_body_bytes, f"body is larger than {max_body_bytes} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_activity(request: web.Request, max_body_bytes: int) -> Activity:
    """Parse and validate the body as a Bot Framework activity, or raise BadActivity."""
    _require(
        request.content_type == "application/json",
        f"Content-Type must be application/json, got {request.content_type or 'none'}",
        415,
    )
    body = await read_body(request, max_body_bytes)
    if len(body) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(_activity_of, body, max_body_bytes)
    return _activity_of(body, max_body_bytes)


def _activity_of(body: bytes, max_body_bytes: int) -> Activity:
    try:
        payload: Any = json.loads(body)
    except ValueError as error:  # also a number past int's 4,300-digit limit, and bad UTF-8
        raise BadActivity(400, f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadActivity(400, f"body is nested deeper than {MAX_DEPTH} levels") from None
    try:
        return parse_activity(payload, max_text=max_body_bytes)
    except InvalidActivity as error:
        raise BadActivity(400, str(error)) from None


async def parse_activity_off_loop(payload: Any, *, max_text: int, size: int) -> Activity:
    """`parse_activity`, in a worker thread when the body is large.

    botbuilder's model walks every value of `value` and `channelData` (~5 µs each): a
    body of 20,000 values took 95 ms, which on the event loop stalls every conversation.
    """
    if size > OFF_LOOP_BYTES:
        return await asyncio.to_thread(parse_activity, payload, max_text=max_text)
    return parse_activity(payload, max_text=max_text)


def parse_activity(payload: Any, *, max_text: int) -> Activity:
    """The botbuilder Activity of a parsed body, or InvalidActivity saying why not.

    Shapes, types and bounds first, then botbuilder's own model, then what its Teams
    handler would fail on mid-turn: every channel of this bot (Direct Line too) uses it.
    """
    check_activity(payload, max_body_text=max_text)
    try:
        activity = deserialize_activity(payload)
    except (DeserializationError, TypeError, ValueError, AttributeError, KeyError, RecursionError) as error:
        raise InvalidActivity(f"not a valid activity: {error}") from None
    check_teams_shapes(activity)
    return activity


def check_teams_shapes(activity: Activity) -> None:
    """Raise InvalidActivity for what botbuilder's Teams handler would fail on mid-turn.

    That is an invoke value its model can't read (or none at all), and on msteams a
    channelData that isn't TeamsChannelData, or is missing where it is dereferenced.
    """
    model = TEAMS_INVOKE_VALUES.get(activity.name or "") if activity.type == ActivityTypes.invoke else None
    if model is not None:
        where = f"the value of a '{activity.name}' invoke"
        if not isinstance(activity.value, dict):
            raise InvalidActivity(f"{where} must be an object")
        _readable_as(model, activity.value, where)
    if activity.channel_id == Channels.ms_teams and activity.type in TEAMS_CHANNEL_DATA_TYPES:
        if activity.channel_data is None and (activity.members_added or activity.members_removed):
            raise InvalidActivity("an msteams conversationUpdate with members needs 'channelData'")
        if activity.channel_data is not None:
            _readable_as(TeamsChannelData, activity.channel_data, "'channelData'")


def _readable_as(model: type[Model], value: Any, where: str) -> None:
    try:
        deserializer_helper(model, value)
    except (DeserializationError, TypeError, ValueError, AttributeError, KeyError) as error:
        raise InvalidActivity(f"{where} is not a {model.__name__}: {error}") from None


def invoke_body(body: Any) -> Any:
    """An invoke response body as JSON: models serialized, botbuilder's adaptive-card refusal included.

    botbuilder answers a malformed `adaptiveCard/action` with an AdaptiveCardInvokeResponse whose
    `value` is a Python Exception(code, message), which no serializer can write: it becomes the
    Universal Actions error shape, `{"code", "message"}`.
    """
    if isinstance(body, AdaptiveCardInvokeResponse) and isinstance(body.value, Exception):
        code, message = [*map(str, body.value.args), "", ""][:2]
        return {"statusCode": int(body.status_code), "type": body.type, "value": {"code": code, "message": message}}
    if isinstance(body, Model):
        return body.serialize()
    return body


def messages_handler(adapter: CloudAdapter, bot: Bot, max_body_bytes: int):
    """Build the aiohttp handler for /api/messages."""

    async def handle(request: web.Request) -> web.StreamResponse:
        activity = await read_activity(request, max_body_bytes)
        auth_header = request.headers.get("Authorization", "")
        try:
            invoke_response = await adapter.process_activity(auth_header, activity, bot.on_turn)
        except PermissionError as error:
            raise BadActivity(401, f"unauthorized: {error}" if str(error) else "unauthorized") from None
        if invoke_response is not None:
            return web.json_response(invoke_body(invoke_response.body), status=invoke_response.status)
        return web.Response(status=201)

    return handle
