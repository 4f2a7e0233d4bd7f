"""Prompts that listen (dialogs/prompts.py): what the conversation scripts don't show turn by turn.

The conversation scripts in tests/conversations/prompts_*.chat cover each prompt kind in
several languages from the user's side; these tests pin the mechanics: state that survives
a store, the language followed inside a prompt, requests, ways out, readings asked back.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.storage.sqlite_store import SqliteStorage
from dialogs.prompts import LISTEN
from tests.dialogs.conftest import Chat, make_chat, start_in, untranslated


async def test_a_waiting_prompt_survives_the_sqlite_store_and_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first_store = SqliteStorage(path)
    first = make_chat(storage=first_store)  # type: ignore[arg-type]
    await first.say("Privacy")
    await first_store.close()
    second_store = SqliteStorage(path)
    second = make_chat(storage=second_store)  # type: ignore[arg-type]
    replies = await second.say("yes, erase all of it")
    assert replies.texts[0].endswith("cannot be undone. Delete everything?")
    await second_store.close()


async def test_what_a_prompt_stores_is_plain_json(chat: Chat) -> None:
    await chat.say("Privacy")
    stored = chat.storage.memory if hasattr(chat.storage, "memory") else {}
    dialog_state = next(iter(item for key, item in stored.items() if "conversations" in key))
    text = json.dumps(dialog_state, default=lambda o: getattr(o, "__dict__", str(o)))
    assert LISTEN in text and '"kind": "choice"' in text and "delete" in text


async def test_a_switch_to_spanish_inside_the_privacy_menu_is_followed(chat: Chat) -> None:
    await chat.say("Privacy")
    spanish = "La verdad es que no entiendo nada de lo que me estás preguntando aquí"
    chat.fakes.language.script(spanish, language="es", score=0.95)
    replies = await chat.say(spanish)
    assert replies.texts[0].startswith("Lo leo como ")
    assert "No analizar mis mensajes" in replies.texts[0] and "Borrar mis datos" in replies.actions
    assert untranslated(replies)


async def test_a_one_word_command_in_another_language_keeps_english(chat: Chat) -> None:
    await chat.say("Privacy")
    replies = await chat.say("ayuda")
    assert replies.texts[0].startswith("Here is what I can do:")
    assert replies.texts[1] == "What would you like to do?"


async def test_help_asked_in_a_sentence_inside_a_prompt(chat: Chat) -> None:
    await chat.say("Privacy")
    replies = await chat.say("hmm, what can you do")
    assert replies.texts[0].startswith("Here is what I can do:")
    assert "We are in the middle of your privacy settings" in replies.texts[0]
    assert replies.texts[1] == "What would you like to do?"


async def test_a_person_asked_for_in_a_sentence_inside_the_rating_prompt(chat: Chat) -> None:
    await chat.say("Give feedback")
    await chat.say("I love it, great service")
    replies = await chat.say("actually can I talk to a real person about this")
    assert [event.name for event in replies.events] == ["handoff.initiate"]


async def test_two_options_named_at_once_are_not_a_choice(chat: Chat) -> None:
    await chat.say("Privacy")
    replies = await chat.say("maybe opt out of analysis or delete my data")
    assert "Please pick one: Opt out of analysis, Delete my data, Done." in replies.texts[0]
    done = await chat.say("2")
    assert done.texts[0].endswith("cannot be undone. Delete everything?")


async def test_with_analysis_off_a_reprompt_quotes_the_reply(chat: Chat) -> None:
    await chat.say("Privacy")
    await chat.say("Opt out of analysis")
    await chat.say("Give feedback")
    asked = await chat.say("ok")  # no sentiment: how do you feel?
    assert asked.texts[0] == "I'm not sure I read that right. How do you feel overall?"
    replies = await chat.say("hmm")
    assert replies.texts[0] == (
        'I couldn\'t find an answer to my question in "hmm". Please pick one: Mostly positive, Mostly negative, '
        "A bit of both."
    )


async def test_the_feeling_prompt_moves_on_with_its_best_reading_after_two_misses(chat: Chat) -> None:
    await chat.say("Give feedback")
    await chat.say("ok")
    chat.fakes.sentiment.script("dunno really", label="negative", score=0.52)
    first = await chat.say("dunno really")
    assert first.texts[0].startswith("I read that as negative (0.52), but it doesn't answer my question.")
    chat.fakes.sentiment.script("I dunno, it was kind of a let-down", label="negative", score=0.55)
    second = await chat.say("I dunno, it was kind of a let-down")
    assert second.texts[0] == 'I\'ll go with "Mostly negative", going by what you wrote.'
    assert second.texts[1].startswith("I'm sorry it didn't go well")
    _, user = await chat.profiles()
    assert user.corrections[-1]["corrected"] == "negative"


async def test_a_rating_read_from_words_is_asked_back_and_can_be_corrected(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Dar mi opinión")
    chat.fakes.sentiment.script("me encanta, es genial", label="positive", score=0.95)
    await chat.say("me encanta, es genial")
    asked = await chat.say("muy bueno")
    assert asked.texts[0] == "Me parece que sería un 4 de 5. ¿Es así? Toca Sí o elige otro número."
    assert asked.actions == ["Sí", "1", "2", "3", "4", "5"] and untranslated(asked)
    corrected = await chat.say("5")
    assert "5 / 5" in corrected.card_text


async def test_the_unsure_language_question_keeps_the_guess_after_two_misses(chat: Chat) -> None:
    chat.fakes.language.script("Salut ça va", language="fr", score=0.3)
    asked = await chat.say("Salut ça va")
    assert "Français" in asked.actions
    await chat.say("hmm")
    kept = await chat.say("??")
    assert kept.texts[0].startswith("Je continue en Français pour l'instant")
    profile, _ = await chat.profiles()
    assert profile.language == "fr" and not profile.language_explicit


async def test_a_feeling_said_in_a_yes_no_question_is_acknowledged_once_then_differently(chat: Chat) -> None:
    chat.fakes.sentiment.script("The delivery was slow and broken", label="negative", score=0.95)
    await chat.say("Give feedback")
    await chat.say("The delivery was slow and broken")
    await chat.say("it arrived late")
    first = await chat.say("I feel so alone with all of this")
    assert first.texts[0] == ("I'm sorry you're feeling this way. I'm here to listen, and you can talk to a "
                              "person at any time.")
    assert first.texts[1] == "Please answer Yes or No." and "Talk to a person" in first.actions
    second = await chat.say("honestly I'm just sad")
    assert second.texts[0] == "That sounds really hard, and I'm sorry. Thank you for telling me."
    assert "Back to the menu" in second.actions


async def test_back_to_the_menu_leaves_the_flow(chat: Chat) -> None:
    await chat.say("Privacy")
    await chat.say("what")
    await chat.say("what now")
    replies = await chat.say("Back to the menu")
    assert replies.texts[0] == "Okay, I've cancelled that. What would you like to do next?"


async def test_the_japanese_translate_button_asks_what_to_translate(chat: Chat) -> None:
    await start_in(chat, "ja")
    replies = await chat.say("翻訳する")
    assert replies.texts == ["何を翻訳しますか？"]


async def test_the_button_of_the_feature_under_way_is_not_taken_as_an_answer(chat: Chat) -> None:
    await chat.say("Give feedback")
    replies = await chat.say("Give feedback")
    assert replies.texts == ["We're already on it. How was your experience? Tell me in your own words."]
    chat.fakes.sentiment.script("It was slow", label="negative", score=0.9)
    answered = await chat.say("It was slow")
    assert answered.texts[0].startswith("I'm sorry it didn't go well")


async def test_back_to_the_menu_after_the_flow_ended_shows_the_menu(chat: Chat) -> None:
    replies = await chat.say("Back to the menu")
    assert replies.texts == ["Okay. What would you like to do next?"] and "Give feedback" in replies.actions


async def test_a_request_read_as_negative_by_its_tone_is_not_consoled(chat: Chat) -> None:
    await chat.say("Privacy")
    chat.fakes.sentiment.script("delete everything you have on me", label="negative", score=0.9)
    replies = await chat.say("delete everything you have on me")
    assert replies.texts == ["This deletes your profile, your feedback and this conversation's history, "
                             "and cannot be undone. Delete everything?"]


async def test_a_low_rating_said_angrily_is_acknowledged(chat: Chat) -> None:
    await chat.say("Give feedback")
    await chat.say("I love it, great service")
    chat.fakes.sentiment.script("1, nobody ever answered me", label="negative", score=0.93)
    replies = await chat.say("1, nobody ever answered me")
    assert replies.texts[0] == "I'm sorry about that; it sounds really frustrating."
    assert "1 / 5" in replies.card_text


async def test_why_after_a_reprompt_explains_it(chat: Chat) -> None:
    await chat.say("Privacy")
    await chat.say("the weather is nice")
    replies = await chat.say("why")
    assert "What I did: Your message didn't answer my question, so I said what I read and asked again." in (
        replies.text)
