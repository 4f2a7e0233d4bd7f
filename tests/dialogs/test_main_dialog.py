"""The main dialog and the ActivityHandler: welcome, routing in any language, Teams behaviour."""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount, Entity

from dialogs.insights import LanguageDecision
from tests.dialogs.conftest import Chat, make_chat, start_in, untranslated

USER = ChannelAccount(id="user1", name="User1")
BOT = ChannelAccount(id="bot", name="Showcase Bot")


TENANT = {"tenant": {"id": "tenant-1"}}


def members_added(*members: ChannelAccount, **fields) -> Activity:
    return Activity(type=ActivityTypes.conversation_update, members_added=list(members), **fields)


async def test_emulator_welcome_shows_the_main_features() -> None:
    chat = make_chat()
    replies = await chat.send(members_added(USER, BOT))
    assert len(replies.messages) == 1
    assert "Showcase Bot" in replies.text and "6 languages" in replies.text
    assert replies.actions == [
        "Analyze a text", "Translate", "Give feedback", "Language", "Privacy", "Talk to a person", "Help"
    ]


async def test_welcome_follows_the_channel_locale_hint() -> None:
    chat = make_chat(locale="es-ES")
    replies = await chat.send(members_added(USER, BOT, locale="es-ES"))
    assert replies.text.startswith("¡Hola! Soy Showcase Bot.")
    assert "Analizar un texto" in replies.actions and untranslated(replies)


async def test_teams_install_in_personal_scope_welcomes_once() -> None:
    chat = make_chat(channel_id="msteams")
    replies = await chat.send(members_added(
        BOT, conversation=ConversationAccount(id="a:1", conversation_type="personal"), channel_data=TENANT,
    ))
    assert len(replies.messages) == 1 and "Analyze a text" in replies.actions


async def test_teams_install_in_team_scope_welcomes_in_the_channel() -> None:
    chat = make_chat(channel_id="msteams")
    replies = await chat.send(members_added(
        BOT, conversation=ConversationAccount(id="19:general@thread.tacv2", conversation_type="channel"),
        channel_data={**TENANT, "team": {"id": "19:team@thread.tacv2"}, "eventType": "teamMemberAdded"},
    ))
    assert len(replies.messages) == 1 and replies.messages[0].text.startswith("Hi! I'm Showcase Bot.")


async def test_teams_colleague_joining_a_team_is_not_welcomed() -> None:
    chat = make_chat(channel_id="msteams")
    replies = await chat.send(members_added(
        ChannelAccount(id="29:colleague", name="Colleague"),
        channel_data={**TENANT, "team": {"id": "19:team@thread.tacv2"}, "eventType": "teamMemberAdded"},
    ))
    assert replies.messages == []


async def test_teams_mention_is_stripped_before_the_pipeline_reads_the_text() -> None:
    chat = make_chat(channel_id="msteams")
    mention = Entity(type="mention").deserialize(
        {"type": "mention", "text": "<at>Showcase Bot</at>", "mentioned": {"id": "bot", "name": "Showcase Bot"}}
    )
    replies = await chat.say("<at>Showcase Bot</at> help", entities=[mention])
    assert replies.text.startswith("Here is what I can do:")
    assert chat.fakes.language.texts_seen == ["help"]


async def test_teams_replies_stay_in_the_thread() -> None:
    thread = "19:general@thread.tacv2;messageid=1690000000000"
    chat = make_chat(channel_id="msteams", conversation_id=thread)
    replies = await chat.say("help", id="1690000000123")
    reply = replies.messages[0]
    assert reply.conversation.id == thread
    assert reply.reply_to_id == "1690000000123"


async def test_unrecognised_text_reflects_sentiment_and_language(chat: Chat) -> None:
    chat.fakes.language.script("the delivery took ages and nobody answered", language="en", score=0.96)
    chat.fakes.sentiment.script("the delivery took ages and nobody answered", label="negative", score=0.91)
    replies = await chat.say("the delivery took ages and nobody answered")
    assert "negative (0.91)" in replies.text and "English (0.96)" in replies.text
    assert "Give feedback" in replies.actions and "Talk to a person" in replies.actions


async def test_long_text_that_merely_mentions_a_feature_is_not_a_command(chat: Chat) -> None:
    text = "I really hate how slow the translation of my documents was yesterday"
    chat.fakes.language.script(text, language="en", score=0.97)
    replies = await chat.say(text)
    assert "What would you like me to translate?" not in replies.text
    assert "negative" in replies.text


async def test_spanish_keywords_route_to_the_feature_in_spanish(chat: Chat) -> None:
    await start_in(chat, "es")
    replies = await chat.say("quiero traducir algo")
    assert replies.texts[0] == "¿Qué quieres que traduzca?" and untranslated(replies)


