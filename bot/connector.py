"""A Bot Connector client whose hot calls go over one shared aiohttp session.

botbuilder's msrest ConnectorClient sends every reply through `requests` in a thread
pool; on a 2-core machine that thread hop, not the bot, limits turns per second.
`FastConnectorClient` sends the four calls a turn makes (reply, send, update,
delete) with aiohttp on the event loop and hands every other operation (members,
attachments, Teams calls) to the stock client unchanged.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector.aio import ConnectorClient

from bot.activity_json import activity_json


class ConnectorError(Exception):
    """The channel answered a connector call with an error status."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} -> {status}: {body[:200]}")
        self.status = status


class _FastConversations:
    def __init__(self, client: FastConnectorClient) -> None:
        self._client = client

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Activity, **_: Any):
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return await self._client.post_activity("POST", path, activity)

    async def send_to_conversation(self, conversation_id: str, activity: Activity, **_: Any):
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
        return await self._client.post_activity("POST", path, activity)

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Activity, **_: Any):
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return await self._client.post_activity("PUT", path, activity)

    async def delete_activity(self, conversation_id: str, activity_id: str, **_: Any) -> None:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        await self._client.request("DELETE", path, None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client.stock.conversations, name)


class FastConnectorClient:
    """Quacks like botframework's ConnectorClient for everything botbuilder calls."""

    def __init__(self, stock: ConnectorClient, session: aiohttp.ClientSession, base_url: str) -> None:
        self.stock = stock
        self.config = stock.config
        self._session = session
        self._base_url = base_url.rstrip("/") + "/"
        self.conversations = _FastConversations(self)
        self.attachments = stock.attachments

    async def _headers(self) -> dict[str, str]:
        credentials = self.config.credentials
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if credentials is not None and getattr(credentials, "_should_set_token", lambda _: False)(None):
            # MSAL caches the token; the first call may go to the network, so not on the loop.
            token = await asyncio.to_thread(credentials.get_access_token)
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def request(self, method: str, path: str, body: Any) -> Any:
        url = self._base_url + path
        async with self._session.request(method, url, json=body, headers=await self._headers()) as response:
            text = await response.text()
            if response.status >= 400:
                raise ConnectorError(method, url, response.status, text)
            if not text:
                return None
            try:
                return json.loads(text)  # the body once: response.json() would decode it again
            except ValueError:
                return None

    async def post_activity(self, method: str, path: str, activity: Activity) -> ResourceResponse:
        payload = await self.request(method, path, activity_json(activity))
        activity_id = payload.get("id") if isinstance(payload, dict) else None
        return ResourceResponse(id=activity_id or activity.id or "")

    async def close(self) -> None:
        await self.stock.__aexit__(None, None, None)
