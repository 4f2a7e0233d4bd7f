"""Turn throughput and latency: N concurrent conversations against each server, one run.

Every row's server runs in its own process (so its peak RSS is its own); this process
plays the channel: it posts activities to /api/messages and receives the replies on
the Bot Connector routes. Latency is request sent -> last reply received.

    python -m bench.turns [--conversations 50] [--concurrency 20] [--turns 10] [--repeat 1]

With --repeat N every row runs N times, round robin, each time in a fresh process, and the
table shows each row's median run (every run's turns/s is in the JSON): one process of the
same code varies by +-25 % on this shared machine.

Then (bench/first_turn.py) fresh `python -m bot` processes are timed from /readyz's first
200 to their first turns, and the load average is printed: other processes on the machine
depress every figure, so read them beside it.

The Azure rows start the service emulators (tests/emulators) in a process of their
own, with latency or a rotation of faults, and count the requests they receive: per
turn over the timed run, and per message in a sequential trace afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.emulators_process import EmulatorProcess, EmulatorSpec, round_trips, sequential_waves

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MESSAGES = (
    "I really love how quickly this bot answers my questions!",
    "Este servicio es terrible, nadie me ayuda con mi pedido.",
    "Le produit est arrivé hier et il fonctionne très bien.",
    "The delivery was late again and the box was damaged.",
)

AZURE_FIRST = {
    "BOT_LANGUAGE_ENGINES": "azure,local",
    "BOT_SENTIMENT_ENGINES": "azure,local",
    "BOT_TRANSLATION_ENGINES": "azure,local",
}
EMULATOR_LATENCY_S = 0.1
# Handed out in turn, one per request: answers past the 300 ms per-call budget, a 429
# whose Retry-After is too long to wait and one short enough to retry, 5xx (the SDK
# retries once), a connection dropped after 400 ms; "ok" answers after the latency.
FAILING_FAULTS = "ok,latency:1,429:1,ok,500,503,429:0.05,drop:0.4,ok,latency:0.35"
FAILING_BUDGET_MS = 1500


@dataclass
class Row:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    emulator: EmulatorSpec | None = None  # latency / faults for the Azure emulators
    expect_reply: bool = True
    budget_ms: int | None = None  # BOT_TURN_BUDGET_MS, printed beside the row
    trace: bool = False  # after the run, trace each message's emulator round trips
    distinct_texts: bool = False  # every message unique (numbered): no embedding cache hits


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
    cpu_ms_per_turn: float = float("nan")  # the server process's CPU over the timed run
    # The same for the process's main thread alone, which runs the event loop and holds the GIL
    # for every turn's Python: 1000 / this is the most turns/s the process can serve, whatever
    # the other threads (encoder, store) and cores do.
    loop_cpu_ms_per_turn: float = float("nan")
    budget_ms: int | None = None
    emulator_requests_per_turn: float | None = None
    emulator_requests: dict[str, int] | None = None
    emulator_faults: dict[str, dict[str, int]] | None = None
    trace: list[dict] | None = None
    # With --repeat: every run's turns/s, in the order run; the row's other figures are the median run's.
    runs_turns_per_s: list[float] | None = None


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


_SERIAL = itertools.count(1)


def message_text(index: int, turn: int, distinct: bool) -> str:
    """The four bench sentences in turn; with `distinct`, each numbered so no text repeats.

    The number goes before the final stop ("... damaged (17)."), so the message stays one
    sentence, embedded once, like the original.
    """
    text = MESSAGES[(index + turn) % len(MESSAGES)]
    return f"{text[:-1]} ({next(_SERIAL)}){text[-1]}" if distinct else text


def bench_texts(distinct: bool) -> Callable[[int, int], str]:
    """`text_of` for run_load: the bench sentences, numbered when `distinct`."""
    return functools.partial(message_text, distinct=distinct)


REPEATED_TEXTS = bench_texts(False)  # run_load's default: the four sentences, repeated


async def run_load(
    url: str, channel: Channel, conversations: int, concurrency: int, turns: int, expect_reply: bool,
    text_of: Callable[[int, int], str] = REPEATED_TEXTS,
) -> tuple[list[float], int, int, float]:
    """`conversations` conversations of `turns` messages, `concurrency` at a time; `text_of(index, turn)` writes them."""
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
                text = text_of(index, turn)
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


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU time the process (or one of its threads) has used so far."""
    path = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main_thread_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process's main thread (its id is the process id)."""
    return cpu_seconds(pid, thread=pid)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, as a process manager stops the bot; SIGKILL when it does not go in 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


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
    if row.emulator is None:
        return await _bench_server(row, args, extra_env, None)
    async with EmulatorProcess(row.emulator, ROOT) as emulators:
        return await _bench_server(row, args, {**extra_env, **emulators.bot_env}, emulators)


