"""The feedback flow: branches by sentiment, the rating prompt, corrections, the safety override."""

from __future__ import annotations

from tests.dialogs.conftest import Chat, start_in, untranslated


async def test_positive_feedback_asks_a_rating_and_ends_with_a_summary_card(chat: Chat) -> None:
    asked = await chat.say("feedback")
    assert asked.texts == ["How was your experience? Tell me in your own words."]
    chat.fakes.sentiment.script("The answers were quick and really helpful", label="positive", score=0.96)
    rating = await chat.say("The answers were quick and really helpful")
    assert rating.texts[0].startswith("Thank you, I'm glad to hear it!")
    assert rating.actions == ["1", "2", "3", "4", "5"]
    summary = await chat.say("five")
    text = summary.card_text
    assert "Your feedback" in text and "5 / 5" in text and "positive (0.96)" in text
    _, user = await chat.profiles()
    assert user.feedback[-1]["rating"] == 5 and user.feedback[-1]["feeling"] == "positive"
    assert user.corrections == []


async def test_rating_reprompts_in_spanish_and_accepts_number_words(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Dar mi opinión")
    chat.fakes.sentiment.script("me encanta, es genial", label="positive", score=0.95)
    await chat.say("me encanta, es genial")
    retry = await chat.say("7")  # off the scale: the bot says so, in Spanish, and what it needs
    assert retry.texts[0].startswith("7 no está en la escala. Dame un número del 1 al 5") and untranslated(retry)
    done = await chat.say("cuatro")
    assert "4 / 5" in done.card_text and "Tu opinión" in done.card_text and untranslated(done)


async def test_two_misses_in_the_rating_prompt_move_on_without_a_rating(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Dar mi opinión")
    chat.fakes.sentiment.script("me encanta, es genial", label="positive", score=0.95)
    await chat.say("me encanta, es genial")
    first = await chat.say("7")
    second = await chat.say("ni idea")
    assert second.texts[0] == "Dejemos la valoración; gracias de todos modos." != first.texts[0]
    assert "Tu opinión" in second.card_text and "/ 5" not in second.card_text and untranslated(second)
    _, user = await chat.profiles()
    assert user.feedback[-1]["rating"] is None


async def test_rating_accepts_arabic_indic_digits(chat: Chat) -> None:
    await start_in(chat, "ar")
    await chat.say("إبداء رأي")
    chat.fakes.sentiment.script("الخدمة ممتازة جدا", label="positive", score=0.95)
    asked = await chat.say("الخدمة ممتازة جدا")
    assert asked.texts[0] == "شكرًا لك، يسعدني سماع ذلك! كيف تقيّم تجربتك من 1 إلى 5؟"
    done = await chat.say("٤")
    assert "4 / 5" in done.card_text and "رأيك" in done.card_text


async def test_negative_feedback_asks_what_went_wrong_and_offers_a_person(chat: Chat) -> None:
    await chat.say("feedback")
    chat.fakes.sentiment.script("The bot kept misunderstanding me", label="negative", score=0.93)
    sorry = await chat.say("The bot kept misunderstanding me")
    assert sorry.texts == ["I'm sorry it didn't go well, and thank you for telling me. What went wrong?"]
    offer = await chat.say("It answered in the wrong language twice")
    assert offer.texts[0] == "Would you like me to bring in a person to help with this?"
    assert offer.actions == ["Yes", "No"]
    handed = await chat.say("yes please")  # a yes said in a sentence is a yes
    [event] = handed.events
    assert event.name == "handoff.initiate"
    assert event.value["summary"]["feedback"]["details"] == "It answered in the wrong language twice"
    assert "A person will follow up." in handed.card_text


async def test_negative_feedback_without_a_person(chat: Chat) -> None:
    await start_in(chat, "ja")
    await chat.say("フィードバック")
    chat.fakes.sentiment.script("とても遅くて使いにくいです", label="negative", score=0.9)
    sorry = await chat.say("とても遅くて使いにくいです")
    assert sorry.texts[0] == "うまくいかなくて申し訳ありません。教えてくださってありがとうございます。何があったのですか？"
    await chat.say("返事が遅すぎました")
    done = await chat.say("いいえ")
    assert done.events == [] and "あなたのフィードバック" in done.card_text and untranslated(done)


async def test_mixed_feedback_asks_how_the_user_feels_and_records_the_correction(chat: Chat) -> None:
    await chat.say("feedback")
    chat.fakes.sentiment.script("Great answers but terribly slow", label="mixed")
    confirm = await chat.say("Great answers but terribly slow")
    assert confirm.texts[0] == "I'm not sure I read that right. How do you feel overall?"
    assert confirm.actions == ["Mostly positive", "Mostly negative", "A bit of both"]
    follow = await chat.say("Mostly negative")
    assert follow.texts[0].startswith("I'm sorry it didn't go well")
    _, user = await chat.profiles()
    assert user.corrections == [{"detected": "mixed", "score": 0.0, "engine": "fake", "corrected": "negative"}]


async def test_low_confidence_feedback_is_confirmed_in_spanish(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Dar mi opinión")
    chat.fakes.sentiment.script("estuvo bien supongo", label="positive", score=0.52)
    confirm = await chat.say("estuvo bien supongo")
    assert confirm.texts[0] == "No estoy seguro de haberlo entendido bien. En general, ¿cómo te sientes?"
    assert confirm.actions == ["Más bien positiva", "Más bien negativa", "Un poco de todo"]
    mixed = await chat.say("Un poco de todo")
    assert mixed.texts[0] == "Gracias por tu sinceridad. ¿Qué podría haber ido mejor?"
    done = await chat.say("más rapidez")
    assert "Corrección" in done.card_text
    _, user = await chat.profiles()
    assert user.corrections[-1]["corrected"] == "mixed" and user.feedback[-1]["details"] == "más rapidez"


async def test_distress_inside_the_feedback_flow_overrides_it(chat: Chat) -> None:
    await chat.say("feedback")
    chat.fakes.sentiment.script("It was awful", label="negative", score=0.95)
    await chat.say("It was awful")
    text = "honestly I don't want to live anymore"
    chat.fakes.safety.flag(text)
    chat.fakes.sentiment.script(text, label="negative", score=0.99)
    replies = await chat.say(text)
    assert "You don't have to face it alone" in replies.text and "988" in replies.text
    assert "What went wrong" not in replies.text and replies.cards == []
    assert replies.actions == ["Talk to a person", "Not now"]
    conversation, user = await chat.profiles()
    assert conversation.last_action == "safety" and user.feedback == []
    handed = await chat.say("Talk to a person")
    assert handed.events and handed.events[0].name == "handoff.initiate"


async def test_distress_in_spanish_inside_the_flow(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Dar mi opinión")
    text = "ya no puedo más, quiero desaparecer"
    chat.fakes.safety.flag(text)
    replies = await chat.say(text)
    assert replies.texts[0].startswith("Siento mucho que estés pasando por esto.") and "988" in replies.texts[0]
    assert replies.actions == ["Hablar con una persona", "Ahora no"] and untranslated(replies)
