"""Racing writers never lose an update: eTag conflicts plus retry give the exact count."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from botbuilder.core import Storage

from bot.storage.memory_store import InMemoryStorage
from bot.storage.sqlite_store import SqliteStorage
from tests.storage.azurite import REPO_ROOT
from tests.storage.counter import increment_concurrently

TASKS = 10
TIMES = 5


async def test_racing_tasks_end_with_the_exact_count(store: Storage) -> None:
    conflicts = await increment_concurrently(store, "counter", TASKS, TIMES)

    assert (await store.read(["counter"]))["counter"]["count"] == TASKS * TIMES
    assert conflicts > 0  # the tasks really raced


async def test_blind_writes_would_lose_updates() -> None:
    """The control: without eTags the same race loses updates, so the test above means something."""
    store = InMemoryStorage()
    await store.write({"counter": {"count": 0}})

    async def blind_increment() -> None:
        item = (await store.read(["counter"]))["counter"]
        item["count"] += 1
        item["e_tag"] = "*"
        await asyncio.sleep(0)
        await store.write({"counter": item})

    await asyncio.gather(*(blind_increment() for _ in range(TASKS)))

    assert (await store.read(["counter"]))["counter"]["count"] < TASKS


async def test_two_stores_on_one_file_share_the_count(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    async with SqliteStorage(path) as first, SqliteStorage(path) as second:
        await asyncio.gather(
            increment_concurrently(first, "counter", TASKS, TIMES),
            increment_concurrently(second, "counter", TASKS, TIMES),
        )
        assert (await first.read(["counter"]))["counter"]["count"] == 2 * TASKS * TIMES


async def test_two_processes_on_one_sqlite_file_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "state.sqlite3"
    tasks, times = 5, 20
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.storage.counter_worker",
            str(path), "counter", str(tasks), str(times),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert (await worker.stdout.readline()).strip() == b"ready"
    for worker in workers:  # release both at once
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()

    outputs = [await worker.communicate() for worker in workers]

    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr.decode()
    async with SqliteStorage(path) as store:
        assert (await store.read(["counter"]))["counter"]["count"] == 2 * tasks * times
