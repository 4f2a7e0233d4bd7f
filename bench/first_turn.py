"""Ready means warm: the first turns of a fresh `python -m bot` right after /readyz says 200.

    python -m bench.first_turn [--runs 3]

Each run starts a new process on a fresh state directory (as `make run` does), waits for
/readyz to answer 200, then times, one after the other: the first conversationUpdate (the
welcome), the first message, and a second message of the same conversation, each from
request sent to last reply received. Target (issue 13): the first message <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench.turns import Channel, activity, free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
FIRST_MESSAGE = "I really love how quickly this bot answers my questions!"
SECOND_MESSAGE = "The delivery was late again and the box was damaged."
TARGET_MS = 100.0


async def _wait_ready(base: str, process: subprocess.Popen, timeout_s: float = 120) -> float:
    """Seconds from start until /readyz answered 200."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"bot exited with {process.returncode}")
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError("/readyz never said 200")


async def _timed_turn(session: aiohttp.ClientSession, url: str, body: dict, channel: Channel) -> float:
    conversation_id = body["conversation"]["id"]
    before = channel.replies[conversation_id]
    started = time.perf_counter()
    async with session.post(url, json=body) as response:
        await response.read()
        if response.status >= 300:
            raise RuntimeError(f"turn answered {response.status}")
    elapsed = (time.perf_counter() - started) * 1000
    if channel.replies[conversation_id] == before:
        raise RuntimeError("the turn sent no reply")
    return elapsed


async def one_run(extra_env: dict[str, str] | None = None) -> dict[str, float]:
    """Start a fresh bot, wait for ready, time its first turns; the figures in ms (ready in s)."""
    port = free_port()
    channel = Channel()
    await channel.start()
    with tempfile.TemporaryDirectory(prefix="bench-first-") as state_dir, tempfile.TemporaryFile("w+") as stderr:
        env = {**os.environ, "PORT": str(port), "BOT_STATE_DIR": state_dir, **(extra_env or {})}
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                ready_s = await _wait_ready(base, process)
            except RuntimeError as error:
                stderr.seek(0)
                raise RuntimeError(f"{error}\n{stderr.read()[-2000:]}") from None
            url = f"{base}/api/messages"
            conversation_id = str(uuid.uuid4())
            async with aiohttp.ClientSession() as session:
                welcome = await _timed_turn(
                    session, url, activity("conversationUpdate", conversation_id, channel.url), channel)
                first = await _timed_turn(
                    session, url, activity("message", conversation_id, channel.url, FIRST_MESSAGE), channel)
                second = await _timed_turn(
                    session, url, activity("message", conversation_id, channel.url, SECOND_MESSAGE), channel)
        finally:
            stop_process(process)
            await channel.stop()
    return {"ready_s": round(ready_s, 2), "welcome_ms": round(welcome, 1),
            "first_message_ms": round(first, 1), "second_message_ms": round(second, 1)}


async def measure(runs: int, extra_env: dict[str, str] | None = None) -> dict[str, object]:
    results = [await one_run(extra_env) for _ in range(runs)]
    median = {key: round(statistics.median(r[key] for r in results), 2) for key in results[0]}
    return {"runs": results, "median": median, "target_first_message_ms": TARGET_MS,
            "met": median["first_message_ms"] <= TARGET_MS}


def print_report(report: dict[str, object]) -> None:
    median = report["median"]
    assert isinstance(median, dict)
    print(f"fresh `python -m bot` (defaults), median of {len(report['runs'])} runs: "  # type: ignore[arg-type]
          f"/readyz 200 after {median['ready_s']} s; then welcome {median['welcome_ms']} ms, "
          f"first message {median['first_message_ms']} ms, second {median['second_message_ms']} ms "
          f"(target first message <= {TARGET_MS:g} ms: {'met' if report['met'] else 'missed'})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print_report(asyncio.run(measure(args.runs)))


if __name__ == "__main__":
    main()
