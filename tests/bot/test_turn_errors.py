"""on_turn_error: log with the conversation id, tell the user, trace only on the Emulator."""

from __future__ import annotations

import logging

import pytest
from botbuilder.core import MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.hosting import install_turn_error_handler
from dialogs.state import BotState


def failing_adapter(channel_id: str) -> tuple[TestAdapter, BotState]:
    storage = MemoryStorage()
    state = BotState.over(storage)

    async def logic(context: TurnContext) -> None:
        await state.dialog_state.set(context, {"dialogStack": [{"id": "gone"}]})
        await state.conversation_state.save_changes(context)
        raise KeyError("dialog 'gone' not found")

    template = Activity(
        channel_id=channel_id, service_url="https://test.invalid",
        conversation=ConversationAccount(id="c1"), from_property=ChannelAccount(id="u1"),
        recipient=ChannelAccount(id="bot"),
    )
    adapter = TestAdapter(logic, template_or_conversation=template, send_trace_activities=True)
    install_turn_error_handler(adapter, reset_dialogs=state.reset_dialogs)
    return adapter, state


async def test_user_is_told_briefly_and_no_trace_outside_the_emulator(caplog: pytest.LogCaptureFixture) -> None:
    adapter, _ = failing_adapter("webchat")
    with caplog.at_level(logging.ERROR, logger="bot.hosting"):
        await adapter.send("hello")
    reply = adapter.get_next_activity()
    assert reply.type == ActivityTypes.message and "went wrong" in reply.text
    assert "Traceback" not in reply.text and "KeyError" not in reply.text
    assert adapter.get_next_activity() is None
    assert any("conversation=c1" in record.getMessage() for record in caplog.records)


async def test_emulator_gets_the_error_as_a_trace_activity() -> None:
    adapter, _ = failing_adapter("emulator")
    await adapter.send("hello")
    adapter.get_next_activity()
    trace = adapter.get_next_activity()
    assert trace.type == ActivityTypes.trace and "KeyError" in trace.value


async def test_the_broken_dialog_stack_is_cleared() -> None:
    adapter, state = failing_adapter("emulator")
    await adapter.send("hello")
    context = TurnContext(
        adapter,
        Activity(
            type="message", channel_id="emulator", conversation=ConversationAccount(id="c1"),
            from_property=ChannelAccount(id="u1"), recipient=ChannelAccount(id="bot"),
        ),
    )
    await state.conversation_state.load(context, force=True)
    assert await state.dialog_state.get(context) is None


async def test_the_apology_is_in_the_conversation_language() -> None:
    from dialogs.insights import LANGUAGE_KEY

    adapter, _ = failing_adapter("webchat")

    class SpanishFirst:
        async def on_turn(self, context, logic):
            context.turn_state[LANGUAGE_KEY] = "es"
            await logic()

    adapter.use(SpanishFirst())
    await adapter.send("hola")
    assert adapter.get_next_activity().text == "Lo siento, algo ha fallado por mi parte. Inténtalo de nuevo."
