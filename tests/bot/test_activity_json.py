"""Outgoing activities serialise exactly as msrest's `Activity.serialize()` does."""

from __future__ import annotations

import datetime as dt
import enum

import pytest
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import (
    ActionTypes,
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    Entity,
    HeroCard,
    InputHints,
    Mention,
    SemanticAction,
    SuggestedActions,
    TextHighlight,
)

from adapters.engines import build_engines
from bot.activity_json import activity_json
from bot.runtime import build_runtime
from bot.storage.memory_store import InMemoryStorage
from bot.warm_up import _ReplySink, play_warm_up_conversation
from tests.conftest import FAKE_ONLY, make_settings


class Colour(enum.Enum):
    RED = "red"


def addressed(activity: Activity) -> Activity:
    activity.conversation = ConversationAccount(id="conv-1", is_group=False, tenant_id="t")
    activity.from_property = ChannelAccount(id="bot", name="Bot", role="bot")
    activity.recipient = ChannelAccount(id="user-1", name="User", aad_object_id="aad")
    activity.service_url, activity.channel_id, activity.reply_to_id = "http://localhost/x", "emulator", "r-1"
    activity.locale, activity.input_hint = "en-US", InputHints.accepting_input
    return activity


def adaptive(body: list) -> Activity:
    card = {"type": "AdaptiveCard", "version": "1.4", "body": body,
            "actions": [{"type": "Action.Submit", "title": "Yes", "data": {"answer": 1, "ok": True, "none": None}}]}
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


ACTIVITIES = [
    lambda: MessageFactory.text("Hello 👋 — ¿qué tal?"),
    lambda: MessageFactory.suggested_actions(
        [CardAction(type=ActionTypes.im_back, title=t, value=t) for t in ("Analyze", "Translate", "Help")], "Menu"),
    lambda: adaptive([{"type": "TextBlock", "text": "Sentiment", "weight": "bolder"},
                      {"type": "FactSet", "facts": [{"title": "a", "value": "0.97"}]}]),
    lambda: MessageFactory.attachment(CardFactory.hero_card(HeroCard(
        title="t", subtitle="s", buttons=[CardAction(type="openUrl", title="Go", value="https://example.org")]))),
    lambda: Activity(type=ActivityTypes.typing),
    lambda: Activity(type=ActivityTypes.trace, name="trace", label="L", value={"k": [1, 2.5, None, "x"]},
                     value_type="https://example.org/schema"),
    lambda: Activity(type="message", text="<at>User</at> hi", entities=[
        Mention(mentioned=ChannelAccount(id="u", name="User"), text="<at>User</at>", type="mention"),
        Entity(type="clientInfo")]),
    lambda: Activity(type="message", text="dated", timestamp=dt.datetime(2026, 11, 22, 10, 0, 5, 120000, tzinfo=dt.UTC),
                     channel_data={"tenant": {"id": "x"}, "list": [{"a": 1}]}),
    lambda: Activity(type="message", value=Colour.RED, text_highlights=[TextHighlight(text="x", occurrence=1)],
                     semantic_action=SemanticAction(id="s", entities={"e": Entity(type="t")}, state="start")),
    lambda: Activity(type="message", value={1: "int key"}, suggested_actions=SuggestedActions(to=["a", "b"], actions=[])),
    lambda: Activity(type="message", value=("a", "tuple"), speak="spoken", attachment_layout="carousel"),
]


@pytest.mark.parametrize("make", ACTIVITIES)
def test_the_json_is_msrest_s(make) -> None:
    activity = addressed(make())
    assert activity_json(activity) == activity.serialize()


async def test_every_reply_of_a_real_conversation_serialises_as_msrest_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The welcome, the menu and the answers the bot really sends."""
    seen: list[Activity] = []
    original = _ReplySink.__call__

    async def record(self, context, activities, send_next):
        seen.extend(activities if "showcase.turn_guard.held" not in context.turn_state else [])
        return await original(self, context, activities, send_next)

    monkeypatch.setattr(_ReplySink, "__call__", record)
    runtime = await build_runtime(make_settings(), storage=InMemoryStorage(), engines=build_engines(FAKE_ONLY))
    try:
        await play_warm_up_conversation(runtime)
    finally:
        await runtime.close()
    assert seen
    for activity in seen:
        assert activity_json(activity) == activity.serialize()
