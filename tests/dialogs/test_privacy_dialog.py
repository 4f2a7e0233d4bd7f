"""The privacy dialog: what is stored, opting out and back in, deleting everything with confirmation."""

from __future__ import annotations

from tests.dialogs.conftest import Chat, start_in, untranslated


async def test_privacy_lists_what_is_stored_in_plain_language(chat: Chat) -> None:
    replies = await chat.say("privacy")
    text = replies.text
    assert "Here is what I store about you:" in text
    assert "Your conversation language (English)" in text and "it is on." in text
    assert "Your sentiment corrections (0) and feedback (0)." in text
    assert replies.actions == ["Opt out of analysis", "Delete my data", "Done"]


async def test_opt_out_stops_every_engine_and_opt_in_restores_them(chat: Chat) -> None:
    await chat.say("privacy")
    out = await chat.say("Opt out of analysis")
    assert out.texts[0].startswith("Done: from your next message on, I won't send")
    _, user = await chat.profiles()
    assert user.analysis_opt_out
    before = chat.fakes.calls
    replies = await chat.say("privacy")
    assert chat.fakes.calls == before  # nothing analyzed, not even the command
    assert "it is off." in replies.text and "Turn analysis back on" in replies.actions
    await chat.say("Turn analysis back on")
    _, user = await chat.profiles()
    assert not user.analysis_opt_out
    await chat.say("hello again, how are you")
    assert chat.fakes.calls > before


async def test_delete_my_data_asks_first_then_deletes_everything(chat: Chat) -> None:
    await chat.say("feedback")
    await chat.say("It was great")
    await chat.say("5")
    await chat.say("privacy")
    confirm = await chat.say("Delete my data")
    assert confirm.texts[0].endswith("Delete everything?") and confirm.actions == ["Yes", "No"]
    assert chat.storage.memory  # something is stored before deletion
    done = await chat.say("yes")
    assert done.texts[0].startswith("I've deleted everything I stored about you")
    assert chat.storage.memory == {}
    conversation, user = await chat.profiles()
    assert user.feedback == [] and conversation.transcript == [] and conversation.last_action == ""


async def test_declining_deletion_keeps_everything_in_arabic(chat: Chat) -> None:
    await start_in(chat, "ar")
    shown = await chat.say("الخصوصية")
    assert shown.texts[0].startswith("هذا ما أحتفظ به عنك:") and untranslated(shown)
    assert "احذف بياناتي" in shown.actions
    confirm = await chat.say("احذف بياناتي")
    assert confirm.actions == ["نعم", "لا"]
    kept = await chat.say("لا")
    assert kept.texts[0] == "حسنًا، أبقيت كل شيء كما كان."
    conversation, _ = await chat.profiles()
    assert conversation.language == "ar" and conversation.transcript
