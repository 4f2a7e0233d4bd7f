"""The feedback flow, whose branches follow sentiment; it ends with a summary card.

negative -> acknowledge, ask what went wrong, offer a person; positive -> thank, ask a
1-5 rating; mixed, neutral or low confidence -> ask how the user feels and record the
correction. Every question reads free text (dialogs/prompts.py): "I am really upset about
it" answers "how do you feel?", "four stars" or "muy bueno" (asked back) the rating. A
distress message at any step is handled by the safety override instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from adapters import telemetry
from adapters.contracts import SentimentLabel
from dialogs.cards import feedback_card
from dialogs.choices import N_, option, yes_no_options
from dialogs.handoff_dialog import HandoffDialog
from dialogs.insights import get_insights
from dialogs.intents import Intent
from dialogs.interruptible import InterruptibleDialog
from dialogs.prompts import ListeningPrompt, choice_prompt, rating_prompt, text_prompt, yes_no_prompt
from dialogs.why_dialog import record_action

if TYPE_CHECKING:
    from dialogs.state import BotState

POSITIVE, NEGATIVE, MIXED = "positive", "negative", "mixed"


class FeedbackDialog(InterruptibleDialog):
    TASK = N_("giving feedback")
    INTENT = Intent.FEEDBACK

    def __init__(self, bot_state: BotState) -> None:
        super().__init__(FeedbackDialog.__name__)
        self._state = bot_state
        self.add_dialog(ListeningPrompt("feedback.text"))
        self.add_dialog(ListeningPrompt("feedback.choice"))
        self.add_dialog(ListeningPrompt("feedback.rating"))
        self.add_dialog(HandoffDialog(bot_state))
        self.add_dialog(
            WaterfallDialog(
                "feedback.steps",
                [self._ask, self._classify, self._branch, self._follow_up, self._offer_handoff, self._summary],
            )
        )
        self.initial_dialog_id = "feedback.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        # No acknowledgement here: the next step answers negative feedback with one of its own.
        prompt = text_prompt(step.context, N_("How was your experience? Tell me in your own words."))
        return await step.prompt("feedback.text", prompt)

    async def _classify(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        summary: dict[str, Any] = {"comment": step.result, "corrected": False}
        step.values["summary"] = summary
        insights = get_insights(context)
        sentiment = insights.sentiment if insights is not None else None
        if sentiment is not None:
            summary["detected"] = {
                "label": str(sentiment.label), "score": round(sentiment.confidence, 3), "engine": sentiment.engine
            }
        sure = insights is not None and sentiment is not None and not insights.sentiment_uncertain
        if sure and sentiment.label in (SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE):
            return await step.next(str(sentiment.label))
        step.values["confirming"] = True
        record_action(context, "feedback_confirm")
        options = [
            option(context, POSITIVE, N_("Mostly positive"), answers=(POSITIVE,)),
            option(context, NEGATIVE, N_("Mostly negative"), answers=(NEGATIVE,)),
            option(context, MIXED, N_("A bit of both"), answers=(MIXED,)),
        ]
        question = N_("I'm not sure I read that right. How do you feel overall?")
        return await step.prompt("feedback.choice", choice_prompt(context, question, options, feelings=True,
                                                                  acknowledge=False, best="feeling"))

    async def _branch(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        feeling: str = step.result
        summary = step.values["summary"]
        summary["feeling"] = feeling
        if step.values.get("confirming"):
            await self._record_correction(step, feeling)
        if feeling == POSITIVE:
            record_action(context, "feedback_positive")
            question = N_("Thank you, I'm glad to hear it! How would you rate your experience from 1 to 5?")
            return await step.prompt("feedback.rating", rating_prompt(context, question))
        if feeling == NEGATIVE:
            record_action(context, "feedback_negative")
            question = N_("I'm sorry it didn't go well, and thank you for telling me. What went wrong?")
        else:
            question = N_("Thanks for being honest. What could have been better?")
        return await step.prompt("feedback.text", text_prompt(context, question, acknowledge=True))

    async def _follow_up(self, step: WaterfallStepContext) -> DialogTurnResult:
        summary = step.values["summary"]
        if summary["feeling"] == POSITIVE:
            summary["rating"] = step.result
            return await step.next(None)
        summary["details"] = step.result
        if summary["feeling"] == NEGATIVE:
            question = N_("Would you like me to bring in a person to help with this?")
            return await step.prompt("feedback.choice", yes_no_prompt(step.context, question,
                                                                      yes_no_options(step.context)))
        return await step.next(None)

    async def _offer_handoff(self, step: WaterfallStepContext) -> DialogTurnResult:
        summary = step.values["summary"]
        if step.result == "yes":
            summary["handoff"] = True
            return await step.begin_dialog(HandoffDialog.__name__, {"reason": "negative feedback",
                                                                   "feedback": dict(summary)})
        return await step.next(None)

    async def _summary(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        summary = step.values["summary"]
        user = await self._state.user(context)
        user.add_feedback(dict(summary))  # newest FEEDBACK_LIMIT, texts clipped
        await context.send_activity(MessageFactory.attachment(feedback_card(context, summary)))
        record_action(context, "feedback_done")
        return await step.end_dialog(summary)

    async def _record_correction(self, step: WaterfallStepContext, feeling: str) -> None:
        summary = step.values["summary"]
        detected = summary.get("detected")
        user = await self._state.user(step.context)
        user.add_correction(  # newest CORRECTIONS_LIMIT
            {
                "detected": detected["label"] if detected else None,
                "score": detected["score"] if detected else None,
                "engine": detected["engine"] if detected else None,
                "corrected": feeling,
            }
        )
        summary["corrected"] = detected is None or detected["label"] != feeling
        telemetry.record_correction(feeling, changed=summary["corrected"])

