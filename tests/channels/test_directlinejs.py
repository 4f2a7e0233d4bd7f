"""botframework-directlinejs (the client inside Web Chat) from Node, over WebSocket, against the bot."""

from __future__ import annotations

from tests.channels.conftest import ANALYZE_TEXT, SPANISH_TEXT, looks_spanish, require_node_package, run_node

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


async def test_directlinejs_conversation_and_isolation(channel_bot):
    require_node_package("botframework-directlinejs")
    require_node_package("ws")
    require_node_package("xhr2")
    result = await run_node("directline_conversation.js", channel_bot, SPANISH_TEXT, ANALYZE_TEXT)
    assert result.returncode == 0, result.stderr
    report = result.json()
    first, second = report["first"], report["second"]

    assert first["welcome"]["text"]
    assert first["welcome"]["channelId"] == "webchat"
    assert first["spanishReply"]["text"]
    assert looks_spanish(first["spanishReply"]["text"]), first["spanishReply"]["text"]
    assert any(a["contentType"] == ADAPTIVE_CARD for a in first["card"]["attachments"])
    ids = [activity["id"] for activity in first["seen"]]
    assert len(ids) == len(set(ids)), "an activity was delivered twice"
    assert [a["text"] for a in first["seen"] if a["from"]["role"] == "user"] == [SPANISH_TEXT, ANALYZE_TEXT]

    assert second["conversationId"] != first["conversationId"]
    assert second["readOtherStatus"] == 403
    assert second["postOtherStatus"] == 403
    assert second["streamOther"] == 403
    assert second["seen"], "the second conversation got its own welcome"
    assert all(a["conversation"]["id"] == second["conversationId"] for a in second["seen"])
    texts = {a.get("text") for a in second["seen"]}
    assert SPANISH_TEXT not in texts and ANALYZE_TEXT not in texts
