"""The language dialog: the ask-once prompt when unsure, one-shot changes, the language menu."""

from __future__ import annotations

from tests.dialogs.conftest import Chat, start_in, untranslated

UNSURE = "blah blah texto raro"


async def test_low_confidence_asks_once_with_likely_languages_and_remembers(chat: Chat) -> None:
    chat.fakes.language.script(UNSURE, language="es", score=0.3, alternatives=[("fr", 0.28)])
    replies = await chat.say(UNSURE)
    assert replies.texts[0] == "No estoy seguro de en qué idioma escribes. ¿Cuál debo usar?"
    assert replies.actions == ["Español", "Français", "English", "Otro idioma"]
    chosen = await chat.say("Français")
    assert "français" in chosen.text
    conversation, _ = await chat.profiles()
    assert conversation.language == "fr" and conversation.language_explicit and conversation.language_asked
    chat.fakes.language.script("more unsure words here", language="es", score=0.3)
    again = await chat.say("more unsure words here")
    assert "Otro idioma" not in again.actions  # asked once only


async def test_another_language_shows_the_full_list(chat: Chat) -> None:
    chat.fakes.language.script(UNSURE, language="es", score=0.3)
    await chat.say(UNSURE)
    replies = await chat.say("Otro idioma")
    assert replies.texts[0] == "¿Qué idioma prefieres?"
    assert {"Japonés", "Árabe", "Alemán"} <= set(replies.actions)
    done = await chat.say("Japonés")
    assert done.texts[0] == "これからは日本語で話します。何をしますか？"


async def test_speak_spanish_one_shot(chat: Chat) -> None:
    replies = await chat.say("speak Spanish")
    assert replies.texts[0] == "A partir de ahora hablaré español. ¿Qué te gustaría hacer?"
    assert "Analizar un texto" in replies.actions
    conversation, _ = await chat.profiles()
    assert conversation.language == "es" and conversation.language_explicit


async def test_habla_ingles_one_shot_from_a_spanish_conversation(chat: Chat) -> None:
    await start_in(chat, "es")
    replies = await chat.say("habla inglés")
    assert replies.texts[0] == "From now on I'll speak English. What would you like to do?"


async def test_language_menu_in_japanese_lists_names_in_japanese(chat: Chat) -> None:
    await start_in(chat, "ja")
    replies = await chat.say("言語")
    assert replies.texts[0] == "今は日本語で話しています。どの言語にしますか？"
    assert "英語" in replies.actions and "アラビア語" in replies.actions and untranslated(replies)
    done = await chat.say("アラビア語")
    assert done.texts[0].startswith("من الآن فصاعدًا سأتحدث العربية")


async def test_an_unknown_reply_reprompts_in_the_users_language(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Idioma")
    replies = await chat.say("klingon")  # says what it read and what it needs, in Spanish
    assert replies.texts[0].startswith("Lo leo como ") and replies.texts[0].endswith(
        "Toca un idioma o escribe su nombre, por favor.") and untranslated(replies)
    assert "Inglés" in replies.actions
