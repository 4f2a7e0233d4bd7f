"""A half-finished dialog survives a restart of the bot process, on SQLite and on Azurite."""

from __future__ import annotations

from tests.harness import Harness
from tests.state.botproc import BotProcess
from tests.state.conftest import StoreUnderTest
from tests.state.stores import conversation_key, turns_of

ASK_EXPERIENCE = "How was your experience? Tell me in your own words."
ASK_FEELING = "I'm not sure I read that right. How do you feel overall?"
ASK_WHAT_WENT_WRONG = "I'm sorry it didn't go well, and thank you for telling me. What went wrong?"


async def test_the_next_message_after_a_restart_continues_the_dialog(durable_store: StoreUnderTest) -> None:
    bot = await BotProcess(durable_store.env).start()
    try:
        async with Harness(bot.messages_url) as harness:
            conversation = harness.conversation()
            await conversation.join()
            assert await conversation.say_texts("feedback") == [ASK_EXPERIENCE]

            bot.stop()
            await bot.start()  # a new process on the same store (and port)

            assert await conversation.say_texts("it was slow") == [ASK_FEELING]
            assert await conversation.say_texts("Mostly negative") == [ASK_WHAT_WENT_WRONG]
    finally:
        bot.stop()
    records = await durable_store.records()
    assert turns_of(records[conversation_key(conversation.conversation_id)]) == 3
