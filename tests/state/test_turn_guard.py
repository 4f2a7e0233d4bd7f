"""TurnGuard in one process: one turn at a time per conversation, retry on a lost race, send after save."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from botbuilder.core import Storage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.storage.blob_store import AzureBlobStorage
from bot.storage.memory_store import InMemoryStorage
from bot.storage.sqlite_store import SqliteStorage
from bot.turn_guard import TurnCapture, TurnGuard
from dialogs.state import BotState
from tests.state.stores import BrokenStorage, OneKeyRivalStorage, RivalStorage, turns_of
from tests.storage.azurite import AzuriteServer

CANNOT_SAVE = "I can't save our conversation right now"
TOO_BUSY = "Several of your messages arrived at the same time"

Reply = Callable[[TurnContext, BotState], Awaitable[None]]


async def say_turn_number(context: TurnContext, state: BotState) -> None:
    profile = await state.conversation(context)
    await context.send_activity(f"turn {profile.turns}")
    await asyncio.sleep(0)  # let other turns run between reading state and saving it
    await state.save(context)


class Bot:
    """TurnGuard, TurnCapture and a small bot on one store, driven through TestAdapter."""

    def __init__(self, storage: Storage, reply: Reply = say_turn_number, **guard_options) -> None:
        self.storage = storage
        self.state = BotState.over(storage)
        self.guard = TurnGuard(**guard_options)

        async def logic(context: TurnContext) -> None:
            await reply(context, self.state)

        self.adapter = TestAdapter(logic)
        self.adapter.use(self.guard)
        self.adapter.use(TurnCapture(self.state))

    async def say(self, text: str, conversation: str = "c1", locale: str | None = None) -> list[str]:
        before = len(self.adapter.activity_buffer)
        await self.adapter.receive_activity(message(text, conversation, locale))
        return [a.text for a in list(self.adapter.activity_buffer)[before:]]

    async def record(self, conversation: str = "c1") -> dict:
        key = f"test/conversations/{conversation}"
        return (await self.storage.read([key])).get(key) or {}


def message(text: str, conversation: str = "c1", locale: str | None = None) -> Activity:
    return Activity(
        type=ActivityTypes.message, text=text, channel_id="test", locale=locale,
        conversation=ConversationAccount(id=conversation),
        from_property=ChannelAccount(id="user-1"), recipient=ChannelAccount(id="bot"),
    )


@pytest.fixture(params=["memory", "sqlite", "blob"])
async def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "memory":
        yield InMemoryStorage()
        return
    if request.param == "blob":
        azurite: AzuriteServer = request.getfixturevalue("state_azurite")
        async with AzureBlobStorage(azurite.connection_string, f"guard-{uuid.uuid4().hex[:12]}") as blob:
            yield blob
        return
    async with SqliteStorage(tmp_path / "state.sqlite3") as sqlite:
        yield sqlite


async def test_turns_of_one_conversation_run_one_at_a_time(store: Storage) -> None:
    inside = 0
    most_inside = 0

    async def slow_reply(context: TurnContext, state: BotState) -> None:
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        await say_turn_number(context, state)
        await asyncio.sleep(0)
        inside -= 1

    bot = Bot(store, slow_reply)
    await asyncio.gather(*(bot.say(f"message {n}") for n in range(10)))

    assert most_inside == 1
    assert turns_of(await bot.record()) == 10  # no lost update
    assert bot.guard.retries == 0  # serialised turns never race each other
    assert sorted(a.text for a in bot.adapter.activity_buffer) == sorted(f"turn {n}" for n in range(1, 11))
    assert len(bot.guard.locks) == 0  # idle conversations keep no lock


async def test_other_conversations_are_not_held_up() -> None:
    started = {"a": asyncio.Event(), "b": asyncio.Event()}

    async def wait_for_the_other(context: TurnContext, state: BotState) -> None:
        me = context.activity.conversation.id
        started[me].set()
        await started["b" if me == "a" else "a"].wait()  # deadlocks if conversations were serialised
        await say_turn_number(context, state)

    bot = Bot(InMemoryStorage(), wait_for_the_other)
    async with asyncio.timeout(10):
        await asyncio.gather(bot.say("hi", "a"), bot.say("hi", "b"))
    sent = [(a.conversation.id, a.text) for a in bot.adapter.activity_buffer]
    assert sorted(sent) == [("a", "turn 1"), ("b", "turn 1")]


async def test_a_turn_that_lost_a_race_runs_again_and_speaks_once(store: Storage) -> None:
    bot = Bot(RivalStorage(store, rival_writes=0))
    assert await bot.say("first") == ["turn 1"]
    bot.storage.rival_writes = 1  # another replica saves this conversation during the next turn

    replies = await bot.say("second")

    assert replies == ["turn 2"]  # the first attempt's reply was never sent
    record = await bot.record()
    assert turns_of(record) == 2 and record["rival"] == 1  # both writers' updates are kept
    assert bot.guard.retries == 1


async def test_a_new_conversation_created_meanwhile_by_another_replica_is_not_overwritten(store: Storage) -> None:
    bot = Bot(RivalStorage(store, rival_writes=1))
    assert await bot.say("hello") == ["turn 1"]
    record = await bot.record()
    assert record["rival"] == 1 and turns_of(record) == 1  # create-only write lost, then merged
    assert bot.guard.retries == 1


async def test_a_turn_that_keeps_losing_gives_up_with_a_clear_message(store: Storage) -> None:
    bot = Bot(RivalStorage(store, rival_writes=0), attempts=3)
    await bot.say("first")
    bot.storage.rival_writes = 3

    replies = await bot.say("second")

    assert len(replies) == 1 and replies[0].startswith(TOO_BUSY)
    record = await bot.record()
    assert turns_of(record) == 1 and record["rival"] == 3  # only the rival's writes landed
    assert bot.guard.failures == 1


async def test_a_lost_user_record_race_writes_nothing_of_the_conversation(store: Storage) -> None:
    """The user record conflicts after the turn read it: the re-run must not see its own first try."""

    async def count_in_user_profile_too(context: TurnContext, state: BotState) -> None:
        user = await state.user(context)
        user.corrections.append({"turn": (await state.conversation(context)).turns})
        await say_turn_number(context, state)

    user_key = "test/users/user-1"
    rival = OneKeyRivalStorage(store, user_key)
    bot = Bot(rival, count_in_user_profile_too)
    await bot.say("first")
    rival.armed = True  # the same user, in another conversation on another replica

    assert await bot.say("second") == ["turn 2"]

    assert rival.rival_writes == 1 and bot.guard.retries == 1
    assert turns_of(await bot.record()) == 2  # not 3: the lost attempt wrote nothing at all
    user = (await store.read([user_key]))[user_key]
    assert user["elsewhere"] == 1
    assert [entry["turn"] for entry in user["profile"]["corrections"]] == [1, 2]


@pytest.mark.parametrize("reads_fail", [False, True])
async def test_an_unreachable_store_gets_a_clear_message_and_nothing_else(reads_fail: bool) -> None:
    inner = InMemoryStorage()
    broken = BrokenStorage(inner, writes_fail=False)
    bot = Bot(broken)
    await bot.say("first")
    broken.reads_fail, broken.writes_fail = reads_fail, True  # the store goes down

    replies = await bot.say("second")

    assert len(replies) == 1 and replies[0].startswith(CANNOT_SAVE)
    assert turns_of((await inner.read(["test/conversations/c1"]))["test/conversations/c1"]) == 1
    assert bot.guard.failures == 1


async def test_the_clear_message_speaks_the_users_language() -> None:
    bot = Bot(BrokenStorage(InMemoryStorage(), reads_fail=True))
    [reply] = await bot.say("hola", locale="es-ES")
    assert not reply.startswith(CANNOT_SAVE) and "conversación" in reply


async def test_an_error_in_the_turn_sends_nothing_of_it_and_reaches_on_turn_error() -> None:
    async def fail_after_speaking(context: TurnContext, state: BotState) -> None:
        await context.send_activity("half a reply")
        raise RuntimeError("bug")

    bot = Bot(InMemoryStorage(), fail_after_speaking)
    errors: list[str] = []

    async def on_error(context: TurnContext, error: Exception) -> None:
        errors.append(str(error))
        await context.send_activity("sorry")

    bot.adapter.on_turn_error = on_error
    assert await bot.say("hi") == ["sorry"]
    assert errors == ["bug"]


async def test_a_cached_embedding_is_found_again_only_by_its_own_conversation() -> None:
    """No timing oracle: another conversation sending the same text does not hit the cache."""
    import numpy as np

    from adapters.embedding_cache import EmbeddingCache

    cache = EmbeddingCache()
    found: list[tuple[str, str, bool]] = []

    async def embed_like_an_engine(context: TurnContext, state: BotState) -> None:
        text = context.activity.text
        found.append((context.activity.conversation.id, text, cache.get(text) is not None))
        cache.put(text, np.ones(3))
        await context.send_activity("ok")

    bot = Bot(InMemoryStorage(), reply=embed_like_an_engine)
    await bot.say("I was diagnosed last week", conversation="alice")
    await bot.say("I was diagnosed last week", conversation="bob")
    await bot.say("I was diagnosed last week", conversation="alice")
    await bot.say("I was diagnosed last week", conversation="bob")
    assert [hit for _, _, hit in found] == [False, False, True, True]
    assert cache.get("I was diagnosed last week") is None  # outside any turn: a scope of its own
