"""Hosting: messages route, health, welcome, replies on both connector paths."""

from __future__ import annotations

import pytest

from tests.harness import Harness


async def test_healthz_and_readyz_answer(harness: Harness, bot_url: str) -> None:
    assert harness.session is not None
    async with harness.session.get(f"{bot_url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "alive"
    async with harness.session.get(f"{bot_url}/readyz") as response:
        body = await response.json()
        assert response.status == 200, body
        assert body["checks"] == {"storage": True, "engines": True}
        assert body["circuits"]["language"] == {"fake": "closed"}


async def test_conversation_update_gets_a_welcome_with_suggested_actions(harness: Harness) -> None:
    replies = await harness.conversation().join()
    messages = [reply for reply in replies if reply["type"] == "message"]
    assert len(messages) == 1
    titles = [action["title"] for action in messages[0]["suggestedActions"]["actions"]]
    assert len(titles) >= 4


async def test_bot_joining_alone_gets_no_welcome(harness: Harness) -> None:
    conversation = harness.conversation()
    result = await conversation.post(
        {"type": "conversationUpdate", "membersAdded": [{"id": "showcase-bot", "role": "bot"}]}
    )
    assert result.status in (200, 201)
    assert result.replies == []


async def test_message_is_answered_on_the_reply_to_path(harness: Harness) -> None:
    conversation = harness.conversation()
    replies = await conversation.say("hello there")
    assert replies, "the bot did not answer"
    assert any("/activities/" in path for path in harness.channel.reply_paths)
    assert all(reply["conversation"]["id"] == conversation.conversation_id for reply in replies)


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
async def test_replies_are_addressed_back_to_the_user(harness: Harness, locale: str) -> None:
    conversation = harness.conversation(locale=locale)
    replies = await conversation.say("hi")
    assert replies[0]["recipient"]["id"] == conversation.user["id"]
    assert replies[0]["from"]["id"] == "showcase-bot"
