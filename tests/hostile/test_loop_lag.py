"""No message blocks the event loop: a probe measures loop lag while hostile turns run.

The bot runs in this test's event loop on the real offline engines (the `make run`
default), so any CPU-heavy step left on the loop shows up as lag of the probe task,
exactly as it would stall `/healthz` and every other conversation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.conftest import offline_bot_at
from tests.harness import Harness

MAX_LAG_S = 0.100
PROBE_INTERVAL_S = 0.005

# A message at the text limit made of what the regexes and engines find hardest.
ADVERSARIAL = (
    "a@" * 400 + "http://" + "." * 800 + " " + "A-" * 400 + "x" * 900 + " " + "1." * 400
    + "I want to translate this. " * 40
)[:5120]


class LagProbe:
    """Sleeps in short steps and records how late the loop woke it up."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(PROBE_INTERVAL_S)
            self.worst = max(self.worst, time.perf_counter() - started - PROBE_INTERVAL_S)

    def __enter__(self) -> LagProbe:
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.fixture
async def offline_bot() -> AsyncIterator[tuple[Harness, str]]:
    async with offline_bot_at() as bot:
        yield bot


async def test_hostile_messages_never_block_the_loop(offline_bot: tuple[Harness, str]) -> None:
    harness, _ = offline_bot
    conversation = harness.conversation()
    await conversation.say("hello")  # first turn: caches warm before measuring
    with LagProbe() as probe:
        huge = await conversation.say("x" * 100_000)
        hostile = await conversation.say(ADVERSARIAL)
        ordinary = await conversation.say("Me encanta este producto, pero llegó tarde.")
    assert "5,120" in huge[0]["text"]
    assert hostile and ordinary
    print(f"worst loop lag {probe.worst * 1000:.1f} ms")
    assert probe.worst <= MAX_LAG_S, f"the event loop was blocked for {probe.worst * 1000:.0f} ms"


async def test_healthz_answers_while_a_huge_message_is_handled(offline_bot: tuple[Harness, str]) -> None:
    harness, url = offline_bot
    conversation = harness.conversation()
    await conversation.say("hello")
    turn = asyncio.ensure_future(conversation.say("z" * 100_000))
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.get(f"{url}/healthz") as response:
            assert response.status == 200
        health_s = time.perf_counter() - started
    replies = await turn
    assert "5,120" in replies[0]["text"]
    assert health_s <= MAX_LAG_S, f"/healthz took {health_s * 1000:.0f} ms"