async def _bench_server(
    row: Row, args: argparse.Namespace, extra_env: dict[str, str], emulators: EmulatorProcess | None
) -> RowResult:
    port = free_port()
    state_dir = tempfile.TemporaryDirectory(prefix="bench-state-")  # a fresh SQLite file per row
    # The bot's own log level (INFO, as `make run` has it): its access and turn lines cost CPU too.
    env = {**os.environ, "PORT": str(port), "BOT_STATE_DIR": state_dir.name, **extra_env, **row.env}
    command = [arg.replace("{port}", str(port)) for arg in row.command]
    # A file, not a pipe: a bot that logs a warning per failed engine call would
    # otherwise fill an unread pipe and stall mid-turn.
    with state_dir, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        url = f"http://127.0.0.1:{port}/api/messages"
        channel = Channel()
        await channel.start()
        extras: dict = {}
        try:
            try:
                await wait_ready(url, process)
            except RuntimeError as error:
                stderr.seek(0)
                raise RuntimeError(f"{row.name}: {error}\n{stderr.read()[-2000:]}") from None
            await run_load(url, channel, 2, 2, 2, row.expect_reply, bench_texts(row.distinct_texts))  # warm-up
            mark = len(await emulators.log()) if emulators else 0
            cpu_before, loop_before = cpu_seconds(process.pid), main_thread_cpu_seconds(process.pid)
            latencies, errors, lost, seconds = await run_load(
                url, channel, args.conversations, args.concurrency, args.turns, row.expect_reply,
                bench_texts(row.distinct_texts),
            )
            # The thread read inside the process's reads, so a tick between them counts for both.
            loop_ms = (main_thread_cpu_seconds(process.pid) - loop_before) * 1000
            cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000
            rss = peak_rss_mb(process.pid)
            if emulators is not None:
                counted = round_trips((await emulators.log())[mark:])
                extras = {
                    "emulator_requests_per_turn": round(counted.total / max(1, len(latencies)), 2),
                    "emulator_requests": counted.per_kind,
                    "emulator_faults": await emulators.faults(),
                }
                if row.trace:
                    extras["trace"] = await trace_messages(url, channel, emulators, row.emulator)
        finally:
            stop_process(process)
            await channel.stop()
    turns = len(latencies)
    return RowResult(
        row.name, turns, round(seconds, 3), round(turns / seconds, 1),
        round(percentile(latencies, 0.50), 2), round(percentile(latencies, 0.95), 2),
        round(percentile(latencies, 0.99), 2), errors, lost, round(rss, 1), latencies,
        cpu_ms_per_turn=round(cpu_ms / max(1, turns), 2), loop_cpu_ms_per_turn=round(loop_ms / max(1, turns), 2),
        budget_ms=row.budget_ms, **extras,
    )


async def trace_messages(
    url: str, channel: Channel, emulators: EmulatorProcess, spec: EmulatorSpec
) -> list[dict]:
    """One turn at a time, per message of MESSAGES: which emulator calls it made, in which waves.

    Each message gets a fresh conversation and is sent twice (the first turn, then a
    turn in an already-known language); a wave is the calls that went out together.
    """
    gap_s = max(0.02, spec.latency_s * 0.6)
    traced = []
    async with aiohttp.ClientSession() as session:
        for text in MESSAGES:
            conversation_id = f"{uuid.uuid4()}"
            await session.post(url, json=activity("conversationUpdate", conversation_id, channel.url))
            for turn in (1, 2):
                mark = len(await emulators.log())
                started = time.perf_counter()
                async with session.post(url, json=activity("message", conversation_id, channel.url, text)) as response:
                    await response.read()
                elapsed = (time.perf_counter() - started) * 1000
                waves = sequential_waves((await emulators.log())[mark:], gap_s)
                traced.append({
                    "message": text[:32], "turn": turn, "ms": round(elapsed, 1),
                    "waves": [[f"{e['service']} {e['kind']} ({e['items']})" for e in wave] for wave in waves],
                })
    return traced


