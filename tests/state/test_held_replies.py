"""Replies held until state is saved still reach the HTTP response: invoke responses and expectReplies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount, DeliveryModes

from bot.runtime import Runtime, build_runtime
from bot.storage.memory_store import InMemoryStorage
from tests.conftest import make_settings
from tests.state.stores import RivalStorage


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    """The real adapter and middleware; the first write of each turn loses a race to a rival."""
    built = await build_runtime(make_settings(BOT_ANALYSIS="off"), storage=RivalStorage(InMemoryStorage(), 1))
    yield built
    await built.close()


def incoming(kind: str, **fields) -> Activity:
    return Activity(
        type=kind, channel_id="emulator", service_url="http://127.0.0.1:9",  # nothing listens: nothing may be sent
        conversation=ConversationAccount(id="conversation-1"), from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"), **fields,
    )


async def test_the_invoke_response_of_the_attempt_that_saved_is_returned(runtime: Runtime) -> None:
    attempts = 0

    async def logic(context: TurnContext) -> None:
        nonlocal attempts
        attempts += 1
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body={"attempt": attempts}))
        )
        profile = await runtime.state.conversation(context)
        profile.last_action = "invoked"
        await runtime.state.save(context)

    response = await runtime.adapter.process_activity("", incoming(ActivityTypes.invoke, name="test/ping"), logic)

    assert attempts == 2
    assert (response.status, response.body) == (200, {"attempt": 2})


async def test_expect_replies_returns_each_reply_once(runtime: Runtime) -> None:
    attempts = 0

    async def logic(context: TurnContext) -> None:
        nonlocal attempts
        attempts += 1
        await context.send_activity("one")
        await context.send_activity("two")
        await runtime.state.save(context)

    activity = incoming(ActivityTypes.message, text="hi", delivery_mode=DeliveryModes.expect_replies)
    response = await runtime.adapter.process_activity("", activity, logic)

    assert attempts == 2 and response.status == 200
    assert [reply["text"] for reply in response.body["activities"]] == ["one", "two"]
