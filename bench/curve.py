"""How cost grows with load: turns/s and p50/p99 against concurrency, one server per configuration.

    python -m bench.curve [--levels 1 5 20 50] [--turns 300] [--out docs/img]

Configurations: the defaults as `make run` starts them (SQLite state in a fresh directory,
offline engines), the same with every message distinct (bench/turns.py's four sentences,
numbered: the embedding cache never answers, every message is embedded), the same with
BOT_ANALYSIS=off, and the stock botbuilder echo bot as the reference. Each server is started once and warmed; then each concurrency level runs
about `--turns` message turns (the level's conversations, ten turns each, the same
messages as bench/turns.py). Writes turns_curve.json and turns_curve.png to `--out`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.turns import (
    ROOT,
    Channel,
    bench_texts,
    cpu_seconds,
    free_port,
    percentile,
    run_load,
    stop_process,
    wait_ready,
)

OUT = ROOT / "docs" / "img"
TURNS_PER_CONVERSATION = 10


@dataclass(frozen=True)
class Config:
    name: str
    command: list[str]
    env: dict[str, str]
    distinct_texts: bool = False  # every message numbered, so none repeats (no embedding cache hits)


@dataclass
class Point:
    config: str
    concurrency: int
    turns: int
    turns_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    lost: int
    cpu_ms_per_turn: float


def configs() -> list[Config]:
    python = sys.executable
    return [
        Config("defaults: SQLite, offline engines (make run)", [python, "-m", "bot"], {}),
        Config("defaults, every message distinct", [python, "-m", "bot"], {}, distinct_texts=True),
        Config("BOT_ANALYSIS=off, SQLite", [python, "-m", "bot"], {"BOT_ANALYSIS": "off"}),
        Config("stock botbuilder echo", [python, "-m", "bench.targets", "stock-echo", "--port", "{port}"], {}),
    ]


async def curve_of(config: Config, levels: list[int], turns: int) -> list[Point]:
    port = free_port()
    channel = Channel()
    await channel.start()
    points: list[Point] = []
    with tempfile.TemporaryDirectory(prefix="bench-curve-") as state_dir, tempfile.TemporaryFile("w+") as stderr:
        env = {**os.environ, "PORT": str(port), "BOT_STATE_DIR": state_dir, **config.env}  # make run's log level
        command = [arg.replace("{port}", str(port)) for arg in config.command]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        url = f"http://127.0.0.1:{port}/api/messages"
        try:
            await wait_ready(url, process)
            await run_load(url, channel, 2, 2, 2, True, bench_texts(config.distinct_texts))  # the connector client to this channel
            for level in levels:
                conversations = max(level, -(-turns // TURNS_PER_CONVERSATION))
                cpu_before = cpu_seconds(process.pid)
                latencies, errors, lost, seconds = await run_load(
                    url, channel, conversations, level, TURNS_PER_CONVERSATION, True,
                    bench_texts(config.distinct_texts))
                cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000
                points.append(Point(
                    config.name, level, len(latencies), round(len(latencies) / seconds, 1),
                    round(percentile(latencies, 0.5), 1), round(percentile(latencies, 0.99), 1),
                    errors, lost, round(cpu_ms / max(1, len(latencies)), 2)))
                print(f"  {config.name}: concurrency {level}: {points[-1].turns_per_s} turns/s, "
                      f"p50 {points[-1].p50_ms} ms, p99 {points[-1].p99_ms} ms", file=sys.stderr, flush=True)
        finally:
            stop_process(process)
            await channel.stop()
    return points


def plot(points: list[Point], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(dict.fromkeys(p.config for p in points))
    figure, (rate, latency) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in names:
        mine = [p for p in points if p.config == name]
        levels = [p.concurrency for p in mine]
        line = rate.plot(levels, [p.turns_per_s for p in mine], marker="o", label=name)[0]
        latency.plot(levels, [p.p50_ms for p in mine], marker="o", color=line.get_color(), label=f"{name}: p50")
        latency.plot(levels, [p.p99_ms for p in mine], marker="^", linestyle="--", color=line.get_color(),
                     label=f"{name}: p99")
    for axis in (rate, latency):
        axis.set_xscale("log")
        axis.set_xticks(sorted({p.concurrency for p in points}))
        axis.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.set_xlabel("concurrent conversations")
        axis.grid(True, alpha=0.3)
    rate.set_ylabel("turns/s")
    rate.set_title("Throughput")
    rate.legend(fontsize=8)
    latency.set_yscale("log")
    latency.set_ylabel("turn latency, ms (log)")
    latency.set_title("Latency: p50 (solid), p99 (dashed)")
    latency.axhline(100, color="tab:red", linewidth=0.8, linestyle=":")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 5, 20, 50])
    parser.add_argument("--turns", type=int, default=300, help="message turns per level (about)")
    parser.add_argument("--out", type=Path, default=OUT, help="where turns_curve.json/.png go")
    args = parser.parse_args(argv)
    points: list[Point] = []
    for config in configs():
        print(f"... {config.name}", file=sys.stderr, flush=True)
        points += asyncio.run(curve_of(config, args.levels, args.turns))
    print(f"{'configuration':46} {'conc':>4} {'turns/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/turn':>11} {'lost':>4}")
    for p in points:
        print(f"{p.config:46} {p.concurrency:4d} {p.turns_per_s:8.1f} {p.p50_ms:8.1f} {p.p99_ms:8.1f} "
              f"{p.cpu_ms_per_turn:11.2f} {p.lost:4d}")
    args.out.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    record = {"levels": args.levels, "turns_per_level": args.turns, "cpus": os.cpu_count(),
              "load_average_at_end": [round(x, 2) for x in load], "points": [asdict(p) for p in points]}
    (args.out / "turns_curve.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"json: {args.out / 'turns_curve.json'}")
    if plot(points, args.out / "turns_curve.png"):
        print(f"plot: {args.out / 'turns_curve.png'}")


if __name__ == "__main__":
    main()
