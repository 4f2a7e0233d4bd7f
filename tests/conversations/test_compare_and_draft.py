"""Alignment of expected and actual replies, and drafting a script from what the bot said."""

from __future__ import annotations

from pathlib import Path

from bot.conversation_bot import showcase_bot
from chatscripts.compare import align
from chatscripts.draft import draft
from chatscripts.inprocess import run_in_process
from chatscripts.script import parse_script


def bot_steps(*lines: str):
    (conversation,) = parse_script("user: x\n" + "".join(f"bot: {line}\n" for line in lines), "t.chat")
    return conversation.steps[1:]


def said(*texts: str) -> list[dict]:
    return [{"type": "message", "text": text} for text in texts]


def statuses(expected, actual) -> list[str]:
    return [row.status for row in align(expected, actual)]


def test_exact_sequence_matches_row_by_row():
    assert statuses(bot_steps("a", "b"), said("a", "b")) == ["ok", "ok"]


def test_a_wildcard_absorbs_any_number_of_replies_in_the_middle():
    assert statuses(bot_steps("a", "...", "z"), said("a", "b", "c", "z")) == ["ok", "any", "any", "ok"]
    assert statuses(bot_steps("a", "...", "z"), said("a", "z")) == ["ok", "any", "ok"]


def test_missing_extra_and_differing_replies_are_told_apart():
    assert statuses(bot_steps("a", "b", "c"), said("a", "c")) == ["ok", "missing", "ok"]
    assert statuses(bot_steps("a"), said("a", "surprise")) == ["ok", "extra"]
    assert statuses(bot_steps("a", "b"), said("a", "B!")) == ["ok", "differs"]


def test_typing_and_trace_activities_are_not_replies():
    actual = [{"type": "typing"}, *said("a"), {"type": "trace", "name": "debug"}]
    from chatscripts.compare import visible

    assert statuses(bot_steps("a"), visible(actual)) == ["ok"]


async def test_a_drafted_script_replays_green_against_the_same_bot():
    source = """\
title: draft me
join
user: Give feedback
user: I love it, great service
user: 7
---
title: and in Japanese
language: ja
join
user: テキストを分析
user: このボットは素晴らしいです
"""
    drafted = []
    for conversation in parse_script(source, Path("draft.chat")):
        outcome = await run_in_process(conversation, showcase_bot)
        assert not outcome.passed  # no bot lines yet: every reply is "extra"
        drafted.append(draft(outcome))
    for text in drafted:
        assert "\nbot: " in text
        (again,) = parse_script(text, Path("drafted.chat"))
        replayed = await run_in_process(again, showcase_bot)
        assert replayed.passed, text
    assert 'card "テキスト分析"' in drafted[1]
    assert 'suggested "1", "2", "3", "4", "5"' in drafted[0]
