"""State-store bench: RSS, store size and read/write latency at 1, 1k and 10k conversations.

Run `.venv/bin/python -m bench.state` (needs `npm ci` for Azurite). Each (store, count)
runs in a fresh process so RSS belongs to that row alone. Writes bench/results/state.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botbuilder.core import MessageFactory, Storage
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.dialogs.prompts import PromptOptions

from bot.storage.blob_store import AzureBlobStorage
from bot.storage.codec import encode_item
from bot.storage.memory_store import InMemoryStorage
from bot.storage.sqlite_store import SqliteStorage

KINDS = ("memory", "sqlite", "blob")
COUNTS = (1, 1_000, 10_000)
SAMPLES = 200
POPULATE_CONCURRENCY = 16
RESULTS = Path(__file__).resolve().parent / "results" / "state.json"


@dataclass(frozen=True)
class Row:
    """One store at one number of stored conversations."""

    store: str
    conversations: int
    rss_mb: float
    rss_growth_mb: float
    server_rss_mb: float | None
    store_bytes: int
    populate_s: float
    read_p50_ms: float
    read_p95_ms: float
    write_p50_ms: float
    write_p95_ms: float


def conversation_state(index: int) -> dict[str, Any]:
    """A realistic conversation: a waterfall waiting on a text prompt, plus language info."""
    prompt = DialogInstance(
        id="name",
        state={
            "options": PromptOptions(prompt=MessageFactory.text("What should I call you?")),
            "state": {},
        },
    )
    main = DialogInstance(
        id="main",
        state={
            "options": None,
            "values": {"colour": "red", "turn": index},
            "instanceId": str(uuid.uuid4()),
            "stepIndex": 1,
        },
    )
    return {
        "DialogState": DialogState([prompt, main]),
        "language": {"code": "fr", "confidence": 0.93, "asked": False},
    }


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def populate(store: Storage, count: int) -> None:
    semaphore = asyncio.Semaphore(POPULATE_CONCURRENCY)

    async def put(index: int) -> None:
        async with semaphore:
            await store.write({f"bench/conversations/{index}": conversation_state(index)})

    await asyncio.gather(*(put(i) for i in range(count)))


async def latencies(store: Storage, count: int) -> tuple[list[float], list[float]]:
    """Sequential read, then eTag-checked write back of the same item, on spread-out keys."""
    reads: list[float] = []
    writes: list[float] = []
    for sample in range(SAMPLES):
        key = f"bench/conversations/{(sample * 7919) % count}"
        started = time.perf_counter()
        item = (await store.read([key]))[key]
        reads.append((time.perf_counter() - started) * 1000)
        item["language"]["confidence"] = sample / SAMPLES
        started = time.perf_counter()
        await store.write({key: item})
        writes.append((time.perf_counter() - started) * 1000)
    return reads, writes


async def measure_one(kind: str, count: int, workdir: Path, server_pid: int | None,
                      connection: str | None) -> Row:
    """Populate a fresh store of `kind` with `count` conversations and measure it."""
    baseline = rss_mb()
    store: Storage
    if kind == "memory":
        store = InMemoryStorage()
    elif kind == "sqlite":
        store = SqliteStorage(workdir / "state.sqlite3")
    else:
        assert connection is not None
        store = AzureBlobStorage(connection, f"bench-{uuid.uuid4().hex[:12]}")
    try:
        started = time.perf_counter()
        await populate(store, count)
        populate_s = time.perf_counter() - started
        reads, writes = await latencies(store, count)
        rss = rss_mb()
        if kind == "memory":
            size = sum(len(doc.encode()) for doc, _ in store._items.values())  # type: ignore[attr-defined]
        else:
            size = 0
    finally:
        await store.close()  # type: ignore[attr-defined]
    if kind == "sqlite":
        size = tree_bytes(workdir)  # after close: the WAL is checkpointed into the database
    elif kind == "blob":
        size = tree_bytes(workdir / "azurite")
    return Row(
        store=kind,
        conversations=count,
        rss_mb=round(rss, 1),
        rss_growth_mb=round(rss - baseline, 1),
        server_rss_mb=round(rss_mb(server_pid), 1) if server_pid else None,
        store_bytes=size,
        populate_s=round(populate_s, 2),
        read_p50_ms=round(statistics.median(reads), 3),
        read_p95_ms=round(percentile(reads, 0.95), 3),
        write_p50_ms=round(statistics.median(writes), 3),
        write_p95_ms=round(percentile(writes, 0.95), 3),
    )


def run_child(kind: str, count: int) -> Row:
    """Measure one row in a fresh interpreter (and, for blob, a fresh Azurite)."""
    from tests.storage.azurite import AzuriteServer

    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
        workdir = Path(tmp)
        server = AzuriteServer(location=workdir / "azurite") if kind == "blob" else None
        if server is not None:
            server.start()
        try:
            args = [sys.executable, "-m", "bench.state", "--child", kind, str(count), str(workdir)]
            if server is not None:
                args += [server.connection_string, str(server._process.pid)]  # type: ignore[union-attr]
            done = subprocess.run(
                args, capture_output=True, text=True, check=False,
                cwd=Path(__file__).resolve().parents[1],
            )
        finally:
            if server is not None:
                server.stop()
    if done.returncode != 0:
        raise RuntimeError(f"{kind} x {count} failed:\n{done.stderr[-3000:]}")
    return Row(**json.loads(done.stdout.strip().splitlines()[-1]))


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'store':<7} {'convs':>6} {'RSS MB':>7} {'+RSS':>6} {'server':>7} {'size KB':>9} "
        f"{'fill s':>7} {'read p50':>9} {'p95':>7} {'write p50':>10} {'p95':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        server = f"{r.server_rss_mb:.0f}" if r.server_rss_mb is not None else "-"
        print(
            f"{r.store:<7} {r.conversations:>6} {r.rss_mb:>7.1f} {r.rss_growth_mb:>6.1f} "
            f"{server:>7} {r.store_bytes / 1024:>9.0f} {r.populate_s:>7.2f} "
            f"{r.read_p50_ms:>9.3f} {r.read_p95_ms:>7.3f} {r.write_p50_ms:>10.3f} "
            f"{r.write_p95_ms:>7.3f}"
        )
    print("latencies in ms; server = Azurite RSS (MB); size = JSON bytes (memory), "
          "database file after close (sqlite), Azurite files (blob)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", default=",".join(KINDS))
    parser.add_argument("--counts", default=",".join(str(c) for c in COUNTS))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, count, workdir, *blob = args.child
        connection, pid = (blob[0], int(blob[1])) if blob else (None, None)
        row = asyncio.run(measure_one(kind, int(count), Path(workdir), pid, connection))
        print(json.dumps(asdict(row)))
        return
    kinds = [k for k in args.stores.split(",") if k]
    counts = [int(c) for c in args.counts.split(",") if c]
    rows = [run_child(kind, count) for kind in kinds for count in counts]
    print_table(rows)
    sample = encode_item("sample", conversation_state(0))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "bench": "state",
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "samples_per_latency": SAMPLES,
        "conversation_json_bytes": len(sample.encode()),
        "rows": [asdict(r) for r in rows],
    }, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
