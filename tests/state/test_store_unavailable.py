"""An unreachable or unwritable store: the user is told plainly, nothing is half-sent or half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiohttp

from bot.app import create_app
from bot.storage.sqlite_store import SqliteStorage
from tests.conftest import make_settings, serve
from tests.harness import Harness
from tests.state.botproc import BotProcess
from tests.state.stores import blob_records, conversation_key, sqlite_records, turns_of
from tests.state.test_restart import ASK_EXPERIENCE, ASK_FEELING
from tests.storage.azurite import AzuriteServer

CANNOT_SAVE = (
    "I can't save our conversation right now, so I didn't act on your last message. "
    "Please try again in a minute."
)


async def readiness(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as response:
        return response.status, await response.json()


async def test_an_unusable_state_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    bot = await BotProcess({"BOT_STORAGE": "sqlite", "BOT_STATE_DIR": str(blocker / "data")}).start()
    try:
        status, body = await readiness(bot.url)
        assert (status, body["status"], body["checks"]["storage"]) == (503, "not ready", False)
        async with Harness(bot.messages_url) as harness:
            assert await harness.conversation().say_texts("feedback") == [CANNOT_SAVE]
    finally:
        bot.stop()
    assert blocker.read_text() == "not a directory"
    assert "state store unavailable" in bot.log_tail()


async def test_azurite_stopped_mid_dialog(tmp_path: Path) -> None:
    azurite = AzuriteServer(location=tmp_path / "azurite").start()
    container = "bot-state"
    bot = BotProcess({"BOT_STORAGE": "blob", "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string})
    try:
        await bot.start()
        async with Harness(bot.messages_url) as harness:
            conversation = harness.conversation()
            assert await conversation.say_texts("feedback") == [ASK_EXPERIENCE]

            azurite.stop()
            assert await conversation.say_texts("it was slow") == [CANNOT_SAVE]
            status, body = await readiness(bot.url)
            assert (status, body["checks"]["storage"]) == (503, False)

            azurite.start()  # same port, same data
            assert (await readiness(bot.url))[0] == 200
            records = await blob_records(azurite.connection_string, container)
            assert turns_of(records[conversation_key(conversation.conversation_id)]) == 1  # nothing of turn 2
            assert await conversation.say_texts("it was slow") == [ASK_FEELING]  # the dialog goes on
    finally:
        bot.stop()
        azurite.stop()


async def test_a_write_that_fails_sends_nothing_of_the_turn(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SqliteStorage(path, busy_timeout_s=0.2)
    runner, url = await serve(create_app(make_settings(BOT_ANALYSIS="off"), storage=store))
    try:
        async with Harness(f"{url}/api/messages") as harness:
            conversation = harness.conversation()
            assert await conversation.say_texts("feedback") == [ASK_EXPERIENCE]
            before = sqlite_records(path)

            writer = sqlite3.connect(path, isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock: reads work, writes fail
            try:
                replies = await conversation.say_texts("it was slow")
            finally:
                writer.execute("ROLLBACK")
                writer.close()

            assert replies == [CANNOT_SAVE]  # not the dialog's next question
            assert sqlite_records(path) == before
            assert await conversation.say_texts("it was slow") == [ASK_FEELING]
    finally:
        await runner.cleanup()
        await store.close()
