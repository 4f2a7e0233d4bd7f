"""Embedded durable store: one SQLite file in WAL mode, safe for several bot processes.

Each write is one transaction (BEGIN IMMEDIATE) whose conditional UPDATE/INSERT checks
the eTag inside SQLite, so two processes sharing the file cannot lose an update.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from botbuilder.core import Storage

from bot.storage.codec import CREATE_ONLY_ETAG, decode_item, encode_item, etag_of, set_etag
from bot.storage.contract import is_unconditional
from bot.storage.errors import StateConflictError, StorageError, StorageUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_state (
    key        TEXT PRIMARY KEY,
    etag       TEXT NOT NULL,
    document   TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
_UPSERT = (
    "INSERT INTO bot_state (key, etag, document) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, document = excluded.document, "
    "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
)
_CREATE_ONLY = (
    "INSERT INTO bot_state (key, etag, document) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING"
)
_UPDATE_IF_MATCH = (
    "UPDATE bot_state SET etag = ?, document = ?, "
    "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE key = ? AND etag = ?"
)
_CHUNK = 500  # stays under SQLite's bound-parameter limit


class SqliteStorage(Storage):
    """botbuilder Storage on one SQLite file; opened on first use, closed by `close()`."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._conn: aiosqlite.Connection | None = None
        # One connection: the lock keeps one task's transaction from seeing another's.
        self._lock = asyncio.Lock()

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys or ()))
        rows: list[tuple[str, str, str]] = []
        async with self._lock:
            conn = await self._connection()
            for chunk in _chunks(wanted):
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT key, etag, document FROM bot_state WHERE key IN ({marks})"
                rows.extend(await self._fetch(conn, sql, chunk))
        return {key: decode_item(key, document, etag) for key, etag, document in rows}

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise TypeError("SqliteStorage.write: changes are required")
        if not changes:
            return
        planned = [
            (key, etag_of(item), encode_item(key, item), uuid.uuid4().hex)
            for key, item in changes.items()
        ]
        async with self._lock:
            conn = await self._connection()
            await self._run(conn, "BEGIN IMMEDIATE")
            try:
                for key, requested, document, new_etag in planned:
                    await self._write_one(conn, key, requested, document, new_etag)
                await self._run(conn, "COMMIT")
            except BaseException:
                await self._rollback(conn)
                raise
        for (_, _, _, new_etag), item in zip(planned, changes.values(), strict=True):
            set_etag(item, new_etag)

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(dict.fromkeys(keys or ()))
        if not doomed:
            return
        async with self._lock:
            conn = await self._connection()
            await self._run(conn, "BEGIN IMMEDIATE")
            try:
                for chunk in _chunks(doomed):
                    marks = ",".join("?" * len(chunk))
                    await self._run(conn, f"DELETE FROM bot_state WHERE key IN ({marks})", chunk)
                await self._run(conn, "COMMIT")
            except BaseException:
                await self._rollback(conn)
                raise

    async def close(self) -> None:
        """Close the connection (a later call opens it again)."""
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()

    async def __aenter__(self) -> SqliteStorage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _write_one(
        self, conn: aiosqlite.Connection, key: str, requested: str | None, document: str,
        new_etag: str,
    ) -> None:
        if requested == "":
            raise StateConflictError(key, "the item carries an empty eTag")
        if is_unconditional(requested):
            await self._run(conn, _UPSERT, (key, new_etag, document))
            return
        if requested == CREATE_ONLY_ETAG:
            changed = await self._run(conn, _CREATE_ONLY, (key, new_etag, document))
            if changed == 0:
                raise StateConflictError(key, "an item was created by another writer")
            return
        changed = await self._run(conn, _UPDATE_IF_MATCH, (new_etag, document, key, requested))
        if changed == 0:
            raise StateConflictError(key, f"stale eTag {requested!r} or item deleted")

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None
            )
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailableError(
                f"cannot open the state database {str(self.path)!r}: {error}"
            ) from error
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute(_SCHEMA)
        except sqlite3.Error as error:
            await conn.close()
            raise StorageUnavailableError(
                f"cannot prepare the state database {str(self.path)!r}: {error}"
            ) from error
        self._conn = conn
        return conn

    async def _run(
        self, conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
    ) -> int:
        try:
            cursor = await conn.execute(sql, params)
            changed = cursor.rowcount
            await cursor.close()
            return changed
        except sqlite3.Error as error:
            raise _storage_error(self.path, error) from error

    async def _fetch(
        self, conn: aiosqlite.Connection, sql: str, params: Sequence[Any]
    ) -> list[tuple[str, str, str]]:
        try:
            async with conn.execute(sql, params) as cursor:
                return [tuple(row) for row in await cursor.fetchall()]  # type: ignore[misc]
        except sqlite3.Error as error:
            raise _storage_error(self.path, error) from error

    async def _rollback(self, conn: aiosqlite.Connection) -> None:
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # no transaction left to roll back (SQLite already ended it)


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def _storage_error(path: Path, error: sqlite3.Error) -> StorageError:
    """Map SQLite errors: I/O, locking, read-only, full disk -> unavailable; others generic."""
    if isinstance(error, sqlite3.OperationalError):
        return StorageUnavailableError(f"state database {str(path)!r} failed: {error}")
    return StorageError(f"state database {str(path)!r} failed: {error}")
