"""Our Waterfall begins a run exactly as botbuilder's WaterfallDialog does, with a version-1 id made in Python."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botbuilder.core import ConversationState, MemoryStorage, NullTelemetryClient, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import Dialog, DialogSet, DialogTurnStatus, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from dialogs.waterfall import Waterfall, instance_id


class RecordingTelemetry(NullTelemetryClient):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, dict]] = []

    def track_event(self, name: str, properties: dict | None = None, measurements: dict | None = None) -> None:
        self.events.append((name, dict(properties or {})))


async def begin(kind: type[WaterfallDialog], options: Any) -> tuple[dict, list, dict, DialogTurnStatus]:
    """Begin a two-step waterfall of `kind`; what its first step saw and what it left in state."""
    seen: list[str] = []

    async def first(step: WaterfallStepContext):
        seen.append(f"{step.index}:{step.options}:{step.values}")
        step.values["kept"] = True
        await step.context.send_activity("first")
        return Dialog.end_of_turn

    async def second(step: WaterfallStepContext):  # never reached: the first step ends the dialog
        seen.append("second")
        return await step.end_dialog()

    state = ConversationState(MemoryStorage())
    dialogs = DialogSet(state.create_property("DialogState"))
    waterfall = kind("w", [first, second])
    telemetry = RecordingTelemetry()
    waterfall.telemetry_client = telemetry
    dialogs.add(waterfall)
    activity = Activity(type="message", text="hi", channel_id="test", conversation=ConversationAccount(id="c"),
                        from_property=ChannelAccount(id="u"), recipient=ChannelAccount(id="b"))
    context = TurnContext(TestAdapter(), activity)
    sent: list = []

    async def capture(ctx, activities, send_next):
        sent.extend(a.text for a in activities)
        activities.clear()
        return []

    context.on_send_activities(capture)
    dialog_context = await dialogs.create_context(context)
    result = await dialog_context.begin_dialog("w", options)
    return {"seen": seen, "sent": sent}, telemetry.events, dict(dialog_context.active_dialog.state), result.status


@pytest.mark.parametrize("options", [None, {"text": "x"}])
async def test_a_run_begins_as_botbuilder_begins_it(options: Any) -> None:
    ours, our_events, our_state, our_status = await begin(Waterfall, options)
    stock, stock_events, stock_state, stock_status = await begin(WaterfallDialog, options)
    assert ours == stock and our_status == stock_status == DialogTurnStatus.Waiting
    assert ours["sent"] == ["first"] and ours["seen"] == [f"0:{options}:{{}}"]
    assert our_state.pop("instanceId") == our_events[0][1]["InstanceId"]
    assert stock_state.pop("instanceId") == stock_events[0][1]["InstanceId"]
    assert our_state == stock_state == {"options": options, "values": {"kept": True}, "stepIndex": 0}
    assert [name for name, _ in our_events] == [name for name, _ in stock_events]
    (_, ours_props), *_ = our_events
    (_, stock_props), *_ = stock_events
    assert ours_props["DialogId"] == stock_props["DialogId"] == "w"
    assert uuid.UUID(ours_props["InstanceId"]).version == uuid.UUID(stock_props["InstanceId"]).version == 1


def test_instance_ids_are_version_1_uuids_with_the_host_node_and_never_repeat() -> None:
    ids = [instance_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    parsed = [uuid.UUID(value) for value in ids]
    assert {value.version for value in parsed} == {1}
    assert {value.node for value in parsed} == {uuid.getnode()}
    assert all(str(value) == text for value, text in zip(parsed, ids, strict=True))
