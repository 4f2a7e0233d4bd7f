"""Show and change the conversation language, and the ask-once prompt when detection is unsure.

An explicit choice (here, a one-shot "speak Spanish", or the setLanguage event) always
wins over detection: it sets ConversationProfile.language_explicit. The questions read a
language named in a sentence ("I'd like to switch to Spanish please"); after two misses
the bot keeps the language it speaks and says so (dialogs/prompts.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.choices import (
    N_,
    autonym,
    find_language,
    language_name,
    language_options,
    menu_titles,
    message_with_actions,
    option,
)
from dialogs.i18n import t, verbatim
from dialogs.insights import LANGUAGE_KEY, conversation_language, get_insights
from dialogs.intents import Intent
from dialogs.interruptible import InterruptibleDialog
from dialogs.prompts import ListeningPrompt, choice_prompt, moved_on
from dialogs.why_dialog import record_action

if TYPE_CHECKING:
    from dialogs.state import BotState

OTHER = "other"
MAX_CANDIDATES = 4


async def set_language(turn_context: TurnContext, bot_state: BotState, language: str) -> None:
    """Make `language` the conversation language by the user's choice, and say so in it."""
    profile = await bot_state.conversation(turn_context)
    profile.language = language
    profile.language_explicit = True
    profile.language_asked = True
    turn_context.turn_state[LANGUAGE_KEY] = language
    text = t(turn_context, "From now on I'll speak {language}. What would you like to do?",
             language=autonym(language))
    await turn_context.send_activity(message_with_actions(text, menu_titles(turn_context)))
    record_action(turn_context, "language_set", language=autonym(language))


class LanguageDialog(InterruptibleDialog):
    """Options: {"mode": "confirm"} for the unsure prompt, or {"text": message} for "speak Spanish"."""

    TASK = N_("choosing a language")
    INTENT = Intent.LANGUAGE

    def __init__(self, bot_state: BotState, languages: tuple[str, ...]) -> None:
        super().__init__(LanguageDialog.__name__)
        self._state = bot_state
        self._languages = languages
        self.add_dialog(ListeningPrompt("language.choice"))
        self.add_dialog(WaterfallDialog("language.steps", [self._ask, self._other, self._apply]))
        self.initial_dialog_id = "language.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        options = step.options or {}
        if options.get("mode") == "confirm":
            profile = await self._state.conversation(context)
            profile.language_asked = True
            # The question is asked in the best guess: keep speaking it until the user answers.
            profile.language = profile.language or conversation_language(context)
            record_action(context, "language_asked")
            candidates = self._candidates(context)
            choices = language_options(context, candidates, autonyms=True)
            choices.append(option(context, OTHER, N_("Another language"), answers=(OTHER,)))
            question = N_("I'm not sure which language you are writing in. Which one should I use?")
            return await step.prompt("language.choice", choice_prompt(context, question, choices,
                                                                      languages="autonyms", detect=True, best="keep"))
        named = find_language(options.get("text", ""), self._languages)
        if named:
            return await step.next(named)
        current = conversation_language(context)
        record_action(context, "language_shown")
        question = N_("We are speaking {language}. Which language would you like?")
        return await step.prompt("language.choice", self._all(context, question,
                                                              language=verbatim(context, language_name(current, current))))

    async def _other(self, step: WaterfallStepContext) -> DialogTurnResult:
        if moved_on(step.context):  # the prompt kept the language after two misses, and said so
            return await step.end_dialog(None)
        if step.result == OTHER:
            return await step.prompt("language.choice", self._all(step.context, N_("Which language would you like?")))
        return await step.next(step.result)

    async def _apply(self, step: WaterfallStepContext) -> DialogTurnResult:
        if moved_on(step.context):
            return await step.end_dialog(None)
        await set_language(step.context, self._state, step.result)
        return await step.end_dialog(step.result)

    def _all(self, context: TurnContext, question: str, **params: str):
        options = language_options(context, self._languages)
        return choice_prompt(context, question, options, params=params, languages="names", best="keep")

    def _candidates(self, context: TurnContext) -> list[str]:
        """The likely languages: the guess, the engine's alternatives, then the working language."""
        insights = get_insights(context)
        ranked: list[str] = [conversation_language(context)]
        if insights is not None:
            ranked.append(insights.user_language)
            if insights.language is not None:
                ranked.append(insights.language.language)
                ranked.extend(c.language for c in insights.language.alternatives)
                if insights.language.second_opinion is not None:
                    ranked.append(insights.language.second_opinion.language)
            ranked.append(insights.working_language)
        known = [code for code in dict.fromkeys(ranked) if code in self._languages]
        return known[:MAX_CANDIDATES]
