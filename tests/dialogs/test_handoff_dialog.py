"""The handoff dialog: the handoff.initiate event with summary, insights and transcript."""

from __future__ import annotations

from tests.dialogs.conftest import Chat, start_in


async def test_handoff_event_carries_summary_insights_and_transcript(chat: Chat) -> None:
    chat.fakes.language.script("my order never arrived and I am upset", language="en", score=0.97)
    await chat.say("my order never arrived and I am upset")
    replies = await chat.say("talk to a person")
    [event] = replies.events
    assert event.name == "handoff.initiate" and event.type == "event"
    value = event.value
    assert value["summary"]["reason"] == "user request" and value["summary"]["language"] == "en"
    assert value["insights"]["user_language"] == "en" and "sentiment" in value["insights"]
    assert {"role": "user", "text": "my order never arrived and I am upset"} in value["transcript"]
    [attachment] = event.attachments
    assert attachment.name == "Transcript" and attachment.content_type == "application/json"
    texts = [activity["text"] for activity in attachment.content["activities"]]
    assert texts[0] == "my order never arrived and I am upset" and texts[-1] == "talk to a person"
    assert event.reply_to_id is not None and event.relates_to.conversation.id == "conversation-1"
    assert replies.texts == [
        "I've asked for a person to join this conversation and passed on a summary, so you won't have to "
        "repeat yourself. A person will reply here as soon as one is available; until then you can keep "
        "writing to me."
    ]


async def test_handoff_in_spanish_by_button(chat: Chat) -> None:
    await start_in(chat, "es")
    replies = await chat.say("Hablar con una persona")
    assert replies.events[0].value["summary"]["language"] == "es"
    assert replies.texts[0].startswith("He pedido que una persona se una a esta conversación")


async def test_handoff_mid_dialog_ends_the_dialog_first(chat: Chat) -> None:
    await chat.say("translate")
    replies = await chat.say("human")
    assert replies.events and replies.events[0].name == "handoff.initiate"
    after = await chat.say("what now")
    assert "What would you like me to translate?" not in after.text
