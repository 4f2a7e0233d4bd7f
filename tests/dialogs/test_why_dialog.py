"""The why dialog: explains the last turn (detection, engines, scores, fallbacks, the bot's action)."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from dialogs.insights import LANGUAGE_KEY
from dialogs.why_dialog import explain
from tests.dialogs.conftest import Chat, start_in, untranslated


def context_in(language: str) -> TurnContext:
    context = TurnContext(TestAdapter(), Activity(type="message", text="why"))
    context.turn_state[LANGUAGE_KEY] = language
    return context


SUMMARY = {
    "user_language": "es", "working_language": "en", "decision": "switched", "analysis_enabled": True,
    "distressed": False,
    "language": {"language": "es", "score": 0.93, "engine": "local", "alternatives": [{"language": "pt", "score": 0.05}]},
    "sentiment": {"label": "negative", "confidence": 0.88, "engine": "local", "uncertain": False,
                  "scores": {"positive": 0.02, "neutral": 0.1, "negative": 0.88}},
    "translation": {"engine": "local", "translated": False, "source": "es", "target": "en"},
    "steps": [{"capability": "sentiment", "engine": "local", "latency_ms": 3.0,
               "skipped": [{"engine": "azure", "reason": "timeout", "detail": ""}]}],
}


def test_explanation_names_engines_scores_and_fallback_reasons() -> None:
    lines = explain(context_in("en"), SUMMARY, "menu", {})
    assert "Language: Spanish (0.93), detected by the local engine." in lines
    assert "Other candidates: Portuguese 0.05." in lines
    assert "Conversation language: Spanish, switched: the message was confidently in another language." in lines
    assert "Sentiment: negative (0.88), scored by the local engine." in lines
    assert "No translator was available, so I read your text as written." in lines
    assert "Fallback in Sentiment: I skipped the azure engine because it was too slow." in lines
    assert lines[-1].startswith("What I did: I didn't recognise a request")


def test_explanation_in_japanese() -> None:
    lines = explain(context_in("ja"), SUMMARY, "feedback_negative", {})
    assert "言語：スペイン語（0.93）、local エンジンが検出しました。" in lines
    assert "感情のフォールバック：遅すぎたため、azure エンジンをスキップしました。" in lines


async def test_why_explains_the_previous_turn_and_keeps_explaining_it(chat: Chat) -> None:
    nothing = await chat.say("why")
    assert nothing.texts == ["There is no earlier message to explain yet."]
    chat.fakes.language.script("the service was terrible today", language="en", score=0.97)
    chat.fakes.sentiment.script("the service was terrible today", label="negative", score=0.91)
    await chat.say("the service was terrible today")
    first = await chat.say("why")
    assert "Sentiment: negative (0.91), scored by the fake engine." in first.text
    assert "What I did: I didn't recognise a request" in first.text
    again = await chat.say("why?")  # the same explanation, opened in other words (never twice in a row)
    assert again.text.startswith("As I said, here is how I handled your last message:")
    assert again.text.split("\n", 1)[1] == first.text.split("\n", 1)[1]
    third = await chat.say("why")
    assert third.text == first.text


async def test_why_after_a_language_choice_in_spanish(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("habla español")
    replies = await chat.say("¿por qué?")
    assert "Lo que hice: Elegiste español" in replies.text and untranslated(replies)
