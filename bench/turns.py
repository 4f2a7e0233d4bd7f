"""Turn throughput and latency: N concurrent conversations against each server, one run.

Every row's server runs in its own process (so its peak RSS is its own); this process
plays the channel: it posts activities to /api/messages and receives the replies on
the Bot Connector routes. Latency is request sent -> last reply received.

    python -m bench.turns [--conversations 50] [--concurrency 20] [--turns 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MESSAGES = (
    "I really love how quickly this bot answers my questions!",
    "Este servicio es terrible, nadie me ayuda con mi pedido.",
    "Le produit est arrivé hier et il fonctionne très bien.",
    "The delivery was late again and the box was damaged.",
)


@dataclass
class Row:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    emulator: dict[str, float | str] | None = None  # latency / faults for the Azure emulators
    expect_reply: bool = True


@dataclass
class RowResult:
    name: str
    turns: int
    seconds: float
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    lost: int
    peak_rss_mb: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Channel:
    """Receives the bot's replies and wakes the conversation that waits for them."""

    def __init__(self) -> None:
        self.replies: dict[str, int] = defaultdict(int)
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._receive)
        app.router.add_post("/v3/conversations/{cid}/activities/{rid}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def _receive(self, request: web.Request) -> web.Response:
        await request.read()
        self.replies[request.match_info["cid"]] += 1
        return web.json_response({"id": uuid.uuid4().hex})

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


def activity(kind: str, conversation_id: str, service_url: str, text: str = "") -> dict:
    user = {"id": f"u-{conversation_id[:8]}", "name": "User", "role": "user"}
    body = {
        "type": kind,
        "id": uuid.uuid4().hex,
        "channelId": "emulator",
        "serviceUrl": service_url,
        "conversation": {"id": conversation_id},
        "from": user,
        "recipient": {"id": "bot", "name": "Bot", "role": "bot"},
        "locale": "en-US",
        "timestamp": "2026-11-22T00:00:00Z",
    }
    if kind == "message":
        body["text"] = text
    else:
        body["membersAdded"] = [user]
    return body


async def run_load(
    url: str, channel: Channel, conversations: int, concurrency: int, turns: int, expect_reply: bool
) -> tuple[list[float], int, int, float]:
    latencies: list[float] = []
    errors = lost = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(conversations):
        queue.put_nowait(index)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def conversation(index: int) -> None:
            nonlocal errors, lost
            conversation_id = f"{uuid.uuid4()}"
            await session.post(url, json=activity("conversationUpdate", conversation_id, channel.url))
            for turn in range(turns):
                before = channel.replies[conversation_id]
                text = MESSAGES[(index + turn) % len(MESSAGES)]
                started = time.perf_counter()
                try:
                    async with session.post(
                        url, json=activity("message", conversation_id, channel.url, text)
                    ) as response:
                        await response.read()
                        ok = response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                if not ok:
                    errors += 1
                if expect_reply and channel.replies[conversation_id] == before:
                    lost += 1
                latencies.append(elapsed)

        async def worker() -> None:
            while not queue.empty():
                await conversation(queue.get_nowait())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return latencies, errors, lost, seconds


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def wait_ready(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                async with session.post(url, data=b"{}", headers={"Content-Type": "application/json"}):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
    raise TimeoutError(url)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def bench_row(row: Row, args: argparse.Namespace, extra_env: dict[str, str]) -> RowResult:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "LOG_LEVEL": "WARNING", **extra_env, **row.env}
    command = [arg.replace("{port}", str(port)) for arg in row.command]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/messages"
    channel = Channel()
    await channel.start()
    try:
        await wait_ready(url, process)
        await run_load(url, channel, 2, 2, 2, row.expect_reply)  # warm-up
        latencies, errors, lost, seconds = await run_load(
            url, channel, args.conversations, args.concurrency, args.turns, row.expect_reply
        )
        rss = peak_rss_mb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        await channel.stop()
    turns = len(latencies)
    return RowResult(
        row.name, turns, round(seconds, 3), round(turns / seconds, 1),
        round(percentile(latencies, 0.50), 2), round(percentile(latencies, 0.95), 2),
        round(percentile(latencies, 0.99), 2), errors, lost, round(rss, 1), latencies,
    )


def default_rows() -> list[Row]:
    python = sys.executable
    bot = [python, "-m", "bot"]
    return [
        Row("floor: bare aiohttp", [python, "-m", "bench.targets", "floor", "--port", "{port}"]),
        Row("stock botbuilder echo", [python, "-m", "bench.targets", "stock-echo", "--port", "{port}"]),
        Row("showcase, BOT_ANALYSIS=off", bot, {"BOT_ANALYSIS": "off", "BOT_STORAGE": "memory"}),
        Row("showcase, offline engines", bot, {"BOT_STORAGE": "memory"}),
    ]


def print_table(results: list[RowResult]) -> None:
    header = f"{'row':34} {'turns/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'lost':>5} {'RSS MB':>7}"
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.name:34} {result.turns_per_s:8.1f} {result.p50_ms:8.2f} {result.p95_ms:8.2f} "
            f"{result.p99_ms:8.2f} {result.errors:6d} {result.lost:5d} {result.peak_rss_mb:7.1f}"
        )


def plot(results: list[RowResult], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axis = plt.subplots(figsize=(9, 0.6 * len(results) + 2))
    axis.boxplot([r.latencies_ms for r in results], vert=False, labels=[r.name for r in results],
                 showfliers=True, whis=(1, 99))
    axis.set_xscale("log")
    axis.set_xlabel("turn latency, ms (log scale; whiskers p1-p99)")
    axis.set_title("Turn latency per row")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


async def main_async(args: argparse.Namespace, rows: list[Row], extra_env: dict[str, str]) -> list[RowResult]:
    results = []
    for row in rows:
        if args.only and not any(word in row.name for word in args.only):
            continue
        print(f"... {row.name}", file=sys.stderr, flush=True)
        results.append(await bench_row(row, args, extra_env))
    return results


def main(argv: list[str] | None = None, rows_factory: Callable[[], list[Row]] = default_rows) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    parser.add_argument("--only", nargs="*", help="run rows whose name contains one of these words")
    args = parser.parse_args(argv)
    results = asyncio.run(main_async(args, rows_factory(), {}))
    print_table(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = [{k: v for k, v in asdict(r).items() if k != "latencies_ms"} for r in results]
    base = next((r for r in results if r.name.startswith("stock")), None)
    if base:
        for item in summary:
            item["x_stock_echo"] = round(item["turns_per_s"] / base.turns_per_s, 2)
        print("\nturns/s relative to the stock echo bot: " + ", ".join(
            f"{item['name']}: {item['x_stock_echo']}x" for item in summary))
    (RESULTS / "turns.json").write_text(json.dumps({"args": vars(args), "rows": summary}, indent=2))
    if plot(results, RESULTS / "turns.png"):
        print(f"plot: {RESULTS / 'turns.png'}")
    print(f"json: {RESULTS / 'turns.json'}; mean of means {statistics.fmean(r.p50_ms for r in results):.1f} ms")


if __name__ == "__main__":
    main()
