"""A conversation held in the real Web Chat page (headless Debian Chromium), recorded, replays green."""

from __future__ import annotations

import json
from pathlib import Path

from bot.conversation_bot import showcase_bot
from chatscripts.inprocess import run_in_process
from chatscripts.render import render
from chatscripts.transcript import load_transcript
from tests.conversations.record_webchat import SESSION, record_webchat_session


def recorded_user_texts(path: Path) -> list[str]:
    activities = json.loads(path.read_text(encoding="utf-8"))
    return [a["text"] for a in activities if a["from"].get("role") == "user" and a["type"] == "message"]


async def test_a_webchat_session_recorded_with_recording_on_replays_green(tmp_path: Path):
    path = await record_webchat_session(tmp_path)
    assert path.parent.name == "webchat"  # recorded as the Web Chat channel, by the Direct Line endpoint
    assert recorded_user_texts(path) == list(SESSION)
    conversation = load_transcript(path)
    outcome = await run_in_process(conversation, showcase_bot)
    assert outcome.passed, render(outcome)
    assert [row.status for row in outcome.rows].count("ok") >= len(SESSION) + 1  # welcome + one per message
    assert any("card" in row.actual for row in outcome.rows if row.status == "ok")
