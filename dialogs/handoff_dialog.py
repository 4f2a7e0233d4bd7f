"""Hand the conversation to a person: the Bot Framework `handoff.initiate` event, then what happens next.

The event carries a summary, the last turn's insights and the transcript so far (as
an attachment, like the C# EventFactory.CreateHandoffInitiation), so the agent
does not have to ask the user to repeat anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters import telemetry
from dialogs.i18n import t
from dialogs.insights import conversation_language, get_insights
from dialogs.why_dialog import fingerprint, insights_summary, record_action, said_last

if TYPE_CHECKING:
    from dialogs.state import BotState

HANDOFF_INITIATE = "handoff.initiate"


def handoff_event(turn_context: TurnContext, context: dict[str, Any], transcript: list[dict[str, str]]) -> Activity:
    """The handoff.initiate event activity, with the transcript attached as JSON."""
    incoming = turn_context.activity
    activities = [
        {"type": "message", "from": {"role": "bot" if item["role"] == "bot" else "user"}, "text": item["text"]}
        for item in transcript
    ]
    return Activity(
        type=ActivityTypes.event,
        name=HANDOFF_INITIATE,
        value=context,
        from_property=incoming.from_property,
        reply_to_id=incoming.id,
        relates_to=TurnContext.get_conversation_reference(incoming),
        attachments=[Attachment(content_type="application/json", name="Transcript",
                                content={"activities": activities})],
    )


class HandoffDialog(ComponentDialog):
    """Options: {"reason": ..., "feedback": {...}} from the flow that offered a person."""

    def __init__(self, bot_state: BotState) -> None:
        super().__init__(HandoffDialog.__name__)
        self._state = bot_state
        self.add_dialog(WaterfallDialog("handoff.steps", [self._hand_over]))
        self.initial_dialog_id = "handoff.steps"

    async def _hand_over(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        options = step.options or {}
        profile = await self._state.conversation(context)
        insights = get_insights(context)
        summary: dict[str, Any] = {
            "reason": options.get("reason", "user request"),
            "language": conversation_language(context),
            "requested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "messages": len(profile.transcript),
        }
        if options.get("feedback"):
            summary["feedback"] = options["feedback"]
        if insights is not None and insights.distressed:
            summary["reason"] = "distress"
            summary["priority"] = "urgent"
        handoff_context = {
            "summary": summary,
            "insights": insights_summary(insights) if insights is not None else profile.last_insights,
            "transcript": list(profile.transcript),
        }
        await context.send_activity(handoff_event(context, handoff_context, list(profile.transcript)))
        telemetry.record_handoff()
        text = t(
            context,
            "I've asked for a person to join this conversation and passed on a summary, so you won't have to "
            "repeat yourself. A person will reply here as soon as one is available; until then you can keep "
            "writing to me.",
        )
        if said_last(profile, text):  # asked again right away: say it in other words
            text = t(context, "I've already asked for a person, and I've passed on what you just wrote too. "
                              "They'll reply here as soon as they can.")
        await context.send_activity(MessageFactory.text(text))
        record_action(context, "handoff", said=fingerprint(text))
        return await step.end_dialog(summary)
