"""A separate OS process that races on one SQLite file: `python -m tests.storage.counter_worker`.

Arguments: DB_PATH KEY TASKS TIMES. Prints "ready", waits for a line on stdin (so two
workers start together), increments, prints the number of conflicts.
"""

from __future__ import annotations

import asyncio
import sys

from bot.storage.sqlite_store import SqliteStorage
from tests.storage.counter import increment_concurrently


async def main(db_path: str, key: str, tasks: int, times: int) -> int:
    async with SqliteStorage(db_path) as store:
        await store.read([key])  # open the file before the start signal
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        return await increment_concurrently(store, key, tasks, times)


if __name__ == "__main__":
    path, item_key, task_count, repeat = sys.argv[1:5]
    print(asyncio.run(main(path, item_key, int(task_count), int(repeat))), flush=True)
