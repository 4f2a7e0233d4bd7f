"""Replies are copied as deepcopy copies them: equal, independent, aliasing kept."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    ActionTypes,
    Activity,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    HeroCard,
)

from bot.activity_json import activity_json
from bot.reply_copy import CopyingTurnContext, clone


class Opaque:
    """Not a model: copied by copy.deepcopy."""

    def __init__(self) -> None:
        self.items = [1, 2]

    def __str__(self) -> str:
        return f"Opaque{self.items}"


def reply() -> Activity:
    card = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "hi"}], "meta": (1, 2)}
    activity = MessageFactory.suggested_actions(
        [CardAction(type=ActionTypes.im_back, title="Help", value="help")], "Menu")
    activity.attachments = [CardFactory.adaptive_card(card),
                            CardFactory.hero_card(HeroCard(title="t", buttons=[CardAction(type="imBack", value="x")]))]
    activity.timestamp = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    activity.channel_data = {"opaque": Opaque(), 3: "int key"}
    return activity


def test_a_clone_equals_a_deepcopy_and_shares_nothing_mutable() -> None:
    original = reply()
    cloned, deep = clone(original), copy.deepcopy(original)
    assert activity_json(cloned) == activity_json(deep) == activity_json(original)
    assert cloned is not original
    assert cloned.attachments[0].content is not original.attachments[0].content
    assert cloned.suggested_actions.actions[0] is not original.suggested_actions.actions[0]
    assert isinstance(cloned.channel_data["opaque"], Opaque)
    assert cloned.channel_data["opaque"] is not original.channel_data["opaque"]
    cloned.attachments[0].content["body"][0]["text"] = "changed"
    cloned.suggested_actions.actions[0].title = "changed"
    assert original.attachments[0].content["body"][0]["text"] == "hi"
    assert original.suggested_actions.actions[0].title == "Help"


def test_shared_and_cyclic_parts_stay_shared_as_with_deepcopy() -> None:
    shared = {"k": [1]}
    activity = Activity(type="message", value={"a": shared, "b": shared})
    activity.value["self"] = activity.value
    cloned = clone(activity)
    assert cloned.value["a"] is cloned.value["b"] is not shared
    assert cloned.value["self"] is cloned.value


@pytest.mark.parametrize("context_class", [TurnContext, CopyingTurnContext])
async def test_a_send_addresses_the_copy_and_leaves_the_callers_activity_alone(context_class: type) -> None:
    adapter = TestAdapter()
    incoming = Activity(type="message", id="in-1", channel_id="test", service_url="http://x", locale="fr-FR",
                        conversation=ConversationAccount(id="c"), from_property=ChannelAccount(id="u"),
                        recipient=ChannelAccount(id="bot"), text="hi")
    sent: list[Activity] = []
    context = context_class(adapter, incoming)

    async def capture(ctx, activities, send_next):
        sent.extend(activities)
        activities.clear()

    context.on_send_activities(capture)
    original = reply()
    before = activity_json(original)
    await context.send_activities([original])
    assert activity_json(original) == before  # the caller's object is untouched
    [out] = sent
    assert out is not original
    assert (out.reply_to_id, out.locale, out.recipient.id, out.input_hint) == ("in-1", "fr-FR", "u", "acceptingInput")
    assert context.responded


def test_the_adapter_makes_copying_contexts_with_the_turn_state() -> None:
    base = TurnContext(TestAdapter(), Activity(type="message", conversation=ConversationAccount(id="c")))
    base.turn_state["k"] = "v"
    made = CopyingTurnContext.of(base)
    assert made.turn_state["k"] == "v" and made.activity is base.activity and made.adapter is base.adapter


def test_a_list_that_contains_itself_is_copied_cyclic_with_its_atoms_as_they_are() -> None:
    items: list = [None, "text", 3, 1.5, True, b"raw"]
    items.append(items)
    cloned = clone(Activity(type="message", value=items)).value
    assert cloned is not items and cloned[-1] is cloned
    assert cloned[:-1] == items[:-1] and all(a is b for a, b in zip(cloned[:-1], items[:-1], strict=True))
