"""Test stores and direct readers: what a rival replica or a broken disk does, and what is really stored."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from azure.storage.blob.aio import ContainerClient
from botbuilder.core import Storage

from bot.storage import StorageUnavailableError
from bot.storage.blob_store import RESERVED_METADATA


class RivalStorage(Storage):
    """Wraps a real store; before each of the next `rival_writes` writes, another replica writes first.

    The rival re-reads every key about to be written and writes it back with `rival`
    incremented, exactly as a second bot process finishing a turn in between would.
    """

    def __init__(self, inner: Storage, rival_writes: int) -> None:
        self.inner = inner
        self.rival_writes = rival_writes
        self.writes = 0

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        return await self.inner.read(keys)

    async def write(self, changes: Mapping[str, Any]) -> None:
        if self.rival_writes > 0:
            self.rival_writes -= 1
            for key in changes:
                item = (await self.inner.read([key])).get(key) or {}
                item["rival"] = item.get("rival", 0) + 1
                await self.inner.write({key: item})
        self.writes += 1
        await self.inner.write(changes)

    async def delete(self, keys: Iterable[str]) -> None:
        await self.inner.delete(keys)


class OneKeyRivalStorage(Storage):
    """Wraps a real store; before the next write that includes `key`, another replica updates only `key`.

    That is the same user finishing a turn in another conversation, on another replica,
    between this turn's read and its write: the conversation record is not involved.
    """

    def __init__(self, inner: Storage, key: str) -> None:
        self.inner = inner
        self.key = key
        self.armed = False
        self.rival_writes = 0

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        return await self.inner.read(keys)

    async def write(self, changes: Mapping[str, Any]) -> None:
        if self.armed and self.key in changes:
            self.armed = False
            item = (await self.inner.read([self.key])).get(self.key) or {}
            item["elsewhere"] = item.get("elsewhere", 0) + 1
            await self.inner.write({self.key: item})
            self.rival_writes += 1
        await self.inner.write(changes)

    async def delete(self, keys: Iterable[str]) -> None:
        await self.inner.delete(keys)


class BrokenStorage(Storage):
    """Wraps a real store whose reads or writes fail as an unreachable server or full disk does."""

    def __init__(self, inner: Storage, *, reads_fail: bool = False, writes_fail: bool = True) -> None:
        self.inner = inner
        self.reads_fail = reads_fail
        self.writes_fail = writes_fail

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        if self.reads_fail:
            raise StorageUnavailableError("test: the store is unreachable")
        return await self.inner.read(keys)

    async def write(self, changes: Mapping[str, Any]) -> None:
        if self.writes_fail:
            raise StorageUnavailableError("test: the store is unreachable")
        await self.inner.write(changes)

    async def delete(self, keys: Iterable[str]) -> None:
        await self.inner.delete(keys)


def sqlite_records(path: Path) -> dict[str, dict[str, Any]]:
    """Every record in a bot's SQLite file, read with the standard library (not the bot's code)."""
    if not path.exists():
        return {}
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT key, document FROM bot_state").fetchall()
    finally:
        connection.close()
    return {key: json.loads(document) for key, document in rows}


async def blob_records(connection_string: str, container: str) -> dict[str, dict[str, Any]]:
    """Every record in a bot's blob container, read with the Azure SDK (not the bot's code)."""
    found: dict[str, dict[str, Any]] = {}
    async with ContainerClient.from_connection_string(connection_string, container) as client:
        if not await client.exists():
            return found
        async for blob in client.list_blobs(include=["metadata"]):
            if RESERVED_METADATA in (blob.metadata or {}):
                continue  # a writer's placeholder for a record it is creating: not a record
            downloader = await client.download_blob(blob.name, encoding="utf-8")
            found[unquote(blob.name)] = json.loads(await downloader.readall())
    return found


def conversation_key(conversation_id: str, channel_id: str = "emulator") -> str:
    return f"{channel_id}/conversations/{conversation_id}"


def user_key(user_id: str, channel_id: str = "emulator") -> str:
    return f"{channel_id}/users/{user_id}"


def turns_of(record: dict[str, Any] | None) -> int:
    """The conversation's uncapped turn counter as stored (ConversationProfile.turns)."""
    return int(((record or {}).get("profile") or {}).get("turns", 0))
