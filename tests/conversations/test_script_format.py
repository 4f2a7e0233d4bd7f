"""The `.chat` format: what each line means, and errors that name the file and line."""

from __future__ import annotations

import pytest

from chatscripts.checks import CardCheck, EventCheck, SuggestedCheck, TextCheck, TypeCheck
from chatscripts.model import BotStep, ConversationError, EngineStep, UserStep
from chatscripts.script import parse_script

MESSAGE = {"type": "message"}


def only(text: str):
    (conversation,) = parse_script(text, "t.chat")
    return conversation


def test_user_and_bot_lines_become_steps_in_order():
    conversation = only("# a comment\n\nuser: hola\nbot: ¡Hola!\n")
    user, bot = conversation.steps
    assert isinstance(user, UserStep) and user.activity == {"type": "message", "text": "hola"}
    assert (user.line, bot.line) == (3, 4)
    assert isinstance(bot, BotStep) and not bot.mismatches({**MESSAGE, "text": "¡Hola!"})
    assert conversation.name == "t"


def test_exact_text_forgives_whitespace_but_not_words():
    bot = only("user: x\nbot: Hello   there \n").steps[1]
    assert not bot.mismatches({**MESSAGE, "text": "Hello there"})
    assert bot.mismatches({**MESSAGE, "text": "Hello where"}) == [
        'text: expected "Hello there", got "Hello where"'
    ]


def test_regex_with_flags_is_searched():
    bot = only("user: x\nbot: ~ /hola|bienvenid/i\n").steps[1]
    assert not bot.mismatches({**MESSAGE, "text": "¡BIENVENIDO!"})
    assert bot.mismatches({**MESSAGE, "text": "adiós"})
    bare = only("user: x\nbot: ~ ^You said\n").steps[1]
    assert not bare.mismatches({**MESSAGE, "text": "You said: x"})
    assert bare.mismatches({**MESSAGE, "text": "you said: x"})


def test_card_title_is_the_first_text_block_even_inside_containers():
    card = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "body": [
            {"type": "Container", "items": [{"type": "TextBlock", "text": "Analysis"}]},
            {"type": "TextBlock", "text": "Language: English"},
        ]},
    }
    bot = only('user: x\nbot: card "Analysis"\n').steps[1]
    assert any(isinstance(c, CardCheck) for c in bot.checks)
    assert not bot.mismatches({**MESSAGE, "attachments": [card]})
    assert bot.mismatches({**MESSAGE, "text": "no card"}) == ["card: expected a card, got no card attachment"]
    regex = only("user: x\nbot: card ~ /^Anal/\n").steps[1]
    assert not regex.mismatches({**MESSAGE, "attachments": [card]})


def test_indented_lines_add_checks_to_the_same_activity():
    conversation = only('join\nbot: ~ /Welcome/\n  suggested "Translate", "Help"\nuser: hi\n')
    join, bot, user = conversation.steps
    assert join.activity["type"] == "conversationUpdate"
    assert [type(c) for c in bot.checks] == [TypeCheck, TextCheck, SuggestedCheck]
    activity = {**MESSAGE, "text": "Welcome!", "suggestedActions": {"actions": [
        {"title": "Analyze a text"}, {"title": "Translate"}, {"title": "Help"}]}}
    assert not bot.mismatches(activity)
    activity["suggestedActions"]["actions"].pop()
    assert bot.mismatches(activity) == [
        "suggested actions: missing 'Help'; got \"Analyze a text\", \"Translate\""
    ]
    assert isinstance(user, UserStep)


def test_language_sets_the_locale_of_later_user_activities():
    conversation = only("language: es\nuser: hola\nlanguage: ja\nuser: こんにちは\n")
    assert conversation.locale == "es"
    assert [s.activity["locale"] for s in conversation.steps] == ["es", "ja"]


def test_engine_lines_script_the_fakes():
    conversation = only(
        'engine: sentiment "I hate this" -> negative 0.97\n'
        'engine: language "ok" -> fr 0.4\n'
        'engine: translate "hola" -> "hello"\n'
        'engine: translate "hello" -> ja "こんにちは"\n'
        'engine: safety "I want to disappear" -> flagged\n'
        "engine: sentiment down\n"
        'engine: language "boom" -> error\n'
        "user: I hate this\n"
    )
    engines = [s for s in conversation.steps if isinstance(s, EngineStep)]
    assert [(e.capability, e.text, e.outcome, e.score, e.target) for e in engines] == [
        ("sentiment", "I hate this", "negative", 0.97, "en"),
        ("language", "ok", "fr", 0.4, "en"),
        ("translate", "hola", "hello", None, "en"),
        ("translate", "hello", "こんにちは", None, "ja"),
        ("safety", "I want to disappear", "flagged", None, "en"),
        ("sentiment", None, "down", None, "en"),
        ("language", "boom", "error", None, "en"),
    ]


def test_wildcard_event_submit_and_several_conversations():
    first, second = parse_script(
        'title: one\nuser: help me\nbot: ...\n---\ntitle: two\nuser: submit {"rating": 4}\nbot: event handoff.initiate\n',
        "t.chat",
    )
    assert (first.name, second.name) == ("one", "two")
    assert first.steps[1].wildcard
    assert second.steps[0].activity == {"type": "message", "value": {"rating": 4}}
    assert isinstance(second.steps[1].checks[0], EventCheck)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("user: x\nbot:\n", 2, "bot: needs an expectation"),
        ("user: x\nbot: ~ /(unclosed/\n", 2, "bad regular expression"),
        ("user: x\nsays hello\n", 2, "expected 'user:', 'bot:', 'join'"),
        ("user: x\nfoo: bar\n", 2, "unknown line 'foo'"),
        ("bot: hi\nuser: x\n", 1, "bot: lines must follow a user: or join line"),
        ('user: x\nengine: sentiment "x" -> great\n', 2, "sentiment label must be"),
        ("user: submit {not json}\n", 1, "user: submit needs a JSON object"),
        ("user: x\nengines: cloud\n", 2, "engines: expected one of fake, app"),
    ],
)
def test_errors_name_the_file_and_line(text: str, line: int, message: str):
    with pytest.raises(ConversationError) as error:
        parse_script(text, "broken.chat")
    assert error.value.line == line
    assert str(error.value).startswith(f"broken.chat:{line}: ")
    assert message in str(error.value)


def test_a_file_without_a_conversation_is_an_error():
    with pytest.raises(ConversationError, match="no conversation"):
        parse_script("# only a comment\n", "empty.chat")
