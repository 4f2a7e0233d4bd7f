"""A local Direct Line 3.0 endpoint and the connector-service routes the bot replies on.

Clients (Web Chat, botframework-directlinejs) talk to `/v3/directline/...` with a token
bound to one conversation and one server-assigned user; the endpoint stamps their
activities as the `webchat` channel, runs the bot turn in-process, and stores the bot's
replies, which arrive on `/directline-connector/v3/conversations/{id}/activities`, for
polling and the stream. Everything it accepts is bounded (see store.py, uploads.py,
ratelimit.py, generate_auth.py), and every refusal is a 4xx/5xx with a JSON reason.

One module, over 300 lines: the Direct Line 3.0 routes (conversations, activities, stream,
uploads, connector) share the token checks and the conversation lookup, as the protocol does.
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

from aiohttp import WSMsgType, web
from aiohttp.http_exceptions import BadHttpMessage
from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.activity_reader import deserialize_activity
from bot.activity_schema import InvalidActivity
from bot.channels.webchat.gateway import BotGateway
from bot.channels.webchat.generate_auth import GeneratePolicy, new_user_id, valid_user_id
from bot.channels.webchat.ratelimit import RateLimiter, client_key
from bot.channels.webchat.store import (
    CLOSED,
    ActivityTooLarge,
    Conversation,
    ConversationFull,
    ConversationStore,
    StoredAttachment,
    StoreFull,
    UnknownConversation,
)
from bot.channels.webchat.tokens import TokenError, TokenGrant, TokenIssuer, bearer_token
from bot.channels.webchat.uploads import MAX_UPLOAD_BYTES, UploadRefused, download_headers, read_upload
from bot.messages import parse_activity_off_loop

log = logging.getLogger("bot.channels.webchat.directline")

API = "/v3/directline"
MAX_ACTIVITY_TEXT = 512 * 1024  # the app's body limit bounds it first; longer texts get the bot's reply
MAX_WATERMARK_DIGITS = 12
CONNECTOR = "/directline-connector"
CHANNEL_ID = "webchat"
KEEPALIVE_S = 20.0
MAX_STREAMS_PER_CONVERSATION = 8
MAX_NAME_CHARS = 64
NO_STORE = {"Cache-Control": "no-store"}

TurnRunner = Callable[[Activity], Awaitable[None]]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
    413: web.HTTPRequestEntityTooLarge, 415: web.HTTPUnsupportedMediaType, 429: web.HTTPTooManyRequests,
    502: web.HTTPBadGateway, 503: web.HTTPServiceUnavailable, 507: web.HTTPInsufficientStorage,
}


def _error(status: int, code: str, message: str, *, retry_after_s: int | None = None) -> web.HTTPException:
    """A Direct Line style error body (`{"error": {"code", "message"}}`) with its status."""
    body = json.dumps({"error": {"code": code, "message": message}})
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    if status == 413:  # aiohttp's 413 wants sizes in its constructor; the reason is ours
        return web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0, text=body,
                                              content_type="application/json", headers=headers)
    return _STATUS[status](text=body, content_type="application/json", headers=headers)


def enforce_rate_limit(limiter: RateLimiter, request: web.Request) -> None:
    """Spend one of this client's token-minting requests, or answer 429 with Retry-After."""
    decision = limiter.take(client_key(request.remote))
    if not decision.allowed:
        raise _error(429, "TooManyRequests", f"at most {limiter.per_minute} tokens a minute per client",
                     retry_after_s=decision.retry_after_s)


