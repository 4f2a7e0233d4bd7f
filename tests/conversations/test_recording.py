"""Recording (bot/transcripts.py): a conversation held over HTTP becomes a `.transcript` that replays green."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from botbuilder.core import Middleware, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.app import RUNTIME, create_app
from bot.conversation_bot import PATIENT, showcase_bot
from bot.settings import Settings
from bot.transcripts import FileTranscriptStore, install_transcript_logging, safe_name
from chatscripts.inprocess import run_in_process
from chatscripts.live import run_live
from chatscripts.render import render
from chatscripts.script import parse_script
from chatscripts.transcript import load_transcript
from tests.conftest import make_settings, serve

# One recording (the real app, its offline engines) shared by the module's tests.
pytestmark = pytest.mark.asyncio(loop_scope="module")

SESSION = """\
title: a session to record
join
bot: ...
user: hello
bot: ...
user: Analyze a text
bot: ...
user: I love this bot, it is great
bot: ...
"""


async def record(settings: Settings, directory: Path, script: str) -> list[Path]:
    """Serve the real app with recording on and hold the scripted conversation with it over HTTP."""
    app = create_app(settings)

    async def start_recording(app: web.Application) -> None:
        install_transcript_logging(app[RUNTIME].adapter, directory)

    app.on_startup.append(start_recording)
    runner, url = await serve(app)
    try:
        outcomes = await run_live(parse_script(script, "session.chat"), f"{url}/api/messages")
    finally:
        await runner.cleanup()
    assert all(outcome.passed for outcome in outcomes)
    return transcripts_in(directory)


def transcripts_in(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.transcript"))


def read_json(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: list[dict]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (path,) = await record(make_settings(**PATIENT), tmp_path_factory.mktemp("recorded"), SESSION)
    return path


async def test_a_recorded_session_is_an_emulator_style_transcript(recorded: Path):
    path = recorded
    assert path.parent.name == "emulator" and path.name.endswith("_livechat.transcript")
    activities = read_json(path)
    roles = [a["from"]["role"] for a in activities]
    assert roles[0] == "user" and "bot" in roles
    user_texts = [a.get("text") for a in activities if a["from"]["role"] == "user" and a["type"] == "message"]
    assert user_texts == ["hello", "Analyze a text", "I love this bot, it is great"]
    assert all(a.get("timestamp") and a.get("conversation", {}).get("id") for a in activities)


async def test_a_recorded_session_replays_green_in_process(recorded: Path):
    conversation = load_transcript(recorded)
    assert conversation.engines == "app"  # replayed on the engines it was recorded with
    outcome = await run_in_process(conversation, showcase_bot)
    assert outcome.passed, render(outcome)
    assert sum(row.status == "ok" for row in outcome.rows) >= 4


async def test_a_tampered_recording_fails_its_replay(recorded: Path, tmp_path: Path):
    path = Path(shutil.copy(recorded, tmp_path / "tampered.transcript"))
    activities = read_json(path)
    last_bot = max(i for i, a in enumerate(activities) if a["from"]["role"] == "bot")
    activities[last_bot]["attachments"] = []
    write_json(path, activities)
    outcome = await run_in_process(load_transcript(path), showcase_bot)
    assert not outcome.passed
    assert "attachments: expected []" in outcome.failures[0].details[0]


class BufferingMiddleware(Middleware):
    """Holds replies until the end of the turn, as the translating pipeline does."""

    async def on_turn(self, context: TurnContext, logic) -> None:
        held: list[Activity] = []
        flushing = False

        async def hold(ctx, activities, send_next):
            if flushing:
                return await send_next()
            held.extend(activities)
            return []

        context.on_send_activities(hold)
        await logic()
        flushing = True
        await context.send_activities(held)


async def test_replies_held_until_the_end_of_the_turn_are_recorded(tmp_path: Path):
    async def echo(context: TurnContext) -> None:
        await context.send_activity(f"echo: {context.activity.text}")

    adapter = TestAdapter(echo)
    adapter.use(BufferingMiddleware())
    install_transcript_logging(adapter, tmp_path)  # last, as runtime.py must
    await adapter.receive_activity(
        Activity(type=ActivityTypes.message, text="hi", channel_id="test",
                 conversation=ConversationAccount(id="c|1"), from_property=ChannelAccount(id="u"))
    )
    records = read_json(tmp_path / "test" / "c_1.transcript")
    assert [(r["from"]["role"], r["text"]) for r in records] == [("user", "hi"), ("bot", "echo: hi")]


async def test_the_file_store_appends_one_json_array_per_conversation(tmp_path: Path):
    store = FileTranscriptStore(tmp_path)
    for index in range(3):
        for conversation in ("a", "b|2"):
            await store.log_activity(
                Activity(type="message", text=f"{conversation}-{index}", id=str(index), channel_id="webchat",
                         conversation=ConversationAccount(id=conversation),
                         from_property=ChannelAccount(id="u", role="user"))
            )
    first = read_json(store.path_for("webchat", "a"))
    assert [r["text"] for r in first] == ["a-0", "a-1", "a-2"]
    page = await store.get_transcript_activities("webchat", "b|2")
    assert [a.text for a in page.items] == ["b|2-0", "b|2-1", "b|2-2"]
    listed = await store.list_transcripts("webchat")
    assert sorted(info.id for info in listed.items) == ["a", "b_2"]
    await store.delete_transcript("webchat", "a")
    assert not store.path_for("webchat", "a").exists()
    assert safe_name("../../etc/passwd") == "etc_passwd"