def default_rows() -> list[Row]:
    python = sys.executable
    bot = [python, "-m", "bot"]
    return [
        Row("floor: bare aiohttp", [python, "-m", "bench.targets", "floor", "--port", "{port}"]),
        Row("stock botbuilder echo", [python, "-m", "bench.targets", "stock-echo", "--port", "{port}"]),
        Row("floor: this bot's hosting, echo", [python, "-m", "bench.targets", "hosting-echo", "--port", "{port}"]),
        # Reference: the safety engines, SQLite store and reply of a turn with analysis off, no botbuilder.
        Row("floor: safety + store, no botbuilder", [python, "-m", "bench.targets", "lean", "--port", "{port}"],
            {"BOT_ANALYSIS": "off"}),
        # Headline rows: the defaults as `make run` starts them (SQLite state in a fresh directory).
        Row("showcase, BOT_ANALYSIS=off, sqlite", bot, {"BOT_ANALYSIS": "off"}),
        Row("showcase, offline engines, sqlite (make run)", bot, {}),
        Row("showcase, offline engines, sqlite, every message distinct", bot, {}, distinct_texts=True),
        # Extra rows, labelled with their store (and loop: the stock bot runs on asyncio's, as its sample does).
        Row("extra: showcase, BOT_ANALYSIS=off, sqlite, asyncio loop", bot,
            {"BOT_ANALYSIS": "off", "BOT_EVENT_LOOP": "asyncio"}),
        Row("extra: showcase, BOT_ANALYSIS=off, memory", bot, {"BOT_ANALYSIS": "off", "BOT_STORAGE": "memory"}),
        Row("extra: showcase, offline engines, memory", bot, {"BOT_STORAGE": "memory"}),
        Row("showcase, Azure emulators +100 ms, memory", bot, {"BOT_STORAGE": "memory", **AZURE_FIRST},
            emulator=EmulatorSpec(latency_s=EMULATOR_LATENCY_S), trace=True),
        Row("showcase, Azure emulators failing, memory", bot, {
            "BOT_STORAGE": "memory", **AZURE_FIRST, "BOT_ENGINE_TIMEOUT_MS": "300",
            "BOT_TURN_BUDGET_MS": str(FAILING_BUDGET_MS), "BOT_CIRCUIT_COOLDOWN_S": "1",
        }, emulator=EmulatorSpec(latency_s=EMULATOR_LATENCY_S, faults=FAILING_FAULTS),
            budget_ms=FAILING_BUDGET_MS),
    ]


def round_trip_target_ms(result: RowResult) -> float | None:
    """Issue 8's target for the +100 ms row: p50 <= 2 round trips + 30 ms."""
    if result.emulator_requests_per_turn is None or result.budget_ms is not None:
        return None
    return 2 * EMULATOR_LATENCY_S * 1000 + 30


def row_notes(result: RowResult) -> str:
    notes = []
    if result.runs_turns_per_s:
        notes.append("median of runs at " + "/".join(f"{rate:.1f}" for rate in result.runs_turns_per_s) + " turns/s")
    if result.emulator_requests_per_turn is not None:
        notes.append(f"{result.emulator_requests_per_turn:g} emulator requests/turn")
    target = round_trip_target_ms(result)
    if target is not None:
        verdict = "met" if result.p50_ms <= target else "missed"
        notes.append(f"p50 target <= {target:g} ms: {verdict}")
    if result.budget_ms is not None:
        verdict = "within" if result.p99_ms <= result.budget_ms else "OVER"
        notes.append(f"turn budget {result.budget_ms} ms: p99 {verdict}")
    return "; ".join(notes)


def print_table(results: list[RowResult]) -> None:
    header = (f"{'row':34} {'turns/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'lost':>5} "
              f"{'RSS MB':>7} {'CPU ms/turn':>11} {'loop ms/turn':>12}")
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.name:34} {result.turns_per_s:8.1f} {result.p50_ms:8.2f} {result.p95_ms:8.2f} "
            f"{result.p99_ms:8.2f} {result.errors:6d} {result.lost:5d} {result.peak_rss_mb:7.1f} {result.cpu_ms_per_turn:11.2f}"
            f" {result.loop_cpu_ms_per_turn:12.2f}"
            + (f"  {notes}" if (notes := row_notes(result)) else "")
        )
    for result in results:
        if result.emulator_requests is not None:
            print(f"\n{result.name}: emulator requests in the timed run: {result.emulator_requests}")
            print(f"  faults injected: {result.emulator_faults}")
        for item in result.trace or []:
            waves = " -> ".join("[" + ", ".join(wave) + "]" for wave in item["waves"]) or "(none)"
            print(f"  trace {item['message']!r:36} turn {item['turn']}: {len(item['waves'])} waves, "
                  f"{item['ms']:.0f} ms: {waves}")


