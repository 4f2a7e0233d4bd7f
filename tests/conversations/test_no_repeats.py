"""Every conversation script, replayed on the real bot: it never sends the same text twice in a row.

This runs each `.chat` conversation again and looks only at what the bot said, whether
or not the script's own expectations hold, so a prompt loop fails here even where a
script accepts any reply (`bot: ...`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation_bot import showcase_bot
from chatscripts.compare import Turn
from chatscripts.files import load_conversations
from chatscripts.inprocess import run_in_process
from chatscripts.model import Conversation
from tests.conversations.repeats import RepeatWatch

HERE = Path(__file__).parent


def scripts() -> list[Conversation]:
    return [conversation for path in sorted(HERE.glob("*.chat")) for conversation in load_conversations(path)]


def repeats_in(turns: tuple) -> list[str]:
    watch = RepeatWatch()
    for turn in turns:
        if isinstance(turn, Turn):
            watch.see(turn.actual, user=str(turn.user.activity.get("text") or turn.user.label))
    return [str(repeat) for repeat in watch.repeats]


@pytest.mark.parametrize("conversation", scripts(), ids=lambda c: f"{c.source.name}::{c.name}")
async def test_the_bot_never_sends_the_same_text_twice_in_a_row(conversation: Conversation) -> None:
    outcome = await run_in_process(conversation, showcase_bot)
    assert not outcome.error, outcome.error
    assert repeats_in(outcome.turns) == []


def test_the_watch_sees_a_repeat_across_turns_and_events_but_not_across_a_card() -> None:
    watch = RepeatWatch()
    assert watch.see([{"type": "message", "text": "Pick one."}]) == []
    replies = [{"type": "typing"}, {"type": "event", "name": "x"}, {"type": "message", "text": "Pick  one."}]
    assert [str(r) for r in watch.see(replies, "hm")] == [
        "the bot sent 'Pick one.' twice in a row after the user said 'hm'"
    ]
    watch.see([{"type": "message", "attachments": [{"contentType": "card"}]}])
    assert watch.see([{"type": "message", "text": "Pick one."}]) == []
