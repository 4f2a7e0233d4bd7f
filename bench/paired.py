"""CPU per turn of two versions of the bot, measured side by side so both see the same machine.

On a shared machine runs one after the other differ by +-20 %, more than most changes to
the hosting path. Here both servers (`python -m bot` from two source trees, e.g. a
`git archive` of the old commit and the working tree) run at once with `BOT_ANALYSIS=off`
and SQLite, and are driven in alternating bursts (the order swapped every round); each
burst's server CPU (utime + stime from /proc) is divided by its turns. The pair is started
twice, once in each order, half the rounds each: of two identical trees, the one started
second measured 6-11 % more CPU a turn in four runs of four (2026-12-01; a later pair of
different trees showed no such effect), so one pair of processes alone can show a change that
is not there. The estimate is the geometric mean of the two orders' median ratios, which
cancels a start-order effect and halves the weight of any one process. By default the messages
are ones the safety gate clears, so no embedding runs: the hosting path alone. `--texts
distinct` runs the offline engines (`make run`'s defaults) on bench.turns's sentences, each
numbered so every turn embeds; `--texts bench` on the same sentences as they repeat there.

    python -m bench.paired OLD_TREE NEW_TREE [--rounds 20] [--conversations 20] [--texts cleared]

`--rounds` counts both orders together.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.turns import Channel, bench_texts, cpu_seconds, free_port, run_load, stop_process, wait_ready

# Messages the safety gate clears (no embedding), answered with the menu.
CLEARED = ("hello 17", "Message 12 from conversation 3", "How are you?", "Thanks!")
CONCURRENCY = 20
TURNS = 10  # messages per conversation


def cleared_text(index: int, turn: int) -> str:
    return CLEARED[(index + turn) % len(CLEARED)]


TEXTS: dict[str, Callable[[int, int], str]] = {
    "cleared": cleared_text,  # BOT_ANALYSIS=off: the hosting path alone
    "bench": bench_texts(distinct=False),  # the offline engines on bench.turns's sentences
    "distinct": bench_texts(distinct=True),  # the same, every message new: every turn embeds
}


@dataclass
class Server:
    tree: Path
    process: subprocess.Popen
    url: str
    state_dir: tempfile.TemporaryDirectory
    bursts: list[float] = field(default_factory=list)  # CPU ms per turn, one per burst


def start(
    tree: Path, cpu: int | None = None, *, analysis_off: bool = True, extra_env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    state_dir = tempfile.TemporaryDirectory()
    env = dict(os.environ, PORT=str(port), BOT_STATE_DIR=state_dir.name,
               PYTHONPATH=str(tree), **({"BOT_ANALYSIS": "off"} if analysis_off else {}), **(extra_env or {}))
    pin = None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tree, env=env, preexec_fn=pin,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Server(tree, process, f"http://127.0.0.1:{port}", state_dir)


async def burst(
    server: Server, channel: Channel, conversations: int, text_of: Callable[[int, int], str] = cleared_text
) -> None:
    before = cpu_seconds(server.process.pid)
    latencies, errors, lost, _ = await run_load(
        f"{server.url}/api/messages", channel, conversations, CONCURRENCY, TURNS, True, text_of=text_of
    )
    if errors or lost:
        raise RuntimeError(f"{server.tree}: {errors} errors, {lost} turns without a reply")
    server.bursts.append((cpu_seconds(server.process.pid) - before) * 1000 / len(latencies))


async def compare(
    old: Path, new: Path, rounds: int, conversations: int, pin: bool = False, texts: str = "cleared",
    envs: tuple[dict[str, str], dict[str, str]] = ({}, {}),
) -> tuple[Server, Server]:
    cpu = None
    allowed = os.sched_getaffinity(0)
    servers: list[Server] = []
    channel = Channel()
    try:  # whatever fails (a tree that cannot start included), no server is left running
        if pin:  # both servers on the last CPU (they never run at once), this driver on the others
            cpu = max(allowed)
            os.sched_setaffinity(0, (allowed - {cpu}) or allowed)
        text_of = TEXTS[texts]
        servers.append(start(old, cpu, analysis_off=texts == "cleared", extra_env=envs[0]))
        servers.append(start(new, cpu, analysis_off=texts == "cleared", extra_env=envs[1]))
        await channel.start()
        for server in servers:
            await wait_ready(f"{server.url}/api/messages", server.process)
            await run_load(f"{server.url}/api/messages", channel, CONCURRENCY, CONCURRENCY, TURNS, True,
                           text_of=text_of)  # warm-up, not counted
        for round_ in range(rounds):
            for server in servers if round_ % 2 == 0 else servers[::-1]:
                await burst(server, channel, conversations, text_of)
    finally:
        os.sched_setaffinity(0, allowed)
        await channel.stop()
        for server in servers:
            stop_process(server.process)
            server.state_dir.cleanup()
    return servers[0], servers[1]


def paired_ratios(old: Server, new: Server) -> list[float]:
    """new/old CPU a turn, burst by burst (the two bursts of one round), sorted."""
    return sorted(b / a for a, b in zip(old.bursts, new.bursts, strict=True) if a > 0)


def report(orders: list[tuple[Server, Server, str]]) -> str:
    """Each start order's figures (old, new, which was started first), then the estimate that cancels the order."""
    lines = []
    medians = []
    for old, new, first in orders:
        lines += [f"{server.tree} ({first} started first): median {statistics.median(server.bursts):.3f} ms "
                  f"CPU a turn ({len(server.bursts)} bursts)" for server in (old, new)]
        ratios = paired_ratios(old, new)
        if ratios:
            medians.append(statistics.median(ratios))
            lines.append(f"  new/old, paired by round: median {medians[-1]:.3f} "
                         f"(quartiles {ratios[len(ratios) // 4]:.3f}..{ratios[3 * len(ratios) // 4]:.3f})")
    if medians:
        lines.append(f"new/old, both start orders (geometric mean of their medians): "
                     f"{statistics.geometric_mean(medians):.3f}")
    lines.append("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> tuple[Server, Server]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=20, help="both start orders together (odd: rounded up)")
    parser.add_argument("--conversations", type=int, default=20, help=f"per burst, {TURNS} messages each")
    parser.add_argument("--pin", action="store_true",
                        help="both servers on the last CPU, the driver on the others: the same core for both")
    parser.add_argument("--texts", choices=sorted(TEXTS), default="cleared",
                        help="cleared: BOT_ANALYSIS=off, the hosting path; bench/distinct: the offline engines")
    parser.add_argument("--new-env", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for NEW's server only (e.g. one tree twice, BOT_EVENT_LOOP=asyncio)")
    args = parser.parse_args(argv)
    if any("=" not in item for item in args.new_env):
        parser.error("--new-env takes KEY=VALUE")
    new_env = dict(item.split("=", 1) for item in args.new_env)
    old_tree, new_tree = args.old.resolve(), args.new.resolve()
    rounds = max(1, (args.rounds + 1) // 2)
    orders = []
    # By position, not by path: OLD_TREE and NEW_TREE may be the same directory (an A/A run).
    for old_first in (True, False):
        first, second = (old_tree, new_tree) if old_first else (new_tree, old_tree)
        started_first, started_second = asyncio.run(
            compare(first, second, rounds, args.conversations, args.pin, args.texts,
                    envs=({}, new_env) if old_first else (new_env, {}))
        )
        orders.append((started_first, started_second, "old") if old_first
                      else (started_second, started_first, "new"))
    print(report(orders))
    (old_a, new_a, _), (old_b, new_b, _) = orders
    return replace(old_a, bursts=old_a.bursts + old_b.bursts), replace(new_a, bursts=new_a.bursts + new_b.bursts)


if __name__ == "__main__":
    main()
