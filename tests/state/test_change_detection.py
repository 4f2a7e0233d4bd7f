"""A record is written when its content changed, once, and not again for the eTag the write stamped on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.storage.memory_store import InMemoryStorage
from dialogs.state import BotState

CONVERSATION_KEY = "test/conversations/c1"


class CountingStorage(InMemoryStorage):
    """The in-memory store, recording the keys of every read and write call."""

    def __init__(self) -> None:
        super().__init__()
        self.read_keys: list[list[str]] = []
        self.written: list[list[str]] = []

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        self.read_keys.append(sorted(keys))
        return await super().read(keys)

    async def write(self, changes: Mapping[str, Any]) -> None:
        self.written.append(sorted(changes))
        await super().write(changes)


def message(text: str) -> Activity:
    return Activity(
        type=ActivityTypes.message, text=text, channel_id="test",
        conversation=ConversationAccount(id="c1"), from_property=ChannelAccount(id="u1"),
        recipient=ChannelAccount(id="bot"),
    )


async def test_a_saved_record_is_written_again_only_when_its_content_changes() -> None:
    storage = CountingStorage()
    state = BotState.over(storage)
    writes_after: list[int] = []

    async def turn(context: TurnContext) -> None:
        conversation = await state.conversation(context)
        await state.user(context)
        conversation.turns += 1
        await state.save(context)  # the change: written (the user record was created empty)
        writes_after.append(len(storage.written))
        await state.save(context)  # only the eTag differs now: nothing to write
        writes_after.append(len(storage.written))
        conversation.last_action = f"answered {conversation.turns}"
        await state.save(context)  # a change after the write: written, on the eTag the first write got
        writes_after.append(len(storage.written))

    adapter = TestAdapter(turn)
    await adapter.receive_activity(message("first"))
    await adapter.receive_activity(message("second"))

    assert writes_after == [1, 1, 2, 3, 3, 4]
    assert storage.written[0] == [CONVERSATION_KEY, "test/users/u1"]
    assert storage.written[1:] == [[CONVERSATION_KEY]] * 3  # the unchanged user record is not rewritten
    stored = (await storage.read([CONVERSATION_KEY]))[CONVERSATION_KEY]
    assert stored["profile"]["turns"] == 2 and stored["profile"]["last_action"] == "answered 2"


async def test_records_that_do_not_exist_yet_are_read_once_in_a_turn() -> None:
    """botbuilder-python would re-read an absent record on each accessor call until something was set."""
    storage = CountingStorage()
    state = BotState.over(storage)
    dialog_state = state.dialog_state

    async def first_turn(context: TurnContext) -> None:
        await state.conversation(context)
        await state.user(context)
        await dialog_state.get(context, dict)  # how botbuilder's dialogs reach the conversation record
        await dialog_state.set(context, {"stack": []})
        await state.save(context)

    await TestAdapter(first_turn).receive_activity(message("hello"))
    assert storage.read_keys == [[CONVERSATION_KEY, "test/users/u1"]]
    assert storage.written == [[CONVERSATION_KEY, "test/users/u1"]]


async def test_a_turn_that_changes_nothing_writes_nothing() -> None:
    storage = CountingStorage()
    state = BotState.over(storage)

    async def reading_turn(context: TurnContext) -> None:
        await state.conversation(context)
        await state.user(context)
        await state.save(context)

    async def writing_turn(context: TurnContext) -> None:
        (await state.conversation(context)).turns += 1
        await state.user(context)
        await state.save(context)

    await TestAdapter(writing_turn).receive_activity(message("hello"))
    before = len(storage.written)
    await TestAdapter(reading_turn).receive_activity(message("again"))
    assert len(storage.written) == before


async def test_botbuilders_own_cache_is_not_rewritten_for_the_etag_a_write_stamped() -> None:
    """On botbuilder's ConversationState an absent record gets botbuilder's cache, whose hash includes the eTag."""
    storage = CountingStorage()
    state = BotState(ConversationState(storage), UserState(storage))
    writes_after: list[int] = []

    async def turn(context: TurnContext) -> None:
        (await state.conversation(context)).turns += 1
        await state.dialog_state.get(context, dict)  # botbuilder reloads the absent record into its own cache
        await state.user(context)
        await state.save(context)
        writes_after.append(len(storage.written))
        await state.save(context)  # only the eTag differs now: nothing to write
        writes_after.append(len(storage.written))

    await TestAdapter(turn).receive_activity(message("hello"))
    assert writes_after == [1, 1]
