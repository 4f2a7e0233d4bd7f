"""Teams: suggested actions are dropped in channels and group chats, kept in personal chats."""

from __future__ import annotations

import pytest
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    ActionTypes,
    Activity,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    SuggestedActions,
)

from bot.channels.teams.mentions import MentionMiddleware


async def reply_with_actions(context: TurnContext) -> None:
    message = MessageFactory.text("Pick one")
    message.suggested_actions = SuggestedActions(
        actions=[CardAction(type=ActionTypes.im_back, title="Help", value="Help")]
    )
    await context.send_activity(message)


@pytest.mark.parametrize(
    ("channel_id", "conversation_type", "kept"),
    [("msteams", "channel", False), ("msteams", "groupChat", False), ("msteams", "personal", True),
     ("webchat", None, True)],
)
async def test_suggested_actions_only_where_the_channel_renders_them(
    channel_id: str, conversation_type: str | None, kept: bool
) -> None:
    template = Activity(
        channel_id=channel_id, service_url="https://test.invalid",
        conversation=ConversationAccount(id="c1", conversation_type=conversation_type),
        from_property=ChannelAccount(id="u1"), recipient=ChannelAccount(id="bot"),
    )
    adapter = TestAdapter(reply_with_actions, template_or_conversation=template)
    adapter.use(MentionMiddleware())
    await adapter.send("hi")
    reply = adapter.get_next_activity()
    assert (reply.suggested_actions is not None) is kept
