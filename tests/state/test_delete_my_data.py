""""Delete my data" removes the user's and the conversation's records from the configured store."""

from __future__ import annotations

from bot.app import create_app
from tests.conftest import make_settings, serve
from tests.harness import Harness
from tests.state.conftest import StoreUnderTest
from tests.state.stores import conversation_key, turns_of, user_key

DELETED = "I've deleted everything I stored about you and this conversation."


async def test_delete_my_data_removes_exactly_the_users_records(durable_store: StoreUnderTest) -> None:
    runner, url = await serve(create_app(make_settings(**durable_store.env, BOT_ANALYSIS="off")))
    try:
        async with Harness(f"{url}/api/messages") as harness:
            leaving, staying = harness.conversation(), harness.conversation()
            for text in ("feedback", "it was slow", "Mostly negative", "the app crashed", "no"):
                await leaving.say(text)
            await staying.say("hello")
            mine = {conversation_key(leaving.conversation_id), user_key(leaving.user["id"])}
            theirs = {conversation_key(staying.conversation_id), user_key(staying.user["id"])}
            before = await durable_store.records()
            assert mine | theirs <= before.keys()
            assert before[user_key(leaving.user["id"])]["profile"]["feedback"]

            await leaving.say("privacy")
            await leaving.say("Delete my data")
            [reply] = await leaving.say_texts("yes")
            assert reply.startswith(DELETED)

            after = await durable_store.records()
            assert not mine & after.keys()  # gone from the store itself
            assert {key: after[key] for key in theirs} == {key: before[key] for key in theirs}

            await leaving.say("hello")  # writing again starts fresh
            fresh = await durable_store.records()
    finally:
        await runner.cleanup()
    assert turns_of(fresh[conversation_key(leaving.conversation_id)]) == 1
    assert fresh[user_key(leaving.user["id"])]["profile"]["feedback"] == []
