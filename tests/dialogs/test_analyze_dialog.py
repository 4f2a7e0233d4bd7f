"""The analyze dialog: the Adaptive Card, its translation, the offline flag, opt-out, interruptions."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity, ActivityTypes

from adapters.fakes import engine_error
from dialogs import i18n
from tests.dialogs.conftest import Chat, start_in, untranslated

REVIEW = "I love the app. The delivery was slow."


async def test_card_shows_language_sentiment_per_sentence_and_engines(chat: Chat) -> None:
    chat.fakes.language.script(REVIEW, language="en", score=0.98, alternatives=[("fr", 0.01)])
    await chat.say("analyze")
    replies = await chat.say(REVIEW)
    [card] = replies.cards
    assert card["version"] == "1.4" and card["type"] == "AdaptiveCard"
    text = replies.card_text
    assert "English (0.98)" in text and "French 0.01" in text
    assert "Overall: mixed (0.00)" in text and "Uncertain: mixed or low confidence" in text
    assert "“I love the app.”" in text and "positive: positive 0.90, neutral 0.05, negative 0.05" in text
    assert "“The delivery was slow.”" in text
    assert "Not needed: the text is already in your language." in text
    assert "Language: fake" in text and "Sentiment: fake" in text


async def test_one_shot_analyze_with_a_colon_analyzes_only_the_text(chat: Chat) -> None:
    replies = await chat.say("analyze: this is great")
    assert len(replies.cards) == 1
    assert "this is great" in replies.card_text and "analyze:" not in replies.card_text
    assert "this is great" in chat.fakes.sentiment.texts_seen


async def test_english_text_is_translated_into_a_spanish_users_language(chat: Chat) -> None:
    await chat.send(Activity(type=ActivityTypes.event, name="setLanguage", value="es"))
    chat.fakes.language.script(REVIEW, language="en", score=0.98)
    chat.fakes.translation.script(REVIEW, to="es", translation="Me encanta la app. La entrega fue lenta.")
    await chat.say("Analizar un texto")
    replies = await chat.say(REVIEW)
    text = replies.card_text
    assert "Traducción al español" in text and "Me encanta la app. La entrega fue lenta." in text
    assert "Detectado" in text and "inglés (0.98)" in text and untranslated(replies)


async def test_card_flags_an_untranslated_text_when_no_translator_answers(chat: Chat) -> None:
    await chat.send(Activity(type=ActivityTypes.event, name="setLanguage", value="es"))
    chat.fakes.language.script(REVIEW, language="en", score=0.98)
    chat.fakes.translation.fail_with(engine_error())
    await chat.say("analizar")
    replies = await chat.say(REVIEW)
    assert "Sin traducir (sin conexión)" in replies.card_text
    assert REVIEW in replies.card_text


async def test_card_for_a_language_without_catalog_is_machine_translated(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = i18n._catalog
    monkeypatch.setattr(i18n, "_catalog", lambda language: {} if language == "fr" else real(language))
    await chat.send(Activity(type=ActivityTypes.event, name="setLanguage", value="fr"))
    await chat.say("analyze")
    replies = await chat.say("Je suis très content")
    text = replies.card_text
    assert "[en→fr] Text analysis" in text
    assert "Je suis très content" in text and "[en→fr] Je suis" not in text  # the user's text is kept


async def test_opt_out_then_analyze_calls_no_engine(chat: Chat) -> None:
    await chat.say("privacy")
    await chat.say("Opt out of analysis")
    chat.fakes.language.reset()
    chat.fakes.sentiment.reset()
    chat.fakes.translation.reset()
    await chat.say("analyze")
    replies = await chat.say("Please analyze this sensitive sentence")
    assert "Analysis is off for you, so no text was sent to any engine." in replies.card_text
    assert chat.fakes.calls == 0


async def test_help_mid_prompt_explains_and_asks_again(chat: Chat) -> None:
    await chat.say("analyze")
    replies = await chat.say("help")
    assert "We are in the middle of analyzing a text." in replies.text
    assert replies.texts[-1] == "Send me the text you'd like me to analyze, in any language."
    still = await chat.say(REVIEW)
    assert len(still.cards) == 1


async def test_cancel_mid_prompt_in_japanese(chat: Chat) -> None:
    await start_in(chat, "ja")
    await chat.say("分析")
    replies = await chat.say("キャンセル")
    assert replies.texts[0] == "わかりました。キャンセルしました。次は何をしますか？"
    after = await chat.say("こんにちは、元気ですか")
    assert after.cards == []  # the analysis prompt is gone
