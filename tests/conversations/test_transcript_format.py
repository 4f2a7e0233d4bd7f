"""`.transcript` files as the Emulator saves them: what is sent, what is compared, what is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatscripts.checks import AttachmentTypesCheck, EventCheck, TextCheck, TypeCheck
from chatscripts.model import BotStep, ConversationError, UserStep
from chatscripts.transcript import load_transcript

BOT = {"id": "86f1de30", "name": "Bot", "role": "bot"}
USER = {"id": "1ce384f1", "name": "User", "role": "user"}
CONVERSATION = {"id": "83fa1400|livechat"}

# The shape of an Emulator "Save transcript" file (ids, timestamps, channel data included).
EMULATOR = [
    {"type": "conversationUpdate", "channelId": "emulator", "conversation": CONVERSATION,
     "membersAdded": [{"id": "86f1de30", "name": "Bot"}, {"id": "1ce384f1", "name": "User"}],
     "membersRemoved": [], "from": USER, "recipient": BOT, "id": "a1", "locale": "en-US",
     "timestamp": "2020-08-18T07:50:42.521Z", "serviceUrl": "https://example.ngrok.io"},
    {"type": "message", "from": BOT, "recipient": USER, "text": "I'm the bot", "speak": "I'm the bot",
     "attachments": [], "entities": [], "replyToId": "a1", "id": "a2", "timestamp": "2020-08-18T07:50:44Z"},
    {"type": "trace", "from": BOT, "name": "BotState", "label": "Bot State", "value": {"turn": {}}},
    {"type": "message", "text": "show tasks", "textFormat": "plain", "from": USER, "recipient": BOT,
     "locale": "en-US", "channelData": {"clientActivityID": "x"}, "entities": [{"type": "ClientCapabilities"}],
     "id": "a3", "timestamp": "2020-08-18T07:50:50.448Z"},
    {"type": "typing", "from": BOT},
    {"type": "message", "from": BOT, "speak": "Here you go.", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive",
         "content": {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Action items"}]}}]},
    {"type": "message", "from": USER, "value": {"rating": 4}, "id": "a4"},
    {"type": "event", "name": "handoff.initiate", "from": BOT, "value": {"summary": "..."}},
]


def write(tmp_path: Path, activities: object, name: str = "session.transcript") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(activities), encoding="utf-8")
    return path


def test_user_activities_are_sent_with_members_mapped_to_the_runner_accounts(tmp_path: Path):
    conversation = load_transcript(write(tmp_path, EMULATOR))
    users = [s for s in conversation.steps if isinstance(s, UserStep)]
    assert [u.label for u in users] == ["join", "user: show tasks", 'user: submit {"rating": 4}']
    assert users[0].activity["membersAdded"] == ["$bot", "$user"]
    assert users[1].activity == {"type": "message", "text": "show tasks", "locale": "en-US", "textFormat": "plain"}
    assert "id" not in users[1].activity and "channelData" not in users[1].activity
    assert conversation.locale == "en-US" and conversation.engines == "app"
    assert [u.line for u in users] == [1, 4, 7]  # the activity's position in the file


def test_bot_activities_compare_type_text_and_attachment_types_only(tmp_path: Path):
    bots = [s for s in load_transcript(write(tmp_path, EMULATOR)).steps if isinstance(s, BotStep)]
    assert len(bots) == 3  # trace and typing are left out
    assert [type(c) for c in bots[0].checks] == [TypeCheck, TextCheck, AttachmentTypesCheck]
    card_reply = {"type": "message", "id": "other", "timestamp": "later",
                  "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {}}]}
    assert bots[1].mismatches(card_reply) == []
    assert bots[1].mismatches({"type": "message", "text": "Here you go."}) == [
        'text: expected "", got "Here you go."',
        "attachments: expected ['application/vnd.microsoft.card.adaptive'], got []",
    ]
    assert isinstance(bots[2].checks[0], EventCheck)


def test_roles_missing_the_bot_is_the_first_recipient(tmp_path: Path):
    plain = [
        {"type": "message", "text": "hi", "from": {"id": "u"}, "recipient": {"id": "b"}},
        {"type": "message", "text": "hello", "from": {"id": "b"}},
    ]
    steps = load_transcript(write(tmp_path, plain)).steps
    assert [type(s) for s in steps] == [UserStep, BotStep]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable transcript"),
        ('{"type": "message"}', "a JSON array of activity objects"),
        ('[{"type": "message", "text": "hi", "from": {"role": "bot"}}]', "no user activity"),
    ],
)
def test_unreadable_transcripts_are_errors_naming_the_file(tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.transcript"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConversationError, match=message) as error:
        load_transcript(path)
    assert str(error.value).startswith(str(path))
