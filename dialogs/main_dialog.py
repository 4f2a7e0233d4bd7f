"""The main dialog: routes each new message to a feature by intent, in any supported language.

Intents are matched on the message as written (conversation language) and on its
working-language translation. Long free text only counts as a command when the
keyword opens it ("translate X to Y"), so "I hate how slow the translation is" is read
as what it is. Unrecognised text gets a short reading of its sentiment and the menu.
After every message turn it keeps the run of strongly negative turns and, when the run
is long enough, adds one gentle check-in (dialogs/checkin.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import ActivityTypes

from adapters.contracts import SentimentLabel
from adapters.scripts import has_cjk
from dialogs.analyze_dialog import AnalyzeDialog, one_shot_text
from dialogs.checkin import CHECKIN_ACTION, CheckinPolicy, Streak, next_streak, send_checkin
from dialogs.choices import (
    BACK_TO_MENU,
    join_lines,
    language_name,
    menu_intent,
    menu_titles,
    message_with_actions,
    recognition_languages,
    title_forms,
)
from dialogs.feedback_dialog import FeedbackDialog
from dialogs.handoff_dialog import HandoffDialog
from dialogs.i18n import t, verbatim
from dialogs.insights import LanguageDecision, TurnInsights, conversation_language, get_insights
from dialogs.intents import Intent, normalize, phrase_intent, recognize
from dialogs.interruptible import NEXT_HANDOFF, help_text, send_menu, send_safety_reply
from dialogs.language_dialog import LanguageDialog
from dialogs.privacy_dialog import PrivacyDialog, data_was_deleted
from dialogs.translate_dialog import TranslateDialog
from dialogs.why_dialog import (
    DECISIONS,
    WhyDialog,
    fingerprint,
    label_text,
    record_action,
    recorded_action,
    said_last,
)

if TYPE_CHECKING:
    from dialogs.state import BotState

COMMAND_WORDS = 5  # messages up to this many words may name a command anywhere
LEADING_WORDS = 3  # longer ones only in their first words
FEATURES: dict[Intent, str] = {
    Intent.ANALYZE: AnalyzeDialog.__name__,
    Intent.TRANSLATE: TranslateDialog.__name__,
    Intent.FEEDBACK: FeedbackDialog.__name__,
    Intent.LANGUAGE: LanguageDialog.__name__,
    Intent.PRIVACY: PrivacyDialog.__name__,
    Intent.HANDOFF: HandoffDialog.__name__,
    Intent.WHY: WhyDialog.__name__,
}
# Intents a multi-word phrase may name anywhere in a long message (not cancel/yes/no:
# "it was slow from the beginning" is feedback, not "start over").
PHRASE_INTENTS = (
    Intent.HELP, Intent.HANDOFF, Intent.PRIVACY, Intent.LANGUAGE, Intent.WHY,
    Intent.FEEDBACK, Intent.TRANSLATE, Intent.ANALYZE,  # "I'd like to give feedback about..."
)
# Replies that end with the offer of a person: a following "yes" starts the handoff, "no" a gentle answer.
PERSON_OFFERS = ("safety", CHECKIN_ACTION)


def find_intent(turn_context: TurnContext, insights: TurnInsights | None) -> Intent | None:
    """The command a new message asks for, in any supported language, or None."""
    text = turn_context.activity.text or ""
    exact = menu_intent(turn_context, text)
    if exact is not None:
        return exact
    languages = recognition_languages(turn_context)
    texts = [text] if insights is None or insights.text == text else [text, insights.text]
    for candidate in texts:
        intent = recognize(_command_part(candidate), languages)
        if intent is not None:
            return intent
    for candidate in texts:
        intent = phrase_intent(candidate, languages, PHRASE_INTENTS)
        if intent is not None:
            return intent
    return None


def _command_part(text: str) -> str:
    """The part of a message that may hold a command: all of a short one, the start of a long one."""
    if has_cjk(text):
        return text
    head = text.split(":", 1)[0] if ":" in text else text
    words = head.split()
    return head if len(words) <= COMMAND_WORDS else " ".join(words[:LEADING_WORDS])


class MainDialog(ComponentDialog):
    def __init__(
        self, bot_state: BotState, languages: tuple[str, ...], working_language: str,
        checkin: CheckinPolicy | None = None,
    ) -> None:
        super().__init__(MainDialog.__name__)
        self._state = bot_state
        self._checkin = checkin or CheckinPolicy()
        self._languages = languages
        self._working_language = working_language
        self.add_dialog(AnalyzeDialog())
        self.add_dialog(TranslateDialog(languages))
        self.add_dialog(FeedbackDialog(bot_state))
        self.add_dialog(LanguageDialog(bot_state, languages))
        self.add_dialog(PrivacyDialog(bot_state))
        self.add_dialog(HandoffDialog(bot_state))
        self.add_dialog(WhyDialog(bot_state))
        self.add_dialog(WaterfallDialog("main.steps", [self._route, self._after, self._finish]))
        self.initial_dialog_id = "main.steps"

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        result = await super().begin_dialog(dialog_context, options)
        await self._after_turn(dialog_context.context, result)
        return result

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        result = await super().continue_dialog(dialog_context)
        await self._after_turn(dialog_context.context, result)
        return result

    async def _after_turn(self, context: TurnContext, result: DialogTurnResult) -> None:
        """Keep the run of strongly negative turns; check in once when it reaches the window."""
        activity = context.activity
        if activity.type != ActivityTypes.message or not (activity.text or "").strip():
            return
        if data_was_deleted(context):
            return  # nothing is written back this turn
        profile = await self._state.conversation(context)
        action = (recorded_action(context) or {}).get("action", "")
        streak, check_in = next_streak(
            Streak(profile.negative_streak, profile.checked_in), get_insights(context), self._checkin,
            can_add=result.status != DialogTurnStatus.Waiting and action != "why",
            person_asked=action == "handoff",
        )
        if check_in:
            await send_checkin(context)
        profile.negative_streak, profile.checked_in = streak.turns, streak.checked_in

    async def _route(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        activity = context.activity
        if activity.type != ActivityTypes.message or not (activity.text or "").strip():
            return await step.end_dialog()
        insights = get_insights(context)
        profile = await self._state.conversation(context)
        if insights is not None and insights.distressed:
            await send_safety_reply(context)
            return await step.end_dialog()
        intent = find_intent(context, insights)
        offered = profile.last_action in PERSON_OFFERS
        if offered and intent in (None, Intent.YES) and self._is_reply(context, Intent.YES):
            intent = Intent.HANDOFF  # "yes" to the offer of a person
        if intent in FEATURES:
            options = self._options(intent, context, insights)
            if intent is Intent.HANDOFF and profile.last_action == CHECKIN_ACTION:
                options["reason"] = "check-in"  # tells the person this came after a run of heavy messages
            return await step.begin_dialog(FEATURES[intent], options)
        # Help, cancel and the reading of an unrecognised message would say the same thing when
        # asked twice in a row: the second time they say it in other words (see `said_last`).
        if intent is Intent.HELP:
            text = help_text(context)
            if said_last(profile, text):
                text = t(context, "That's everything I can do for now: tap one below, or tell me in your own words "
                                  "what you need.")
            await context.send_activity(message_with_actions(text, menu_titles(context)))
            record_action(context, "help", said=fingerprint(text))
            return await step.end_dialog()
        if intent in (Intent.CANCEL, Intent.START_OVER):
            text = t(context, "There's nothing to cancel. What would you like to do?")
            back = normalize(activity.text or "").strip(" .!?¡¿。！？") in title_forms(BACK_TO_MENU)
            if said_last(profile, text) or back:  # "Back to the menu" tapped after the flow ended
                text = t(context, "Okay. What would you like to do next?")
            await send_menu(context, text)
            record_action(context, str(intent), said=fingerprint(text))
            return await step.end_dialog()
        if intent is Intent.NO and offered:
            await send_menu(context, t(context, "Okay. I'm here whenever you want to talk, and you can ask "
                                                "for a person at any time."))
            record_action(context, "safety_declined")
            return await step.end_dialog()
        if (
            insights is not None and insights.ask_language
            and not profile.language_explicit and not profile.language_asked
        ):
            return await step.begin_dialog(LanguageDialog.__name__, {"mode": "confirm"})
        await self._reflect(context, insights, profile)
        return await step.end_dialog()

    async def _after(self, step: WaterfallStepContext) -> DialogTurnResult:
        result: Any = step.result
        if isinstance(result, dict) and result.get("next") == NEXT_HANDOFF:
            return await step.begin_dialog(HandoffDialog.__name__, {"reason": "user request"})
        if isinstance(result, dict) and result.get("next") in Intent._value2member_map_:
            intent = Intent(result["next"])
            if intent in FEATURES:
                options = self._options(intent, step.context, get_insights(step.context))
                return await step.begin_dialog(FEATURES[intent], options)
        return await step.next(None)

    async def _finish(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.end_dialog()

    def _is_reply(self, context: TurnContext, intent: Intent) -> bool:
        from dialogs.intents import is_exactly

        return is_exactly(context.activity.text or "", intent, recognition_languages(context))

    def _options(self, intent: Intent, context: TurnContext, insights: TurnInsights | None) -> dict[str, Any]:
        text = context.activity.text or ""
        if intent is Intent.ANALYZE:
            return {"text": one_shot_text(text, recognition_languages(context))}
        if intent in (Intent.TRANSLATE, Intent.LANGUAGE):
            return {"text": text}
        if intent is Intent.HANDOFF:
            return {"reason": "user request"}
        return {}

    async def _reflect(self, context: TurnContext, insights: TurnInsights | None, profile: Any) -> None:
        """A friendly reply that says briefly how the message read, then the menu."""
        lines: list[str] = []
        if insights is not None and not insights.analysis_enabled:
            lines.append(t(context, "Analysis is off for you, so I didn't analyze that."))
        elif insights is not None and insights.sentiment is not None:
            sentiment = insights.sentiment
            score = f"{sentiment.confidence:.2f}"
            label = label_text(context, str(sentiment.label))
            if insights.sentiment_uncertain:
                lines.append(t(context, "I'm not sure how you feel about that: it reads as {label} ({score}).",
                               label=label, score=score))
            elif sentiment.label is SentimentLabel.NEGATIVE:
                lines.append(t(context, "That sounds frustrating: I read it as {label} ({score}). If something "
                                        "went wrong, you can give feedback or talk to a person.",
                               label=label, score=score))
            elif sentiment.label is SentimentLabel.POSITIVE:
                lines.append(t(context, "Glad to hear it! I read that as {label} ({score}).",
                               label=label, score=score))
            else:
                lines.append(t(context, "I read that as {label} ({score}).", label=label, score=score))
            user_language = conversation_language(context)
            decided_by_detection = insights.language_decision in (
                LanguageDecision.DETECTED, LanguageDecision.SWITCHED
            )
            if insights.language is not None and decided_by_detection:
                name = verbatim(context, language_name(insights.language.language, user_language))
                lines.append(t(context, "Language: {language} ({score}).", language=name,
                               score=f"{insights.language.score:.2f}"))
            elif str(insights.language_decision) in DECISIONS:
                # "hello" or "ok": no guess worth showing, say why the language is what it is.
                name = verbatim(context, language_name(insights.user_language, user_language))
                lines.append(t(context, "Conversation language: {language}, {reason}.", language=name,
                               reason=t(context, DECISIONS[str(insights.language_decision)])))
        text = join_lines(context, [*lines, t(context, "Here is what I can do:")])
        if said_last(profile, text):  # the same reading twice in a row: end it differently
            text = join_lines(context, [*lines, t(context, "Pick anything below, or tell me more.")])
        await context.send_activity(message_with_actions(text, menu_titles(context)))
        record_action(context, "menu", said=fingerprint(text))
