"""What a user writes is kept within fixed bounds: per text, per list, and so per stored record."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.storage.codec import encode_item
from bot.storage.memory_store import InMemoryStorage
from dialogs.state import (
    CORRECTIONS_LIMIT,
    ELLIPSIS,
    FEEDBACK_LIMIT,
    STORED_TEXT_CHARS,
    TRANSCRIPT_LIMIT,
    BotState,
    ConversationProfile,
    UserProfile,
    clip_text,
)

FLOOD = 10_000
LONG = "ünïcødé text 🙂 " * 400  # 6,400 characters, past the bot's own 5,120-character message limit


def feedback(n: int) -> dict[str, Any]:
    return {"comment": f"{n} {LONG}", "details": f"{n} {LONG}", "feeling": "negative", "corrected": False,
            "detected": {"label": "negative", "score": 0.9, "engine": "fake"}}


def correction(n: int) -> dict[str, Any]:
    return {"detected": "neutral", "score": 0.5, "engine": "fake", "corrected": "negative", "n": n}


def texts_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts_of(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts_of(item)]
    return []


def test_a_long_text_is_clipped_with_an_ellipsis_and_a_short_one_kept() -> None:
    clipped = clip_text(LONG)
    assert len(clipped) == STORED_TEXT_CHARS and clipped.endswith(ELLIPSIS)
    assert LONG.startswith(clipped[: -len(ELLIPSIS)])
    assert clip_text("ok") == "ok"
    assert clip_text("x" * STORED_TEXT_CHARS) == "x" * STORED_TEXT_CHARS


def test_a_conversation_fed_ten_thousand_long_lines_keeps_the_newest_within_the_caps() -> None:
    profile = ConversationProfile()
    for n in range(FLOOD):
        profile.remember("user" if n % 2 else "bot", f"{n} {LONG}")

    assert len(profile.transcript) == TRANSCRIPT_LIMIT
    assert profile.transcript[-1]["text"].startswith(f"{FLOOD - 1} ")  # the newest are kept
    assert all(len(line["text"]) <= STORED_TEXT_CHARS for line in profile.transcript)


def test_a_user_fed_ten_thousand_feedbacks_and_corrections_keeps_the_newest_within_the_caps() -> None:
    profile = UserProfile()
    for n in range(FLOOD):
        profile.add_feedback(feedback(n))
        profile.add_correction(correction(n))

    assert len(profile.feedback) == FEEDBACK_LIMIT
    assert len(profile.corrections) == CORRECTIONS_LIMIT
    assert profile.feedback[-1]["comment"].startswith(f"{FLOOD - 1} ")
    assert profile.corrections[0]["n"] == FLOOD - CORRECTIONS_LIMIT
    assert max(len(text) for text in texts_of(asdict(profile))) == STORED_TEXT_CHARS


def test_state_stored_before_the_caps_is_bounded_when_loaded() -> None:
    stored_conversation = {"transcript": [{"role": "user", "text": LONG}] * 500}
    stored_user = {"feedback": [feedback(n) for n in range(500)], "corrections": [correction(n) for n in range(500)]}

    conversation = ConversationProfile(**stored_conversation)
    user = UserProfile(**stored_user)

    assert len(conversation.transcript) == TRANSCRIPT_LIMIT
    assert len(user.feedback) == FEEDBACK_LIMIT and user.feedback[-1]["comment"].startswith("499 ")
    assert len(user.corrections) == CORRECTIONS_LIMIT
    assert max(len(text) for text in texts_of(asdict(user)) + texts_of(asdict(conversation))) <= STORED_TEXT_CHARS


async def test_the_stored_json_stops_growing_however_much_a_user_writes() -> None:
    storage = InMemoryStorage()
    state = BotState.over(storage)
    entries_per_turn = 100

    async def flood(context: TurnContext) -> None:
        conversation, user = await state.conversation(context), await state.user(context)
        base = conversation.turns * entries_per_turn
        conversation.turns += 1
        for n in range(base, base + entries_per_turn):
            conversation.remember("user", f"{n} {LONG}")
            user.add_feedback(feedback(n))
            user.add_correction(correction(n))
        await state.save(context)

    adapter = TestAdapter(flood)
    sizes: list[int] = []
    for turn in range(FLOOD // entries_per_turn):
        await adapter.receive_activity(Activity(
            type=ActivityTypes.message, text=f"turn {turn}", channel_id="test",
            conversation=ConversationAccount(id="c1"), from_property=ChannelAccount(id="u1"),
            recipient=ChannelAccount(id="bot"),
        ))
        records = await storage.read(["test/conversations/c1", "test/users/u1"])
        sizes.append(sum(len(encode_item(key, item).encode()) for key, item in records.items()))

    # Full after the first turn: 9,900 more entries changed the size only by where the clips fall.
    assert max(sizes) - min(sizes) < sizes[0] // 100
    # Each kept text is at most STORED_TEXT_CHARS characters, at most 12 bytes each as JSON
    # (a \uXXXX surrogate pair); a few hundred bytes of keys and numbers per entry.
    per_text = STORED_TEXT_CHARS * 12 + 300
    bound = TRANSCRIPT_LIMIT * per_text + FEEDBACK_LIMIT * 2 * per_text + CORRECTIONS_LIMIT * 300 + 10_000
    assert sizes[-1] < bound
    assert sizes[-1] < 1_000_000


class Named(str):
    """A str subclass: bounding turns it into a plain str."""


def entries_of_every_shape() -> list[Any]:
    return [
        {"role": "user", "text": "hello"},
        {"role": "bot", "text": "x" * STORED_TEXT_CHARS},  # exactly at the bound: kept
        {"role": "bot", "text": "x" * (STORED_TEXT_CHARS + 1)},  # past it: clipped
        {"detected": "neutral", "score": 0.5, "corrected": False, "n": 3, "none": None},
        {"detected": {"label": "negative", "text": LONG}},  # nested: bounded inside
        {"tags": ["a", LONG]},
        {"name": Named("n")},
        "a bare text " + LONG,
        7,
    ]


def test_loaded_entries_equal_what_bounding_each_gives_and_in_bounds_ones_are_not_copied() -> None:
    from dialogs.state import _bounded

    stored = entries_of_every_shape() * 30
    profile = ConversationProfile(transcript=stored)
    expected = [_bounded(entry) for entry in stored[-TRANSCRIPT_LIMIT:]]
    assert profile.transcript == expected
    assert [type(entry) for entry in profile.transcript] == [type(entry) for entry in expected]
    assert all(type(value) is str for entry in profile.transcript if isinstance(entry, dict)
               for value in entry.values() if isinstance(value, str))
    kept = {id(entry) for entry in stored}
    shared = [entry for entry in profile.transcript if isinstance(entry, dict) and id(entry) in kept]
    assert shared and all(len(entry.get("text", "")) <= STORED_TEXT_CHARS for entry in shared)
    user = UserProfile(corrections=stored, feedback=stored)
    assert user.corrections == [_bounded(entry) for entry in stored[-CORRECTIONS_LIMIT:]]
    assert user.feedback == [_bounded(entry) for entry in stored[-FEEDBACK_LIMIT:]]
