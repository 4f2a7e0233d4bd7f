"""The CancelAndHelp-style base every multi-turn dialog extends, and the safety override.

Before any step of a dialog sees a reply: distress language ends the flow with a
supportive reply, crisis-line guidance and a handoff offer (never read as feedback);
a reply that is exactly "help", "cancel", "start over" or "talk to a person" (in any
supported language) is handled as such, and one that is exactly another feature's
command or button (say "Privacy" while choosing a language) switches to that feature. Longer texts that merely contain those words
are answers, not commands, so "cancel my order, it's broken" stays feedback. A prompt
(dialogs/prompts.py) that finds a request for help or a person inside a longer reply
("can I talk to a real person about this") hands it here, and it is acted on the same way.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import ComponentDialog, DialogContext, DialogTurnResult, DialogTurnStatus
from botbuilder.schema import ActivityTypes

from adapters import telemetry
from dialogs.choices import (
    N_,
    join_lines,
    menu_intent,
    menu_titles,
    message_with_actions,
    recognition_languages,
)
from dialogs.i18n import t
from dialogs.insights import get_insights
from dialogs.intents import Intent, is_exactly
from dialogs.prompts import REQUEST_KEY
from dialogs.why_dialog import record_action

# What a finished (or interrupted) child dialog asks the main dialog to do next.
NEXT_HANDOFF = "handoff"
# Features a reply may switch to mid-dialog when it is exactly their command or button.
SWITCHES = (Intent.ANALYZE, Intent.TRANSLATE, Intent.FEEDBACK, Intent.LANGUAGE, Intent.PRIVACY, Intent.WHY)


async def send_safety_reply(turn_context: TurnContext) -> None:
    """Support first: a kind reply, where to find help now, and the offer of a person.

    A worried friend or parent ("my son says he wants to die") gets how to help someone,
    with the same resources, instead of words meant for the person at risk.
    """
    insights = get_insights(turn_context)
    telemetry.record_safety_reply(insights and insights.safety and insights.safety.category,
                                  insights and insights.user_language)
    if insights is not None and insights.safety is not None and insights.safety.about_someone_else:
        await _send_third_party_reply(turn_context)
        return
    support = t(
        turn_context,
        "I'm really sorry you're going through this. You don't have to face it alone, and I'm glad you told me.",
    )
    resources = t(
        turn_context,
        "If you are in danger or thinking about harming yourself, please contact your local emergency "
        "services now, or reach out to a crisis line. For example, in the US you can call or text 988, and "
        "in the UK and Ireland you can call Samaritans on 116 123. Elsewhere, findahelpline.com lists free, "
        "confidential helplines in your country.",
    )
    await turn_context.send_activity(MessageFactory.text(join_lines(turn_context, [support, resources])))
    offer = t(turn_context, "Would you like me to connect you with a person?")
    titles = [t(turn_context, "Talk to a person"), t(turn_context, "Not now")]
    await turn_context.send_activity(message_with_actions(offer, titles))
    record_action(turn_context, "safety")


async def _send_third_party_reply(turn_context: TurnContext) -> None:
    advice = t(
        turn_context,
        "Thank you for looking out for them. If they might be in danger right now, call your local emergency "
        "number and stay with them if you can. Listen without judging, take what they say seriously, and "
        "help them reach a crisis line: for example 988 in the US, Samaritans on 116 123 in the UK and "
        "Ireland, or findahelpline.com elsewhere. Please look after yourself too.",
    )
    await turn_context.send_activity(MessageFactory.text(advice))
    offer = t(turn_context, "Would you like me to connect you with a person?")
    titles = [t(turn_context, "Talk to a person"), t(turn_context, "Not now")]
    await turn_context.send_activity(message_with_actions(offer, titles))
    record_action(turn_context, "safety")


async def send_menu(turn_context: TurnContext, text: str) -> None:
    await turn_context.send_activity(message_with_actions(text, menu_titles(turn_context)))


def help_text(turn_context: TurnContext) -> str:
    lines = [
        t(turn_context, "Here is what I can do:"),
        t(turn_context, "Analyze a text: language, sentiment per sentence and a translation, in a card."),
        t(turn_context, "Translate a text into any of my languages."),
        t(turn_context, "Give feedback: tell me how it went, in your own words."),
        t(turn_context, "Language: see or change the language we speak."),
        t(turn_context, "Privacy: what I store, opt out of analysis, delete your data."),
        t(turn_context, "Talk to a person: I hand the conversation over with a summary."),
        t(turn_context, "Why: ask me why I did what I did on your last message."),
        t(turn_context, "Write in any language I support; say \"cancel\" or \"start over\" at any time."),
    ]
    return join_lines(turn_context, lines)


def is_command(turn_context: TurnContext, intent: Intent) -> bool:
    """True when the whole reply (as written or translated) is this command."""
    activity = turn_context.activity
    languages = recognition_languages(turn_context)
    insights = get_insights(turn_context)
    texts = {activity.text or ""}
    if insights is not None:
        texts.add(insights.text)
    if any(is_exactly(text, intent, languages) for text in texts):
        return True
    return menu_intent(turn_context, activity.text or "") is intent


class InterruptibleDialog(ComponentDialog):
    """A component dialog with global interruptions: safety, help, cancel, start over, handoff."""

    # What the user is doing, for the help text (an English source text for t()).
    TASK = N_("this task")
    # The feature this dialog is (a reply naming it again is an answer, not a switch).
    INTENT: Intent | None = None

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        result = await self.interrupt(inner_dc)
        if result is not None:
            return result
        result = await super().on_continue_dialog(inner_dc)
        request = inner_dc.context.turn_state.pop(REQUEST_KEY, None)
        if request is not None:  # asked for inside a longer reply to a prompt
            return await self.act_on(inner_dc, Intent(request))
        return result

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        context = inner_dc.context
        if context.activity.type != ActivityTypes.message:
            return None
        insights = get_insights(context)
        if insights is not None and insights.distressed:
            await send_safety_reply(context)
            await inner_dc.cancel_all_dialogs()
            return DialogTurnResult(DialogTurnStatus.Complete, {"interrupted": "safety"})
        for intent in (Intent.CANCEL, Intent.START_OVER, Intent.HELP, Intent.HANDOFF):
            if is_command(context, intent):
                return await self.act_on(inner_dc, intent)
        for intent in SWITCHES:
            if intent is not self.INTENT and is_command(context, intent):
                return await self.act_on(inner_dc, intent)
        return None

    async def act_on(self, inner_dc: DialogContext, intent: Intent) -> DialogTurnResult:
        """Cancel, start over, help (then the question again), a person, or another feature."""
        context = inner_dc.context
        if intent is Intent.CANCEL:
            await inner_dc.cancel_all_dialogs()
            await send_menu(context, t(context, "Okay, I've cancelled that. What would you like to do next?"))
            record_action(context, "cancel")
            return DialogTurnResult(DialogTurnStatus.Complete, {"interrupted": "cancel"})
        if intent is Intent.START_OVER:
            await inner_dc.cancel_all_dialogs()
            await send_menu(context, t(context, "Let's start over. What would you like to do?"))
            record_action(context, "start_over")
            return DialogTurnResult(DialogTurnStatus.Complete, {"interrupted": "start_over"})
        if intent is Intent.HELP:
            task = t(context, self.TASK)
            note = t(
                context,
                "We are in the middle of {task}. Answer my last question, or say \"cancel\" to stop.",
                task=task,
            )
            await context.send_activity(MessageFactory.text(join_lines(context, [help_text(context), note])))
            record_action(context, "help")
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        await inner_dc.cancel_all_dialogs()
        if intent is Intent.HANDOFF:
            return DialogTurnResult(DialogTurnStatus.Complete, {"next": NEXT_HANDOFF})
        return DialogTurnResult(DialogTurnStatus.Complete, {"next": str(intent)})
