"""A TurnContext whose sends copy each reply with a model-aware deep copy instead of `copy.deepcopy`.

botbuilder's `send_activities` deep-copies every outgoing activity (so addressing it
cannot change the caller's object). `copy.deepcopy` walks msrest models through
`__reduce_ex__` and a memo of everything: ~0.3 ms a reply with its card, the largest cost
left of a turn with analysis off. `clone` makes the same copy (new models, dicts and
lists all the way down; shared and cyclic parts stay shared, as with deepcopy) by
rebuilding models from their `__dict__`; any other type goes to `copy.deepcopy`.
The rest of the send is botbuilder's, line for line (4.17 is final).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes, ResourceResponse
from msrest.serialization import Model

_ATOMIC = (str, int, float, bool, type(None), bytes)


def clone(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy(value)`, faster for msrest models and plain JSON-like data."""
    if memo is None:
        memo = {}
    kind = type(value)
    if kind in _ATOMIC:
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    # Atomic items (most of an Activity's ~40 attributes are None) are taken as they are,
    # without a call: the same result as calling clone on them, a third of the cost.
    if kind is dict:
        result: Any = {}
        memo[id(value)] = result
        for key, item in value.items():
            result[key if type(key) in _ATOMIC else copy.deepcopy(key, memo)] = (
                item if type(item) in _ATOMIC else clone(item, memo)
            )
    elif kind is list:
        result = []
        memo[id(value)] = result  # before the items: a list may contain itself
        result.extend([item if type(item) in _ATOMIC else clone(item, memo) for item in value])
    elif isinstance(value, Model) and _plain_model(kind):
        result = kind.__new__(kind)
        memo[id(value)] = result
        result.__dict__.update(
            {name: item if type(item) in _ATOMIC else clone(item, memo) for name, item in value.__dict__.items()}
        )
    else:
        return copy.deepcopy(value, memo)
    return result


@functools.cache
def _plain_model(kind: type) -> bool:
    """True when deepcopy would copy this model class by its __dict__ (no custom copy hooks)."""
    return (
        kind.__reduce_ex__ is object.__reduce_ex__
        and kind.__reduce__ is object.__reduce__
        and getattr(kind, "__deepcopy__", None) is None
        and getattr(kind, "__setstate__", None) is None
        and getattr(kind, "__getstate__", object.__getstate__) is object.__getstate__
        and "__slots__" not in vars(kind)
    )


class CopyingTurnContext(TurnContext):
    """TurnContext with `send_activities` copying replies by `clone`; made by HoldingCloudAdapter."""

    @classmethod
    def of(cls, context: TurnContext) -> CopyingTurnContext:
        made = cls(context)  # botbuilder's copy_to: adapter, activity, handlers, services
        made.turn_state.update(context.turn_state)  # copy_to leaves turn_state out
        made.buffered_reply_activities = context.buffered_reply_activities
        return made

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        ref = TurnContext.get_conversation_reference(self.activity)

        def activity_validator(activity: Activity) -> Activity:
            if not getattr(activity, "type", None):
                activity.type = ActivityTypes.message
            if not activity.input_hint:
                activity.input_hint = "acceptingInput"
            activity.id = None
            return activity

        output = [
            activity_validator(TurnContext.apply_conversation_reference(clone(act), ref))
            for act in activities
        ]

        return await emit_prepared(self, output)


async def emit_prepared(context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
    """botbuilder's send after its copy-and-address step (4.17 is final, so this stays put).

    Through the send handlers, then to the adapter, or into the buffer for expectReplies.
    Used by CopyingTurnContext for fresh replies and by TurnGuard for the held ones, which
    were copied and addressed once already.
    """
    sent_non_trace = any(activity.type != ActivityTypes.trace for activity in activities)

    async def logic() -> list[ResourceResponse]:
        if context.activity.delivery_mode == DeliveryModes.expect_replies:
            responses = []
            for activity in activities:
                context.buffered_reply_activities.append(activity)
                if activity.type == ActivityTypes.invoke_response:
                    context.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = activity
                responses.append(ResourceResponse())
        else:
            responses = await context.adapter.send_activities(context, activities)
        if sent_non_trace:
            context.responded = True
        return responses

    return await context._emit(context._on_send_activities, activities, logic())
