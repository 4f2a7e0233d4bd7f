"""Embedded durable store: one SQLite file in WAL mode, safe for several bot processes.

Writes are checked inside one transaction (BEGIN IMMEDIATE): the conditional UPDATE/INSERT
checks the eTag inside SQLite, so two processes sharing the file cannot lose an update.
Group commit: the writes of concurrent turns that queue while a transaction runs go
together in the next one, each inside its own SAVEPOINT, so each keeps its all-or-nothing
eTag check and its own error, and the file is committed once for all of them.
WAL with synchronous=NORMAL: a committed turn survives a crash of the bot process; a
power loss or OS crash may lose the last transactions since the latest WAL checkpoint,
never corrupting the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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
_LOOP_READ_KEYS = 8  # reads of at most this many keys (a turn reads two) run on the event loop
T = TypeVar("T")
Planned = list[tuple[str, "str | None", str, str]]  # (key, requested eTag, document, new eTag)


@dataclass
class _QueuedWrite:
    planned: Planned
    done: asyncio.Future[None]


class SqliteStorage(Storage):
    """botbuilder Storage on one SQLite file; opened on first use, closed by `close()`.

    One connection, owned by one thread: each write or delete (and any read that cannot be
    served on the loop) is a whole transaction run there in a single hop from the event
    loop (not a hop per statement), and the thread serialises them, so no transaction sees
    another's half. A turn's small read runs on the loop's own read-only use of a second
    connection (`_read_on_loop`), which sees only committed transactions.
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._loop_reader: sqlite3.Connection | None = None  # the event loop's own, for small reads
        self._thread: ThreadPoolExecutor | None = None
        self._queued: list[_QueuedWrite] = []  # writes waiting for the next group commit
        self._committer: asyncio.Task[None] | None = None
        self.commits = 0  # transactions that wrote (group commits), for tests and benches
        self.writes = 0  # write() calls they carried

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys or ()))
        if not wanted:
            return {}
        rows = self._read_on_loop(wanted)
        if rows is None:
            rows = await self._in_thread(self._read_rows, wanted)
        return {key: decode_item(key, document, etag) for key, etag, document in rows}

    def _read_on_loop(self, wanted: list[str]) -> list[tuple[str, str, str]] | None:
        """A turn's read (a primary-key lookup or two) without a thread hop; None sends it to the thread.

        In WAL mode a reader never waits for a writer: it reads the last commit, from the
        page cache in tens of microseconds, cheaper than handing it to the thread and back.
        This connection never waits (busy timeout 0): when SQLite answers busy (WAL recovery,
        another process holding the file exclusively) or anything fails, the read goes to
        the connection thread, which waits and reports errors as before. Large reads and the
        first read (which creates and prepares the file) go there too.
        """
        if self._conn is None or len(wanted) > _LOOP_READ_KEYS:
            return None
        try:
            if self._loop_reader is None:
                self._loop_reader = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            return _select_rows(self._loop_reader, wanted)
        except sqlite3.Error:
            self._close_loop_reader()  # a fresh one next time
            return None

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise TypeError("SqliteStorage.write: changes are required")
        if not changes:
            return
        planned = [
            (key, etag_of(item), encode_item(key, item), uuid.uuid4().hex)
            for key, item in changes.items()
        ]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append(_QueuedWrite(planned, done))
        if self._committer is None:
            self._committer = asyncio.ensure_future(self._commit_queued())
        await done
        for (_, _, _, new_etag), item in zip(planned, changes.values(), strict=True):
            set_etag(item, new_etag)

    async def _commit_queued(self) -> None:
        """While writes are queued: take them all, commit them in one transaction, answer each."""
        try:
            while self._queued:
                group, self._queued = self._queued, []
                try:
                    errors = await self._in_thread(self._write_group, [write.planned for write in group])
                except BaseException as error:  # the whole transaction failed (or we were cancelled)
                    for write in group:
                        if not write.done.done():
                            write.done.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for write, error in zip(group, errors, strict=True):
                    if write.done.done():
                        continue
                    if error is None:
                        write.done.set_result(None)
                    else:
                        write.done.set_exception(error)
        finally:
            self._committer = None

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(dict.fromkeys(keys or ()))
        if doomed:
            await self._in_thread(self._delete_rows, doomed)

    async def close(self) -> None:
        """Finish queued writes, then close the connection and its thread (a later call reopens them)."""
        if self._committer is not None:
            await asyncio.gather(asyncio.shield(self._committer), return_exceptions=True)
        self._close_loop_reader()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        await asyncio.get_running_loop().run_in_executor(thread, self._close_connection)
        thread.shutdown(wait=False)

    async def __aenter__(self) -> SqliteStorage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _close_loop_reader(self) -> None:
        reader, self._loop_reader = self._loop_reader, None
        if reader is not None:
            reader.close()

    # --- on the connection's thread -----------------------------------------------------

    async def _in_thread(self, work: Callable[[Any], T], argument: Any) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-state")
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, argument)

    def _read_rows(self, wanted: list[str]) -> list[tuple[str, str, str]]:
        conn = self._connection()
        try:
            return _select_rows(conn, wanted)
        except sqlite3.Error as error:
            raise _storage_error(self.path, error) from error

    def _write_group(self, group: list[Planned]) -> list[StorageError | None]:
        """One transaction for every queued write; each in a savepoint, so each fails alone."""
        conn = self._connection()
        errors: list[StorageError | None] = []

        def body() -> None:
            for planned in group:
                errors.append(self._write_savepoint(conn, planned))

        self._transaction(conn, body)
        self.commits += 1
        self.writes += len(group)
        return errors

    def _write_savepoint(self, conn: sqlite3.Connection, planned: Planned) -> StorageError | None:
        """All of one write() or none of it; its conflict or SQLite error is returned, not raised."""
        conn.execute("SAVEPOINT one_write")
        try:
            for row in planned:
                self._write_one(conn, *row)
        except (StateConflictError, sqlite3.Error) as error:
            conn.execute("ROLLBACK TO one_write")  # a failure here ends the whole transaction
            conn.execute("RELEASE one_write")
            if isinstance(error, StorageError):
                return error
            return _storage_error(self.path, error)
        conn.execute("RELEASE one_write")
        return None

    def _delete_rows(self, doomed: list[str]) -> None:
        conn = self._connection()

        def delete() -> None:
            for chunk in _chunks(doomed):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM bot_state WHERE key IN ({marks})", chunk)

        self._transaction(conn, delete)

    def _transaction(self, conn: sqlite3.Connection, body: Callable[[], object]) -> None:
        """BEGIN IMMEDIATE, the body, COMMIT; any failure rolls back and is mapped to a StorageError."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _storage_error(self.path, error) from error
        try:
            body()
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            _rollback(conn)
            raise _storage_error(self.path, error) from error
        except BaseException:
            _rollback(conn)
            raise

    def _write_one(self, conn: sqlite3.Connection, key: str, requested: str | None, document: str,
                   new_etag: str) -> None:
        if requested == "":
            raise StateConflictError(key, "the item carries an empty eTag")
        if is_unconditional(requested):
            conn.execute(_UPSERT, (key, new_etag, document))
            return
        if requested == CREATE_ONLY_ETAG:
            if conn.execute(_CREATE_ONLY, (key, new_etag, document)).rowcount == 0:
                raise StateConflictError(key, "an item was created by another writer")
            return
        if conn.execute(_UPDATE_IF_MATCH, (new_etag, document, key, requested)).rowcount == 0:
            raise StateConflictError(key, f"stale eTag {requested!r} or item deleted")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailableError(
                f"cannot open the state database {str(self.path)!r}: {error}"
            ) from error
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            try:
                self._prepare(conn)
                break
            except sqlite3.OperationalError as error:
                # Switching a new file to WAL while another process creates it answers "locked"
                # at once, without waiting for busy_timeout: wait and try again.
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    conn.close()
                    raise StorageUnavailableError(
                        f"cannot prepare the state database {str(self.path)!r}: {error}"
                    ) from error
                time.sleep(0.02)
            except sqlite3.Error as error:
                conn.close()
                raise StorageUnavailableError(
                    f"cannot prepare the state database {str(self.path)!r}: {error}"
                ) from error
        self._conn = conn
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(_SCHEMA)

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # no transaction left to roll back (SQLite already ended it)


def _select_rows(conn: sqlite3.Connection, wanted: list[str]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for chunk in _chunks(wanted):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT key, etag, document FROM bot_state WHERE key IN ({marks})"
        rows.extend(tuple(row) for row in conn.execute(sql, chunk))  # type: ignore[misc]
    return rows


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def _storage_error(path: Path, error: sqlite3.Error) -> StorageError:
    """Map SQLite errors: I/O, locking, read-only, full disk -> unavailable; others generic."""
    if isinstance(error, sqlite3.OperationalError):
        return StorageUnavailableError(f"state database {str(path)!r} failed: {error}")
    return StorageError(f"state database {str(path)!r} failed: {error}")
