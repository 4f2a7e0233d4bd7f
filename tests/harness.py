"""A channel harness that plays the Bot Framework Emulator over real HTTP.

It posts activities stamped the way the Emulator stamps them to a running bot, and
serves the Bot Connector routes the bot replies on (`/v3/conversations/{id}/activities`
and `.../activities/{replyToId}`), so end-to-end tests see exactly what a user would.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

BOT_ACCOUNT = {"id": "showcase-bot", "name": "Showcase Bot", "role": "bot"}


@dataclass
class PostResult:
    status: int
    body: Any
    replies: list[dict]


@dataclass
class EmulatorChannel:
    """The connector side: receives the bot's replies, like the Emulator's service."""

    received: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    reply_paths: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=itertools.count)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> EmulatorChannel:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._receive)
        app.router.add_post(
            "/v3/conversations/{conversation_id}/activities/{reply_to_id}", self._receive
        )
        app.router.add_put(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", self._update
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        activity = await request.json()
        conversation_id = request.match_info["conversation_id"]
        self.reply_paths.append(request.path)
        activity.setdefault("id", f"reply-{next(self._ids)}")
        self.received[conversation_id].append(activity)
        return web.json_response({"id": activity["id"]})

    async def _update(self, request: web.Request) -> web.Response:
        activity = await request.json()
        return web.json_response({"id": request.match_info["activity_id"], **{"updated": bool(activity)}})


class EmulatorConversation:
    """One conversation between a user and the bot, stamped as the Emulator does."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        bot_url: str,
        channel: EmulatorChannel,
        *,
        locale: str = "en-US",
        user_id: str | None = None,
        channel_id: str = "emulator",
    ) -> None:
        self._session = session
        self._bot_url = bot_url
        self._channel = channel
        self.locale = locale
        self.channel_id = channel_id
        self.conversation_id = f"{uuid.uuid4()}|livechat"
        self.user = {"id": user_id or f"user-{uuid.uuid4().hex[:8]}", "name": "User", "role": "user"}

    def stamp(self, activity: dict) -> dict:
        now = datetime.now(UTC)
        return {
            "id": str(uuid.uuid4()),
            "channelId": self.channel_id,
            "serviceUrl": self._channel.url,
            "conversation": {"id": self.conversation_id},
            "from": self.user,
            "recipient": BOT_ACCOUNT,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.astimezone().isoformat(),
            "locale": self.locale,
            "channelData": {"clientActivityID": uuid.uuid4().hex},
            **activity,
        }

    async def post(self, activity: dict, *, headers: dict | None = None) -> PostResult:
        """Post one activity; replies sent during the turn are collected before the POST returns."""
        before = len(self._channel.received[self.conversation_id])
        async with self._session.post(self._bot_url, json=self.stamp(activity), headers=headers) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            status = response.status
        replies = self._channel.received[self.conversation_id][before:]
        return PostResult(status, body, list(replies))

    async def join(self) -> list[dict]:
        """The Emulator's opening conversationUpdate with the bot and the user added."""
        result = await self.post(
            {"type": "conversationUpdate", "membersAdded": [BOT_ACCOUNT, self.user]}
        )
        assert result.status in (200, 201), result
        return result.replies

    async def say(self, text: str, **extra: Any) -> list[dict]:
        result = await self.post({"type": "message", "text": text, "textFormat": "plain", **extra})
        assert result.status in (200, 201), result
        return result.replies

    async def say_texts(self, text: str, **extra: Any) -> list[str]:
        return [reply.get("text") or "" for reply in await self.say(text, **extra) if reply["type"] == "message"]


class Harness:
    """Owns the fake channel and an HTTP session; opens conversations against one bot URL."""

    def __init__(self, bot_url: str) -> None:
        self.bot_url = bot_url
        self.channel = EmulatorChannel()
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Harness:
        await self.channel.start()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()
        await self.channel.stop()

    def conversation(self, **options: Any) -> EmulatorConversation:
        assert self.session is not None, "use `async with Harness(...)`"
        return EmulatorConversation(self.session, self.bot_url, self.channel, **options)


async def wait_until_ready(url: str, timeout_s: float = 30.0) -> None:
    """Poll a health URL until it answers 200 (for bots started as a subprocess)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not become ready in {timeout_s} s")
            await asyncio.sleep(0.1)
