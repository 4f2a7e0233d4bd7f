"""The safety reply always gets out: with the store down, and with every engine switched off.

Over real HTTP with the Emulator harness, on the real runtime: the lexicon is the only
safety engine here (fake engines for the rest), and the store fails as an unreachable
server does, at the first read or only at the save.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from botbuilder.core import MemoryStorage

from adapters.engines import build_engines
from bot.app import create_app
from tests.conftest import FAKE_ONLY, make_settings, serve
from tests.harness import Harness
from tests.state.stores import BrokenStorage

DISTRESS = "I want to kill myself"
SUPPORT = "I'm really sorry you're going through this"
CANNOT_SAVE = "I can't save our conversation right now"


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text") or "" for reply in replies if reply["type"] == "message"]


async def replies_to(app: web.Application, *messages: str) -> list[list[str]]:
    """Each message in a conversation of its own, over HTTP; the texts of the replies to each."""
    runner, url = await serve(app)
    try:
        async with Harness(f"{url}/api/messages") as harness:
            return [texts(await harness.conversation().say(message)) for message in messages]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("reads_fail", [True, False], ids=["store-down-at-load", "store-down-at-save"])
async def test_the_safety_reply_arrives_while_the_store_is_down(reads_fail: bool) -> None:
    storage = BrokenStorage(MemoryStorage(), reads_fail=reads_fail, writes_fail=True)
    app = create_app(make_settings(), storage=storage, engines=build_engines(FAKE_ONLY))
    replies, ordinary = await replies_to(app, DISTRESS, "hello there")
    assert SUPPORT in replies[0], replies  # support first, then the note about the store
    assert any(CANNOT_SAVE in reply for reply in replies[1:]), replies
    assert not any(SUPPORT in reply for reply in ordinary), ordinary


async def test_analysis_off_still_answers_distress_with_the_safety_reply() -> None:
    replies, ordinary = await replies_to(create_app(make_settings(BOT_ANALYSIS="off")), DISTRESS, "hello there")
    assert any(SUPPORT in reply for reply in replies), replies
    assert not any("Analysis is off" in reply for reply in replies), replies
    assert not any(SUPPORT in reply for reply in ordinary), ordinary
