"""Replays conversations against a running bot over HTTP, playing the channel.

It posts activities to the bot's `/api/messages` stamped the way the Emulator stamps
them, and serves the Bot Connector routes the bot replies on
(`/v3/conversations/{id}/activities[/{replyToId}]`), so what is compared is exactly
what a user of that deployment would see. Engine lines are reported, not applied:
a live bot runs on its own engines.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from chatscripts.model import Conversation, EngineStep, Outcome
from chatscripts.runner import TurnFailed, replay, resolve_members

BOT_ACCOUNT = {"id": "bot", "name": "Bot", "role": "bot"}


class ChannelServer:
    """The connector side: receives the bot's replies per conversation."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None) -> None:
        self._host, self._port, self._public_url = host, port, public_url
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> ChannelServer:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._receive)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{reply_to_id}", self._receive)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._update)
        app.router.add_delete("/v3/conversations/{conversation_id}/activities/{activity_id}", self._delete)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        port = self._runner.addresses[0][1]
        self.url = (self._public_url or f"http://{self._host}:{port}").rstrip("/")
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            activity = await request.json()
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        activity.setdefault("id", f"reply-{next(self._ids)}")
        self.received[request.match_info["conversation_id"]].append(activity)
        return web.json_response({"id": activity["id"]})

    async def _update(self, request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["activity_id"]})

    async def _delete(self, request: web.Request) -> web.Response:
        return web.Response(status=200)


class LiveChannel:
    """One conversation with a live bot: a fresh conversation id and user per replay."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        bot_url: str,
        server: ChannelServer,
        *,
        channel_id: str = "emulator",
        locale: str | None = None,
        settle_s: float = 0.0,
    ) -> None:
        self._session, self._bot_url, self._server = session, bot_url, server
        self._channel_id, self._locale, self._settle_s = channel_id, locale or "en-US", settle_s
        self.conversation_id = f"{uuid.uuid4()}|livechat"
        self.user = {"id": f"user-{uuid.uuid4().hex[:8]}", "name": "User", "role": "user"}

    def stamp(self, activity: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "id": str(uuid.uuid4()),
            "channelId": self._channel_id,
            "serviceUrl": self._server.url,
            "conversation": {"id": self.conversation_id},
            "from": self.user,
            "recipient": BOT_ACCOUNT,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.astimezone().isoformat(),
            "locale": self._locale,
            **resolve_members(activity, BOT_ACCOUNT, self.user),
        }

    async def send(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        received = self._server.received[self.conversation_id]
        before = len(received)
        try:
            async with self._session.post(self._bot_url, json=self.stamp(activity)) as response:
                body = await response.text()
                if response.status >= 300:
                    raise TurnFailed(f"HTTP {response.status} from {self._bot_url}: {body[:200]}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TurnFailed(f"cannot reach {self._bot_url}: {type(error).__name__} {error}") from error
        if self._settle_s > 0:  # replies a bot sends after answering the POST
            await asyncio.sleep(self._settle_s)
        return list(received[before:])

    def script_engine(self, step: EngineStep) -> str | None:
        return "ignored: a live bot runs on its own engines"


async def run_live(
    conversations: Sequence[Conversation],
    bot_url: str,
    *,
    channel_id: str = "emulator",
    listen: tuple[str, int] = ("127.0.0.1", 0),
    public_url: str | None = None,
    settle_s: float = 0.0,
    timeout_s: float = 30.0,
) -> list[Outcome]:
    """Replay each conversation, one after another, against the bot at `bot_url`."""
    server = await ChannelServer(listen[0], listen[1], public_url).start()
    outcomes = []
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for conversation in conversations:
                channel = LiveChannel(
                    session, bot_url, server,
                    channel_id=channel_id, locale=conversation.locale, settle_s=settle_s,
                )
                outcomes.append(await replay(conversation, channel))
    finally:
        await server.stop()
    return outcomes
