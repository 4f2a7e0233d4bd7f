"""Two bot processes on one store: a conversation moving between them loses no update."""

from __future__ import annotations

import asyncio
import re

from tests.harness import EmulatorConversation, Harness
from tests.state.botproc import BotProcess
from tests.state.conftest import StoreUnderTest
from tests.state.stores import conversation_key, turns_of, user_key
from tests.state.test_restart import ASK_EXPERIENCE, ASK_FEELING, ASK_WHAT_WENT_WRONG

CONCURRENT_TURNS = 20
FAILURE_PREFIXES = ("I can't save our conversation", "Several of your messages", "Sorry, something went wrong")
RETRY_LOG = re.compile(r"turn lost a state race")
ATTEMPT_LOG = re.compile(r"turn lost a state race.* attempt=(\d+)")


def same_conversation_on(url: str, other: EmulatorConversation, harness: Harness) -> EmulatorConversation:
    """The same user and conversation, routed to another replica (as a load balancer would)."""
    assert harness.session is not None
    twin = EmulatorConversation(harness.session, url, harness.channel, user_id=other.user["id"])
    twin.conversation_id = other.conversation_id
    return twin


async def test_one_conversation_alternating_and_racing_between_two_replicas(
    durable_store: StoreUnderTest,
) -> None:
    env = {**durable_store.env, "LOG_LEVEL": "INFO"}  # retries are logged at INFO
    first, second = await asyncio.gather(BotProcess(env).start(), BotProcess(env).start())
    try:
        async with Harness(first.messages_url) as harness:
            on_first = harness.conversation()
            on_second = same_conversation_on(second.messages_url, on_first, harness)
            await on_first.join()

            # One dialog, each turn on the other replica.
            assert await on_first.say_texts("feedback") == [ASK_EXPERIENCE]
            assert await on_second.say_texts("it was slow") == [ASK_FEELING]
            assert await on_first.say_texts("Mostly negative") == [ASK_WHAT_WENT_WRONG]
            assert await on_second.say_texts("the app crashed") == [
                "Would you like me to bring in a person to help with this?"
            ]
            await on_first.say("no")  # the dialog ends with its summary card

            # Twenty turns at once, split across both replicas.
            burst = [f"burst-{n}" for n in range(CONCURRENT_TURNS)]
            await asyncio.gather(*(
                (on_first if n % 2 else on_second).say("hello", id=activity_id)
                for n, activity_id in enumerate(burst)
            ))
            received = harness.channel.received[on_first.conversation_id]
    finally:
        first.stop()
        second.stop()

    records = await durable_store.records()
    conversation = records[conversation_key(on_first.conversation_id)]
    user = records[user_key(on_first.user["id"])]
    # What one process handling the same 25 messages one by one would have stored:
    texts = [a.get("text") or "" for a in received if a["type"] == "message"]
    assert not [text for text in texts if text.startswith(FAILURE_PREFIXES)], first.log_tail() + second.log_tail()
    assert turns_of(conversation) == 5 + CONCURRENT_TURNS, first.log_tail(None) + second.log_tail(None)
    assert len(user["profile"]["feedback"]) == 1 and len(user["profile"]["corrections"]) == 1
    answered = {a.get("replyToId") for a in received}
    assert set(burst) <= answered  # every turn of the burst was answered
    retries = sum(len(RETRY_LOG.findall(bot.log_tail(limit=None))) for bot in (first, second))
    attempts = [int(n) for bot in (first, second) for n in ATTEMPT_LOG.findall(bot.log_tail(limit=None))]
    print(
        f"\n{durable_store.kind}: {CONCURRENT_TURNS} concurrent turns on 2 replicas, "
        f"{retries} re-runs after a lost race, most lost in a row: {max(attempts, default=0)}"
    )