async def test_clicking_a_localized_menu_button_opens_the_feature(chat: Chat) -> None:
    await start_in(chat, "ja")
    replies = await chat.say("テキストを分析")
    assert replies.texts[0] == "分析してほしいテキストを送ってください。どの言語でもかまいません。"


async def test_one_word_reply_does_not_switch_language(chat: Chat) -> None:
    await start_in(chat, "es")
    chat.fakes.language.script("Thanks", language="en", score=0.95)
    replies = await chat.say("Thanks")
    assert untranslated(replies) and "Esto es lo que puedo hacer:" in replies.text
    conversation, _ = await chat.profiles()
    assert conversation.language == "es"
    assert conversation.last_insights["decision"] == str(LanguageDecision.KEPT)


async def test_a_confident_mid_conversation_switch_changes_language(chat: Chat) -> None:
    await start_in(chat, "es")
    text = "Actually I would rather continue this conversation in English"
    chat.fakes.language.script(text, language="en", score=0.97)
    replies = await chat.say(text)
    assert "Here is what I can do:" in replies.text
    conversation, _ = await chat.profiles()
    assert conversation.language == "en" and conversation.last_insights["decision"] == "switched"


async def test_help_in_arabic(chat: Chat) -> None:
    await start_in(chat, "ar")
    replies = await chat.say("مساعدة")
    assert replies.texts[0].startswith("هذا ما يمكنني فعله:")
    assert "تحليل نص" in replies.actions and untranslated(replies)


async def test_set_language_event_is_an_explicit_choice(chat: Chat) -> None:
    replies = await chat.send(Activity(type=ActivityTypes.event, name="setLanguage", value="ja-JP"))
    assert replies.texts[0] == "これからは日本語で話します。何をしますか？"
    text = "This is a long English sentence that detection is sure about"
    chat.fakes.language.script(text, language="en", score=0.99)
    replies = await chat.say(text)
    assert "できること：" in replies.text
    conversation, _ = await chat.profiles()
    assert conversation.language == "ja" and conversation.language_explicit


async def test_distress_at_the_top_level_gets_support_not_a_sentiment_reading(chat: Chat) -> None:
    text = "I can't go on anymore, I want to end it all"
    chat.fakes.safety.flag(text)
    chat.fakes.sentiment.script(text, label="negative", score=0.99)
    replies = await chat.say(text)
    assert "988" in replies.text and "emergency services" in replies.text
    assert "negative" not in replies.text
    assert replies.actions == ["Talk to a person", "Not now"]
    declined = await chat.say("Not now")
    assert declined.texts[0].startswith("Okay. I'm here whenever you want to talk")


async def test_nothing_to_cancel_at_the_top_level(chat: Chat) -> None:
    replies = await chat.say("cancel")
    assert replies.texts[0] == "There's nothing to cancel. What would you like to do?"


async def test_a_translated_turn_sends_each_message_once() -> None:
    chat = make_chat()
    await chat.send(Activity(type=ActivityTypes.event, name="setLanguage", value="fr"))
    replies = await chat.say("aide")
    assert len(replies.messages) == 1


async def test_a_menu_button_mid_dialog_switches_feature(chat: Chat) -> None:
    await start_in(chat, "es")
    await chat.say("Idioma")
    replies = await chat.say("Privacidad")
    assert replies.texts[0].startswith("Esto es lo que guardo sobre ti:")
    assert "No analizar mis mensajes" in replies.actions


async def test_typing_yes_after_the_safety_reply_starts_the_handoff(chat: Chat) -> None:
    text = "I want to end it all, I can't go on"
    chat.fakes.safety.flag(text)
    await chat.say(text)
    replies = await chat.say("yes")
    assert any(activity.type == "event" and activity.name == "handoff.initiate" for activity in replies.activities)


async def test_every_turn_hands_botbuilder_the_memory_configuration_it_built_once(chat: Chat) -> None:
    from botbuilder.core import AnonymousReceiveMiddleware
    from botbuilder.dialogs.memory import DialogStateManagerConfiguration

    seen: list[object] = []

    async def record(context, logic) -> None:
        await logic()
        seen.append(context.turn_state.get(DialogStateManagerConfiguration.__name__))

    chat.adapter.use(AnonymousReceiveMiddleware(record))
    await chat.say("Hello there")
    await chat.say("Give feedback")  # a dialog that waits for a reply: its contexts are built on the next turn
    replies = await chat.say("It was great, thanks")
    assert replies.texts  # the waiting dialog went on
    first = seen[0]
    assert isinstance(first, DialogStateManagerConfiguration) and first.memory_scopes and first.path_resolvers
    assert all(configuration is first for configuration in seen)
