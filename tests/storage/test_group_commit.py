"""SQLite group commit: concurrent turns' writes share a transaction, each keeps its eTag check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import StateConflictError, StorageError
from bot.storage.codec import CREATE_ONLY_ETAG
from bot.storage.sqlite_store import SqliteStorage


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    async with SqliteStorage(tmp_path / "state.sqlite3") as sqlite:
        yield sqlite


async def test_writes_that_queue_meanwhile_share_one_transaction(store: SqliteStorage) -> None:
    await store.write({"warm": {"n": 0}})  # opens the file
    commits = store.commits
    await asyncio.gather(*(store.write({f"conversation-{i}": {"n": i}, f"user-{i}": {"n": i}}) for i in range(20)))
    # The first write goes at once; the 19 that queued behind it share the next transaction.
    assert store.commits - commits < 20
    assert store.writes == 21
    found = await store.read([f"conversation-{i}" for i in range(20)] + [f"user-{i}" for i in range(20)])
    assert len(found) == 40 and found["user-7"]["n"] == 7


async def test_a_stale_write_fails_alone_and_the_others_in_its_group_commit(store: SqliteStorage) -> None:
    await store.write({"a": {"n": 0}, "b": {"n": 0}})
    a, b = (await store.read(["a"]))["a"], (await store.read(["b"]))["b"]
    stale = dict(b, e_tag="stale", n=99)
    a["n"] = 1
    b_fresh = dict(b, n=2)
    outcomes = await asyncio.gather(
        store.write({"a": a}),
        store.write({"b": stale, "c": {"n": 3}}),  # one stale key: none of this write is kept
        store.write({"b": b_fresh}),
        store.write({"d": {"n": 4, "e_tag": CREATE_ONLY_ETAG}}),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[2] is None and outcomes[3] is None
    assert isinstance(outcomes[1], StateConflictError) and outcomes[1].key == "b"
    found = await store.read(["a", "b", "c", "d"])
    assert found["a"]["n"] == 1 and found["b"]["n"] == 2 and found["d"]["n"] == 4
    assert "c" not in found
    # Each successful write got its own new eTag back, and it is the stored one.
    assert a["e_tag"] == found["a"]["e_tag"] and b_fresh["e_tag"] == found["b"]["e_tag"]


async def test_two_creates_of_one_key_in_one_group_let_only_the_first_win(store: SqliteStorage) -> None:
    await store.write({"warm": {}})
    first = {"n": 1, "e_tag": CREATE_ONLY_ETAG}
    second = {"n": 2, "e_tag": CREATE_ONLY_ETAG}
    blocker = asyncio.ensure_future(store.write({"warm": {}}))  # holds the thread: the two queue
    outcomes = await asyncio.gather(store.write({"k": first}), store.write({"k": second}), return_exceptions=True)
    await blocker
    assert outcomes[0] is None and isinstance(outcomes[1], StateConflictError)
    assert (await store.read(["k"]))["k"]["n"] == 1


async def test_a_failed_transaction_fails_every_write_of_its_group(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the state directory should be")
    store = SqliteStorage(blocker / "state.sqlite3")
    outcomes = await asyncio.gather(*(store.write({f"k{i}": {"n": i}}) for i in range(5)), return_exceptions=True)
    assert all(isinstance(outcome, StorageError) for outcome in outcomes)
    await store.close()


async def test_close_waits_for_queued_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SqliteStorage(path)
    writes = [asyncio.ensure_future(store.write({f"k{i}": {"n": i}})) for i in range(10)]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*writes)
    async with SqliteStorage(path) as reopened:
        assert len(await reopened.read([f"k{i}" for i in range(10)])) == 10


async def test_a_turns_read_runs_on_the_loop_and_sees_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    async with SqliteStorage(path) as store, SqliteStorage(path) as other:
        await store.write({"conversation": {"n": 0}})  # creates and prepares the file
        hops: list[str] = []
        real_in_thread = store._in_thread

        async def counting(work, argument):
            hops.append(work.__name__)
            return await real_in_thread(work, argument)

        store._in_thread = counting
        item = (await store.read(["conversation", "user"]))["conversation"]
        assert "_read_rows" not in hops  # no thread hop for a turn's read
        item["n"] = 1
        await store.write({"conversation": item})
        await other.write({"user": {"n": 7}})  # another connection (another process) commits
        found = await store.read(["conversation", "user"])
        assert found["conversation"]["n"] == 1 and found["user"]["n"] == 7
        assert "_read_rows" not in hops


async def test_a_busy_database_sends_the_read_to_the_connection_thread(tmp_path: Path) -> None:
    import sqlite3

    class BusyReader:
        closed = False

        def execute(self, *args):
            raise sqlite3.OperationalError("database is locked")

        def close(self) -> None:
            BusyReader.closed = True

    async with SqliteStorage(tmp_path / "state.sqlite3") as store:
        await store.write({"a": {"n": 1}})
        store._loop_reader = BusyReader()
        assert (await store.read(["a"]))["a"]["n"] == 1  # answered by the thread
        assert BusyReader.closed and store._loop_reader is None
        assert (await store.read(["a"]))["a"]["n"] == 1  # a fresh loop reader next time
        assert store._loop_reader is not None
