"""`POST /api/messages`: check the request, then hand the activity to the adapter.

Malformed requests get a 4xx with a JSON reason before botbuilder sees them, so a bad
client never causes a 500 or sees a traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

from bot.activity_schema import MAX_DEPTH, InvalidActivity, check_activity

log = logging.getLogger("bot.messages")


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
    try:
        payload: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadActivity(400, f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadActivity(400, f"body is nested deeper than {MAX_DEPTH} levels") from None
    try:
        check_activity(payload, max_body_text=max_body_bytes)
    except InvalidActivity as error:
        raise BadActivity(400, str(error)) from None
    try:
        return Activity().deserialize(payload)
    except (DeserializationError, TypeError, ValueError, AttributeError, KeyError) as error:
        raise BadActivity(400, f"not a valid activity: {error}") from None


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
            return web.json_response(invoke_response.body, status=invoke_response.status)
        return web.Response(status=201)

    return handle