def plot(results: list[RowResult], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axis = plt.subplots(figsize=(9, 0.6 * len(results) + 2))
    axis.boxplot([r.latencies_ms for r in results], orientation="horizontal", tick_labels=[r.name for r in results],
                 showfliers=True, whis=(1, 99))
    axis.invert_yaxis()  # first row on top, as in the table
    for budget in sorted({r.budget_ms for r in results if r.budget_ms is not None}):
        axis.axvline(budget, color="tab:red", linestyle="--", linewidth=1, label=f"turn budget {budget} ms")
    if any(r.budget_ms is not None for r in results):
        axis.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axis.set_xscale("log")
    axis.set_xlabel("turn latency, ms (log scale; whiskers p1-p99)")
    axis.set_title("Turn latency per row")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


async def main_async(args: argparse.Namespace, rows: list[Row], extra_env: dict[str, str]) -> list[RowResult]:
    """Each chosen row `args.repeat` times, round robin (all rows once, then again), a fresh server each time.

    On this shared 2-core machine one process of the same code measured 4.6-8.2 ms of CPU a turn
    from run to run, and the machine drifts while rows run one after the other: repeating every
    row in turn and keeping each row's median run spreads both over all rows alike.
    """
    chosen = [row for row in rows if not args.only or any(word in row.name for word in args.only)]
    runs: dict[str, list[RowResult]] = {row.name: [] for row in chosen}
    for round_index in range(args.repeat):
        for row in chosen:
            suffix = f" (run {round_index + 1} of {args.repeat})" if args.repeat > 1 else ""
            print(f"... {row.name}{suffix}", file=sys.stderr, flush=True)
            runs[row.name].append(await bench_row(row, args, extra_env))
    return [median_run(runs[row.name]) for row in chosen]


def median_run(results: list[RowResult]) -> RowResult:
    """The run with the median turns/s (the lower one of an even count), every run's turns/s beside it."""
    if len(results) == 1:
        return results[0]
    ranked = sorted(results, key=lambda result: result.turns_per_s)
    median = ranked[(len(ranked) - 1) // 2]
    return replace(median, runs_turns_per_s=[result.turns_per_s for result in results])


def main(argv: list[str] | None = None, rows_factory: Callable[[], list[Row]] = default_rows) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    parser.add_argument("--only", nargs="*", help="run rows whose name contains one of these words")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where turns.json/.png go")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every row this many times, round robin, and keep each row's median run")
    parser.add_argument("--first-turn-runs", type=int, default=3,
                        help="fresh `python -m bot` starts timed from /readyz 200 to the first turns (0: skip)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    results_dir: Path = args.results
    load_before = os.getloadavg()
    results = asyncio.run(main_async(args, rows_factory(), {}))
    print_table(results)
    first_turn = None
    if args.first_turn_runs > 0 and not args.only:
        from bench import first_turn as first_turn_bench

        print("... first turns after /readyz", file=sys.stderr, flush=True)
        first_turn = asyncio.run(first_turn_bench.measure(args.first_turn_runs))
        print()
        first_turn_bench.print_report(first_turn)
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after {', '.join(f'{x:.2f}' for x in load_after)} ({os.cpu_count()} CPUs)")
    results_dir.mkdir(parents=True, exist_ok=True)
    summary = [{k: v for k, v in asdict(r).items() if k != "latencies_ms"} for r in results]
    base = next((r for r in results if r.name.startswith("stock")), None)
    if base:
        for item in summary:
            item["x_stock_echo"] = round(item["turns_per_s"] / base.turns_per_s, 2)
        print("\nturns/s relative to the stock echo bot: " + ", ".join(
            f"{item['name']}: {item['x_stock_echo']}x" for item in summary))
    recorded_args = {**vars(args), "results": str(results_dir)}
    (results_dir / "turns.json").write_text(json.dumps({
        "args": recorded_args, "rows": summary, "first_turn_after_ready": first_turn,
        "load_average": {"before": load_before, "after": load_after, "cpus": os.cpu_count()},
    }, indent=2))
    if plot(results, results_dir / "turns.png"):
        print(f"plot: {results_dir / 'turns.png'}")
    print(f"json: {results_dir / 'turns.json'}; mean of means {statistics.fmean(r.p50_ms for r in results):.1f} ms")


if __name__ == "__main__":
    main()