class DirectLineEndpoint:
    """The endpoint's state and handlers; built once per app by `add_webchat_routes`."""

    def __init__(
        self,
        store: ConversationStore,
        tokens: TokenIssuer,
        gateway: BotGateway,
        run_turn: TurnRunner,
        bot_account: dict[str, str],
        *,
        generate_policy: GeneratePolicy,
        limiter: RateLimiter,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.gateway = gateway
        self._run_turn = run_turn
        self.bot_account = bot_account
        self.generate_policy = generate_policy
        self.limiter = limiter
        self.keepalive_s = keepalive_s
        self._tasks: set[asyncio.Task] = set()
        self._sockets: set[web.WebSocketResponse] = set()

    # ---- tokens and conversations -------------------------------------------------------

    def new_conversation(self, user_id: str | None = None) -> tuple[Conversation, str]:
        """A conversation (not started yet) and a token for it; 503 when the store is full.

        The user id is server-assigned unless a trusted caller (one holding the secret) named it.
        """
        try:
            conversation = self.store.create(user_id or new_user_id())
        except StoreFull as error:
            raise _error(503, "ServiceUnavailable", str(error), retry_after_s=error.retry_after_s) from None
        return conversation, self.tokens.issue(conversation.id, conversation.user_id)

    def _grant(self, request: web.Request, conversation_id: str | None = None) -> tuple[TokenGrant, str]:
        try:
            token = bearer_token(request.headers.get("Authorization", ""))
        except TokenError as error:
            raise _error(401, "BadArgument", str(error)) from None
        return self._verify(token, conversation_id), token

    def _verify(self, token: str, conversation_id: str | None) -> TokenGrant:
        try:
            grant = self.tokens.verify(token)
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
        # The token rides in the stream URL as in Azure Direct Line (a browser WebSocket cannot
        # send headers); the access log (access_log.py) leaves query strings out.
        stream = f"{scheme}://{request.host}{API}/conversations/{conversation.id}/stream?t={token}"
        return {
            "conversationId": conversation.id,
            "token": token,
            "expires_in": self.tokens.lifetime_s,
            "streamUrl": stream,
            "referenceGrammarId": "",
        }

    async def generate(self, request: web.Request) -> web.Response:
        verdict = self.generate_policy.check(request.headers.get("Authorization", ""))
        if not verdict.trusted:
            enforce_rate_limit(self.limiter, request)  # before the refusal: guessing the secret costs tokens
        if verdict.status:
            raise _error(verdict.status, "Unauthorized" if verdict.status == 401 else "Forbidden", verdict.reason)
        user_id = None
        if verdict.trusted and request.can_read_body:
            body = await _json_body(request)
            user = body.get("user") if isinstance(body, dict) else None
            if isinstance(user, dict) and user.get("id") not in (None, ""):
                user_id = valid_user_id(user["id"])
                if user_id is None:
                    raise _error(400, "BadArgument", "user.id must be 1-64 letters, digits or _.:@+=-")
        conversation, token = self.new_conversation(user_id)
        return web.json_response(
            {"conversationId": conversation.id, "token": token, "expires_in": self.tokens.lifetime_s},
            headers=NO_STORE,
        )

    async def refresh(self, request: web.Request) -> web.Response:
        grant, _ = self._grant(request)
        with contextlib.suppress(UnknownConversation):
            self.store.get(grant.conversation_id)  # a client refreshing its token is still there
        token = self.tokens.issue(grant.conversation_id, grant.user_id)
        return web.json_response(
            {"conversationId": grant.conversation_id, "token": token, "expires_in": self.tokens.lifetime_s},
            headers=NO_STORE,
        )

    async def start(self, request: web.Request) -> web.Response:
        grant, token = self._grant(request)
        conversation = self._conversation(grant.conversation_id)
        status = 200 if conversation.started else 201
        if not conversation.started:
            conversation.started = True
            self._spawn(self._members_added(request, conversation))
        return web.json_response(self._describe(request, conversation, token), status=status, headers=NO_STORE)

    async def reconnect(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        _, token = self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        return web.json_response(self._describe(request, conversation, token), headers=NO_STORE)

    # ---- activities ----------------------------------------------------------------------

    async def post_activity(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            raise _error(400, "BadArgument", "an activity with a 'type' is required")
        activity = self._stamp_incoming(request, conversation, body)
        parsed = await _parse(activity, request.content_length or 0)
        self._store(conversation, activity)
        await self._deliver(conversation, parsed, activity)
        return web.json_response({"id": activity["id"]})

    async def upload(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        self._grant(request, conversation_id)
        conversation = self._conversation(conversation_id)
        if not request.content_type.startswith("multipart/"):
            raise _error(400, "BadArgument", "upload must be multipart/form-data")
        try:
            upload = await read_upload(await request.multipart(),
                                       min(MAX_UPLOAD_BYTES, self.store.conversation_bytes))
        except UploadRefused as refused:
            raise _error(refused.status, refused.code, str(refused)) from None
        except (ValueError, AssertionError, KeyError, BadHttpMessage):  # aiohttp's parser on a broken body
            raise _error(400, "BadArgument", "the upload is not valid multipart/form-data") from None
        activity: dict[str, Any] = {"type": "message"}
        if upload.activity is not None:
            try:
                parsed_part = json.loads(upload.activity)
            except (ValueError, RecursionError):  # bad UTF-8 or JSON, or a 4,300-digit number
                raise _error(400, "BadArgument", "the activity part is not JSON") from None
            if isinstance(parsed_part, dict):
                activity = parsed_part
        files: dict[str, StoredAttachment] = {}
        described: list[dict[str, Any]] = []
        for file in upload.files:
            attachment_id = secrets.token_urlsafe(16)
            files[attachment_id] = StoredAttachment(file.content_type, file.name, file.data)
            url = f"{request.scheme}://{request.host}{API}/attachments/{conversation.id}/{attachment_id}"
            described.append({"contentType": file.content_type, "contentUrl": url, "name": file.name})
        if not isinstance(activity.get("type"), str) or not activity["type"]:
            activity["type"] = "message"
        given = activity.get("attachments")
        activity["attachments"] = [*(given if isinstance(given, list) else []), *described]
        stamped = self._stamp_incoming(request, conversation, activity)
        parsed = await _parse(stamped, request.content_length or 0)
        self._store(conversation, stamped, files)
        await self._deliver(conversation, parsed, stamped)
        return web.json_response({"id": stamped["id"]})

    async def attachment(self, request: web.Request) -> web.Response:
        stored = self.store.attachment(request.match_info["conversation_id"], request.match_info["attachment_id"])
        if stored is None:
            raise _error(404, "NotFound", "attachment not found")
        return web.Response(body=stored.data, headers=download_headers(stored.name, stored.content_type))

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
        token = request.query.get("t", "")
        if not token:
            _, token = self._grant(request, conversation_id)
        self._verify(token, conversation_id)
        conversation = self._conversation(conversation_id)
        if len(conversation.subscribers) >= MAX_STREAMS_PER_CONVERSATION:
            raise _error(429, "TooManyRequests", f"at most {MAX_STREAMS_PER_CONVERSATION} streams per conversation",
                         retry_after_s=int(self.keepalive_s))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        queue: asyncio.Queue[int] = asyncio.Queue()
        start = max(_watermark(request.query.get("watermark")) + 1, conversation.first_watermark)
        for watermark in range(start, conversation.next_watermark):
            queue.put_nowait(watermark)
        conversation.subscribers.add(queue)
        reader = asyncio.create_task(_drain(ws))
        self._sockets.add(ws)
        try:
            while not ws.closed and not reader.done():
                next_watermark = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({next_watermark, reader}, timeout=self.keepalive_s,
                                             return_when=asyncio.FIRST_COMPLETED)
                if next_watermark not in done:
                    next_watermark.cancel()
                    if not reader.done():
                        await ws.send_str("")  # keep-alive, as Direct Line sends
                    continue
                watermark = next_watermark.result()
                if watermark == CLOSED:
                    await ws.close(code=1000, message=b"conversation ended")
                    break
                activity = conversation.activity_at(watermark)
                if activity is None:
                    continue  # dropped (history budget or "delete my data") before it was sent
                await ws.send_str(json.dumps({"activities": [activity], "watermark": str(watermark)}))
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
        stored = self._store(conversation, body)
        return web.json_response({"id": stored["id"]})

    async def bot_update(self, request: web.Request) -> web.Response:
        if not self.gateway.is_loopback_key(request.headers.get("Authorization", "")):
            raise _error(401, "Unauthorized", "only this bot may update its activities")
        conversation = self._conversation(request.match_info["conversation_id"])
        activity_id = request.match_info["activity_id"]
        body = await _json_body(request)
        try:
            replaced = isinstance(body, dict) and self.store.replace(conversation, activity_id, body)
        except ActivityTooLarge as error:
            raise _error(413, "MessageSizeTooBig", str(error)) from None
        except ConversationFull as error:
            raise _error(507, "ConversationFull", str(error)) from None
        if not replaced:
            raise _error(404, "NotFound", "activity not found")
        return web.json_response({"id": activity_id})

    async def bot_delete(self, request: web.Request) -> web.Response:
        if not self.gateway.is_loopback_key(request.headers.get("Authorization", "")):
            raise _error(401, "Unauthorized", "only this bot may delete its activities")
        self._conversation(request.match_info["conversation_id"])
        return web.Response(status=200)

    # ---- "delete my data" --------------------------------------------------------------------

    async def erase_user(self, channel_id: str, conversation_id: str, user_id: str) -> None:
        """The bot's eraser (dialogs.state.Eraser): forget a Web Chat user's history and uploads.

        The conversation the user asked from is emptied and stays open for the bot's
        confirmation; the user's other conversations are removed and their streams closed.
        """
        if channel_id != CHANNEL_ID or not user_id:
            return
        touched = self.store.erase_user(conversation_id, user_id)
        log.info("erased direct line data conversation=%s conversations=%d", conversation_id, touched)

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
        """The client's activity as the channel vouches for it: the token's user, never the claimed one."""
        sender = body.get("from") if isinstance(body.get("from"), dict) else {}
        name = sender.get("name") if isinstance(sender.get("name"), str) else ""
        activity = {
            **body,
            "channelId": CHANNEL_ID,
            "serviceUrl": self._service_url(request),
            "conversation": {"id": conversation.id},
            "recipient": dict(self.bot_account),
            "from": {"id": conversation.user_id, "name": name[:MAX_NAME_CHARS] or "You", "role": "user"},
            "timestamp": _now(),
        }
        activity.pop("id", None)
        return activity

    def _store(
        self, conversation: Conversation, activity: dict[str, Any],
        attachments: dict[str, StoredAttachment] | None = None,
    ) -> dict[str, Any]:
        try:
            return self.store.append(conversation, activity, attachments)
        except ActivityTooLarge as error:
            raise _error(413, "MessageSizeTooBig", str(error)) from None
        except ConversationFull as error:
            raise _error(507, "ConversationFull", str(error)) from None
        except UnknownConversation:
            raise _error(404, "BadArgument", "conversation not found") from None

    async def _deliver(self, conversation: Conversation, parsed: Activity, activity: dict[str, Any]) -> None:
        parsed.id = activity["id"]
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
            await self._run_turn(deserialize_activity(update))
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
        self.store.close()
        await self.gateway.close()


async def _parse(activity: dict[str, Any], size: int) -> Activity:
    """The botbuilder Activity, checked as /api/messages checks it, before anything is stored."""
    try:
        return await parse_activity_off_loop(activity, max_text=MAX_ACTIVITY_TEXT, size=size)
    except InvalidActivity as error:
        raise _error(400, "BadArgument", str(error)) from None


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json(loads=json.loads)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or a 4,300-digit number
        raise _error(400, "BadArgument", "body is not valid JSON") from None


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) what the client sends, so a close is noticed at once."""
    async for message in ws:
        if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
            break


def _watermark(value: str | None) -> int:
    if value in (None, ""):
        return -1
    if len(value) > MAX_WATERMARK_DIGITS or not value.lstrip("-").isascii() or not value.lstrip("-").isdigit():
        raise _error(400, "BadArgument", "watermark must be an integer")
    return int(value)


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
