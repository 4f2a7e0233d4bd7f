"""The translate dialog: one-shot requests in several languages, prompts, the offline flag."""

from __future__ import annotations

import pytest

from adapters.fakes import engine_error
from dialogs.translate_dialog import TranslateRequest, parse_request
from tests.dialogs.conftest import LANGUAGES, Chat, start_in, untranslated


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("translate good morning to Spanish", TranslateRequest("good morning", "es")),
        ("Translate 'I want to go home' into Japanese", TranslateRequest("I want to go home", "ja")),
        ("translate I want to go home", TranslateRequest("I want to go home", None)),
        ("translate to German", TranslateRequest(None, "de")),
        ("traduce buenos días al inglés", TranslateRequest("buenos días", "en")),
        ("traducir hola a francés", TranslateRequest("hola", "fr")),
        ("おはようございますを英語に翻訳して", TranslateRequest("おはようございます", "en")),
        ("ترجم صباح الخير إلى الإنجليزية", TranslateRequest("صباح الخير", "en")),
        ("translate", TranslateRequest(None, None)),
    ],
)
def test_parse_one_shot_requests(message: str, expected: TranslateRequest) -> None:
    assert parse_request(message, LANGUAGES) == expected


async def test_one_shot_translation_in_english(chat: Chat) -> None:
    chat.fakes.translation.script("good morning", to="es", translation="buenos días")
    replies = await chat.say("translate good morning to Spanish")
    assert replies.texts == ["In Spanish:\n\nbuenos días"]


async def test_prompted_translation_in_spanish_with_localized_language_names(chat: Chat) -> None:
    await start_in(chat, "es")
    asked = await chat.say("Traducir")
    assert asked.texts[0] == "¿Qué quieres que traduzca?"
    chat.fakes.language.script("gracias por todo", language="es", score=0.95)
    chat.fakes.translation.script("gracias por todo", to="ja", translation="いろいろありがとう")
    target = await chat.say("gracias por todo")
    assert target.texts[0] == "¿A qué idioma?" and "Japonés" in target.actions and untranslated(target)
    done = await chat.say("Japonés")
    assert done.texts[0] == "En japonés:\n\nいろいろありがとう"
    assert chat.fakes.translation.calls[-1].source == "es" and chat.fakes.translation.calls[-1].target == "ja"


async def test_one_shot_in_arabic(chat: Chat) -> None:
    await start_in(chat, "ar")
    chat.fakes.translation.script("صباح الخير", to="en", translation="Good morning")
    replies = await chat.say("ترجم صباح الخير إلى الإنجليزية")
    assert replies.texts[0] == "باللغة الإنجليزية:\n\nGood morning"


async def test_offline_translation_is_flagged_not_faked(chat: Chat) -> None:
    chat.fakes.translation.fail_with(engine_error())
    replies = await chat.say("translate good morning to Spanish")
    assert "good morning" in replies.text
    assert "Not translated (offline): no translator is available, so this is the original text." in replies.text
