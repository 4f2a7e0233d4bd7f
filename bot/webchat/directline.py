"""A local Direct Line 3.0 endpoint and the connector-service routes the bot replies on.

Clients (Web Chat, botframework-directlinejs) talk to `/v3/directline/...` with a token
bound to one conversation; the endpoint stamps their activities as the `webchat`
channel, runs the bot turn in-process, and stores the bot's replies, which arrive on
`/directline-connector/v3/conversations/{id}/activities`, for polling and the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web
from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError, DeserializationError, HttpOperationError

from bot.webchat.gateway import BotGateway
from bot.webchat.store import Conversation, ConversationStore, StoredAttachment, UnknownConversation
from bot.webchat.tokens import TokenError, TokenGrant, TokenIssuer, bearer_token

log = logging.getLogger("bot.webchat.directline")

API = "/v3/directline"
CONNECTOR = "/directline-connector"
CHANNEL_ID = "webchat"
KEEPALIVE_S = 20.0
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
USER_ID_MAX = 64

TurnRunner = Callable[[Activity], Awaitable[None]]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
    413: web.HTTPRequestEntityTooLarge, 502: web.HTTPBadGateway, 507: web.HTTPInsufficientStorage,
}


def _error(status: int, code: str, message: str) -> web.HTTPException:
    """A Direct Line style error body (`{"error": {"code", "message"}}`) with its status."""
    body = json.dumps({"error": {"code": code, "message": message}})
    return _STATUS[status](text=body, content_type="application/json")


class DirectLineEndpoint:
    """The endpoint's state and handlers; built once per app by `add_directline_routes`."""

    def __init__(
        self,
        store: ConversationStore,
        tokens: TokenIssuer,
        gateway: BotGateway,
        run_turn: TurnRunner,
        bot_account: dict[str, str],
        *,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.gateway = gateway
        self._run_turn = run_turn
        self.bot_account = bot_account
        self.keepalive_s = keepalive_s
        self._tasks: set[asyncio.Task] = set()
        self._sockets: set[web.WebSocketResponse] = set()

    # ---- tokens and conversations -------------------------------------------------------

    def new_conversation(self, user_id: str | None = None) -> tuple[Conversation, str]:
        """A conversation (not started yet) and a token for it, as `tokens/generate` gives."""
        user = user_id if user_id else f"dl_{secrets.token_hex(8)}"
        conversation = self.store.create(user[:USER_ID_MAX])
        return conversation, self.tokens.issue(conversation.id, conversation.user_id)

    def _grant(self, request: web.Request, conversation_id: str | None = None) -> TokenGrant:
        try:
            grant = self.tokens.verify(bearer_token(request.headers.get("Authorization", "")))
        except TokenError as error:
            raise _error(403 if "expired" in str(error) else 401, "BadArgument", str(error)) from None
        if conversation_id is not None and grant.conversation_id != conversation_id:
            raise _error(403, "BadArgument", "token is not valid for this conversation")
        return grant

    def _conversation(self, conversation_id: str) -> Conversation:
        try:
            return self.store.get(conversation_id)
        except UnknownConversation:
            raise _error(404, "BadArgument", "conversation not found") from None

    def _describe(self, request: web.Request, conversation: Conversation, token: str) -> dict[str, Any]:
        scheme = "wss" if request.scheme == "https" else "ws"
        stream = f"{scheme}://{request.host}{API}/conversations/{conversation.id}/stream?t={token}"
        return {
            "conversationId": conversation.id,
            "token": token,
            "expires_in": self.tokens.lifetime_s,
            "streamUrl": stream,
            "referenceGrammarId": "",
        }

    async def generate(self, request: web.Request) -> web.Response:
        user_id = None
        if request.can_read_body:
            body = await _json_body(request)
            user = body.get("user") if isinstance(body, dict) else None
            if isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"].strip():
                user_id = user["id"].strip()
        conversation, token = self.new_conversation(user_id)
        return web.json_response(
            {"conversationId": conversation.id, "token": token, "expires_in": self.tokens.lifetime_s}
        )

    async def refresh(self, request: web.Request) -> web.Response:
        grant = self._grant(request)
        token = self.tokens.issue(grant.conversation_id, grant.user_id)
        return web.json_response(
            {"conversationId": grant.conversation_id, "token": token, "expires_in": self.tokens.lifetime_s}
        )

    async def start(self, request: web.Request) -> web.Response:
        grant = self._grant(request)
        conversation = self._conversation(grant.conversation_id)
        token = request.headers["Authorization"].partition(" ")[2].strip()
        status = 200 if conversation.started else 201
        if not conversation.started:
            conversation.started = True
            self._spawn(self._members_added(request, conversation))
        return web.json_response(self._describe(request, conversation, token), status=status)

    async def reconnect(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        token = request.headers["Authorization"].partition(" ")[2].strip()
        return web.json_response(self._describe(request, conversation, token))

    # ---- activities ----------------------------------------------------------------------

    async def post_activity(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            raise _error(400, "BadArgument", "an activity with a 'type' is required")
        activity = self._stamp_incoming(request, conversation, body)
        await self._deliver(conversation, activity)
        return web.json_response({"id": activity["id"]})

    async def upload(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        if not request.content_type.startswith("multipart/"):
            raise _error(400, "BadArgument", "upload must be multipart/form-data")
        activity: dict[str, Any] = {"type": "message"}
        attachments: list[dict[str, Any]] = []
        reader = await request.multipart()
        total = 0
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=True)
            total += len(data)
            if total > MAX_UPLOAD_BYTES:
                raise _error(413, "MessageSizeTooBig", f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            if part.name == "activity" and ("json" in content_type or "vnd.microsoft.activity" in content_type):
                try:
                    parsed = json.loads(data)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    raise _error(400, "BadArgument", "the activity part is not JSON") from None
                if isinstance(parsed, dict):
                    activity = parsed
                continue
            attachment_id = secrets.token_urlsafe(16)
            name = part.filename or part.name or "file"
            conversation.attachments[attachment_id] = StoredAttachment(content_type, name, data)
            url = f"{request.scheme}://{request.host}{API}/attachments/{conversation.id}/{attachment_id}"
            attachments.append({"contentType": content_type, "contentUrl": url, "name": name})
        activity.setdefault("type", "message")
        activity["attachments"] = [*(activity.get("attachments") or []), *attachments]
        stamped = self._stamp_incoming(request, conversation, activity)
        await self._deliver(conversation, stamped)
        return web.json_response({"id": stamped["id"]})

    async def attachment(self, request: web.Request) -> web.Response:
        conversation = self._conversation(request.match_info["conversation_id"])
        stored = conversation.attachments.get(request.match_info["attachment_id"])
        if stored is None:
            raise _error(404, "NotFound", "attachment not found")
        return web.Response(body=stored.data, content_type=stored.content_type.split(";")[0])

    async def get_activities(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        watermark = _watermark(request.query.get("watermark"))
        return web.json_response(
            {"activities": conversation.after(watermark), "watermark": str(conversation.watermark)}
        )

    async def stream(self, request: web.Request) -> web.StreamResponse:
        conversation_id = request.match_info["conversation_id"]
        try:
            grant = self.tokens.verify(request.query.get("t", ""))
        except TokenError as error:
            raise _error(403, "BadArgument", str(error)) from None
        if grant.conversation_id != conversation_id:
            raise _error(403, "BadArgument", "token is not valid for this conversation")
        conversation = self._conversation(conversation_id)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(_watermark(request.query.get("watermark")) + 1, len(conversation.activities)):
            queue.put_nowait(index)
        conversation.subscribers.add(queue)
        reader = asyncio.create_task(_drain(ws))
        self._sockets.add(ws)
        try:
            while not ws.closed and not reader.done():
                next_index = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({next_index, reader}, timeout=self.keepalive_s,
                                             return_when=asyncio.FIRST_COMPLETED)
                if next_index not in done:
                    next_index.cancel()
                    if not reader.done():
                        await ws.send_str("")  # keep-alive, as Direct Line sends
                    continue
                index = next_index.result()
                activity_set = {"activities": [conversation.activities[index]], "watermark": str(index)}
                await ws.send_str(json.dumps(activity_set))
        except ConnectionResetError:
            log.info("stream closed by client conversation=%s", conversation_id)
        finally:
            self._sockets.discard(ws)
            conversation.subscribers.discard(queue)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await ws.close()
        return ws

    # ---- connector service (the bot's side) ------------------------------------------------

    async def bot_reply(self, request: web.Request) -> web.Response:
        if not self.gateway.is_loopback_key(request.headers.get("Authorization", "")):
            raise _error(401, "Unauthorized", "only this bot may post to its local connector")
        conversation = self._conversation(request.match_info["conversation_id"])
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise _error(400, "BadArgument", "an activity is required")
        body.pop("id", None)
        body.update(
            channelId=CHANNEL_ID,
            conversation={"id": conversation.id},
            timestamp=_now(),
            **{"from": {**self.bot_account, **(body.get("from") or {}), "role": "bot"}},
        )
        body.setdefault("recipient", {"id": conversation.user_id, "role": "user"})
        if reply_to := request.match_info.get("reply_to_id"):
            body.setdefault("replyToId", reply_to)
        try:
            stored = self.store.append(conversation, body)
        except OverflowError as error:
            raise _error(507, "ConversationFull", str(error)) from None
        return web.json_response({"id": stored["id"]})

    async def bot_update(self, request: web.Request) -> web.Response:
        if not self.gateway.is_loopback_key(request.headers.get("Authorization", "")):
            raise _error(401, "Unauthorized", "only this bot may update its activities")
        conversation = self._conversation(request.match_info["conversation_id"])
        activity_id = request.match_info["activity_id"]
        body = await _json_body(request)
        if not isinstance(body, dict) or not self.store.replace(conversation, activity_id, body):
            raise _error(404, "NotFound", "activity not found")
        return web.json_response({"id": activity_id})

    async def bot_delete(self, request: web.Request) -> web.Response:
        if not self.gateway.is_loopback_key(request.headers.get("Authorization", "")):
            raise _error(401, "Unauthorized", "only this bot may delete its activities")
        self._conversation(request.match_info["conversation_id"])
        return web.Response(status=200)

    # ---- helpers ---------------------------------------------------------------------------

    def _service_url(self, request: web.Request) -> str:
        """This server's own connector base, reached over loopback from the bot."""
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        host, port = ("127.0.0.1", 3978) if not sockname else (sockname[0], sockname[1])
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}{CONNECTOR}"

    def _stamp_incoming(
        self, request: web.Request, conversation: Conversation, body: dict[str, Any]
    ) -> dict[str, Any]:
        sender = body.get("from") if isinstance(body.get("from"), dict) else {}
        activity = {
            **body,
            "channelId": CHANNEL_ID,
            "serviceUrl": self._service_url(request),
            "conversation": {"id": conversation.id},
            "recipient": dict(self.bot_account),
            "from": {"id": conversation.user_id, "name": sender.get("name") or "You", "role": "user"},
            "timestamp": _now(),
        }
        activity.pop("id", None)
        try:
            self.store.append(conversation, activity)
        except OverflowError as error:
            raise _error(507, "ConversationFull", str(error)) from None
        return activity

    async def _deliver(self, conversation: Conversation, activity: dict[str, Any]) -> None:
        try:
            parsed = Activity().deserialize(activity)
        except (DeserializationError, TypeError, ValueError, AttributeError) as error:
            raise _error(400, "BadArgument", f"not a valid activity: {error}") from None
        try:
            await self._run_turn(parsed)
        except (OSError, TimeoutError, PermissionError, ClientRequestError, HttpOperationError) as error:
            log.error("bot turn failed conversation=%s error=%s", conversation.id, type(error).__name__)
            raise _error(502, "BotError", "the bot could not process the activity") from None

    async def _members_added(self, request: web.Request, conversation: Conversation) -> None:
        """Tell the bot the bot and the user joined, as Direct Line does for a user-bound token."""
        update = {
            "type": "conversationUpdate",
            "channelId": CHANNEL_ID,
            "serviceUrl": self._service_url(request),
            "conversation": {"id": conversation.id},
            "recipient": dict(self.bot_account),
            "from": {"id": conversation.user_id, "role": "user"},
            "membersAdded": [dict(self.bot_account), {"id": conversation.user_id, "role": "user"}],
            "timestamp": _now(),
            "id": secrets.token_hex(8),
        }
        try:
            await self._run_turn(Activity().deserialize(update))
        except (OSError, TimeoutError, PermissionError, ClientRequestError, HttpOperationError,
                web.HTTPException) as error:
            log.error("welcome turn failed conversation=%s error=%s", conversation.id, type(error).__name__)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def shutdown(self, app: web.Application | None = None) -> None:
        """Stop background turns and close open streams, so the server can stop at once."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"server shutdown")

    async def close(self) -> None:
        await self.shutdown()
        await self.gateway.close()


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json(loads=json.loads)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _error(400, "BadArgument", "body is not valid JSON") from None


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) what the client sends, so a close is noticed at once."""
    async for message in ws:
        if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
            break


def _watermark(value: str | None) -> int:
    try:
        return int(value) if value not in (None, "") else -1
    except ValueError:
        raise _error(400, "BadArgument", "watermark must be an integer") from None


def add_directline_routes(app: web.Application, endpoint: DirectLineEndpoint) -> None:
    """Mount the Direct Line API and the connector routes on `app`."""
    conv = f"{API}/conversations/{{conversation_id}}"
    app.router.add_post(f"{API}/tokens/generate", endpoint.generate)
    app.router.add_post(f"{API}/tokens/refresh", endpoint.refresh)
    app.router.add_post(f"{API}/conversations", endpoint.start)
    app.router.add_get(conv, endpoint.reconnect)
    app.router.add_post(f"{conv}/activities", endpoint.post_activity)
    app.router.add_get(f"{conv}/activities", endpoint.get_activities)
    app.router.add_post(f"{conv}/upload", endpoint.upload)
    app.router.add_get(f"{conv}/stream", endpoint.stream)
    app.router.add_get(f"{API}/attachments/{{conversation_id}}/{{attachment_id}}", endpoint.attachment)
    bot_conv = f"{CONNECTOR}/v3/conversations/{{conversation_id}}"
    app.router.add_post(f"{bot_conv}/activities", endpoint.bot_reply)
    app.router.add_post(f"{bot_conv}/activities/{{reply_to_id}}", endpoint.bot_reply)
    app.router.add_put(f"{bot_conv}/activities/{{activity_id}}", endpoint.bot_update)
    app.router.add_delete(f"{bot_conv}/activities/{{activity_id}}", endpoint.bot_delete)
