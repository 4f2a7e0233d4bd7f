"""A worried friend or parent gets how to help someone, with the same resources and a person."""

from __future__ import annotations

from tests.dialogs.conftest import Chat


async def test_a_worried_third_party_gets_how_to_help_someone(chat: Chat) -> None:
    text = "My friend says she wants to kill herself, what do I do?"
    chat.fakes.safety.flag(text, about_someone_else=True)
    replies = await chat.say(text)
    assert "Thank you for looking out for them" in replies.text
    assert "988" in replies.text and "findahelpline.com" in replies.text
    assert "I'm glad you told me" not in replies.text  # not the words meant for the person at risk
    assert replies.actions == ["Talk to a person", "Not now"]


async def test_the_person_at_risk_still_gets_the_first_person_reply(chat: Chat) -> None:
    text = "I want to kill myself"
    chat.fakes.safety.flag(text)
    replies = await chat.say(text)
    assert "I'm glad you told me" in replies.text
    assert "Thank you for looking out for them" not in replies.text


async def test_why_names_the_engine_that_flagged(chat: Chat) -> None:
    text = "I want to kill myself"
    chat.fakes.safety.flag(text)
    await chat.say(text)
    replies = await chat.say("why?")
    assert "Safety check: the fake engine flagged your message (self_harm)." in replies.text
