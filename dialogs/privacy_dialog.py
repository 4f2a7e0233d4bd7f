"""Privacy: what the bot stores about the user, opting out of (and back into) analysis, deleting it all.

After an opt-out the pipeline sends no text to any engine; only the local distress
check still runs, and nothing leaves the bot. Deletion asks for confirmation first. The
menu reads requests in the user's words ("yes, erase all of it" deletes, "die Analyse
bitte ausschalten" opts out; dialogs/prompts.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from adapters import telemetry
from dialogs.choices import (
    N_,
    join_lines,
    language_name,
    menu_titles,
    message_with_actions,
    option,
    yes_no_options,
)
from dialogs.i18n import t, verbatim
from dialogs.insights import conversation_language
from dialogs.intents import Intent
from dialogs.interruptible import InterruptibleDialog
from dialogs.prompts import ListeningPrompt, choice_prompt, yes_no_prompt
from dialogs.why_dialog import record_action

if TYPE_CHECKING:
    from dialogs.state import BotState

DELETED_KEY = "showcase.deleted"  # set for the turn after deletion: nothing may be saved again
OPT_OUT, OPT_IN, DELETE, DONE = "opt_out", "opt_in", "delete", "done"


def data_was_deleted(turn_context: TurnContext) -> bool:
    return bool(turn_context.turn_state.get(DELETED_KEY))


class PrivacyDialog(InterruptibleDialog):
    TASK = N_("your privacy settings")
    INTENT = Intent.PRIVACY

    def __init__(self, bot_state: BotState) -> None:
        super().__init__(PrivacyDialog.__name__)
        self._state = bot_state
        self.add_dialog(ListeningPrompt("privacy.choice"))
        self.add_dialog(WaterfallDialog("privacy.steps", [self._show, self._act, self._delete]))
        self.initial_dialog_id = "privacy.steps"

    async def _show(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        profile = await self._state.conversation(context)
        user = await self._state.user(context)
        current = conversation_language(context)
        language = verbatim(context, language_name(profile.language or current, current))
        status = t(context, "off") if user.analysis_opt_out else t(context, "on")
        lines = [
            t(context, "Here is what I store about you:"),
            t(context, "Your conversation language ({language}) and whether you chose it yourself.",
              language=language),
            t(context, "A summary of how I analyzed your last message (languages, scores, engines), "
                       "for \"why\"; not the message itself."),
            t(context, "The last {count} messages of this conversation, to pass on if you ask for a person.",
              count=len(profile.transcript)),
            t(context, "Your sentiment corrections ({corrections}) and feedback ({feedback}).",
              corrections=len(user.corrections), feedback=len(user.feedback)),
            t(context, "Whether analysis is on for you: it is {status}.", status=status),
        ]
        text = join_lines(context, [lines[0], join_lines(context, lines[1:], bullets=True)])
        await context.send_activity(MessageFactory.text(text))
        record_action(context, "privacy")
        if user.analysis_opt_out:
            toggle = option(context, OPT_IN, N_("Turn analysis back on"), answers=(OPT_IN,))
        else:
            toggle = option(context, OPT_OUT, N_("Opt out of analysis"), answers=(OPT_OUT,))
        options = [
            toggle,
            option(context, DELETE, N_("Delete my data"), answers=(DELETE,)),
            option(context, DONE, N_("Done"), answers=(DONE,), intents=(Intent.NO,)),
        ]
        return await step.prompt("privacy.choice", choice_prompt(context, N_("What would you like to do?"), options))

    async def _act(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        user = await self._state.user(context)
        choice = step.result
        if choice == OPT_OUT:
            user.analysis_opt_out = True
            record_action(context, "opt_out")
            telemetry.record_opt_out()
            text = t(context, "Done: from your next message on, I won't send what you write to any language, "
                              "sentiment or translation engine. A local check for words of distress still runs, "
                              "and nothing leaves the bot.")
            await context.send_activity(message_with_actions(text, menu_titles(context)))
            return await step.end_dialog(choice)
        if choice == OPT_IN:
            user.analysis_opt_out = False
            record_action(context, "opt_in")
            text = t(context, "Analysis is back on from your next message.")
            await context.send_activity(message_with_actions(text, menu_titles(context)))
            return await step.end_dialog(choice)
        if choice == DELETE:
            question = N_("This deletes your profile, your feedback and this conversation's history, "
                          "and cannot be undone. Delete everything?")
            return await step.prompt("privacy.choice", yes_no_prompt(context, question, yes_no_options(context)))
        await context.send_activity(message_with_actions(t(context, "Okay. What would you like to do next?"),
                                                         menu_titles(context)))
        return await step.end_dialog(choice)

    async def _delete(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        if step.result != "yes":
            await context.send_activity(MessageFactory.text(t(context, "Okay, I kept everything as it was.")))
            return await step.end_dialog(None)
        await self._state.delete_all(context)
        telemetry.record_deletion()
        context.turn_state[DELETED_KEY] = True
        text = t(context, "I've deleted everything I stored about you and this conversation. "
                          "If you write again, I'll start fresh.")
        await context.send_activity(MessageFactory.text(text))
        return await step.end_dialog(DELETE)
