"""Analyze a text: an Adaptive Card with language, sentiment per sentence, a translation and the engines.

The pipeline has already analyzed the message that carries the text (the reply to
the prompt, or the one-shot "analyze: <text>"), so the card reads TurnInsights; only
the translation into the user's language is asked for on demand.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from adapters.contracts import TranslationResult
from dialogs.cards import analysis_card
from dialogs.choices import N_
from dialogs.insights import TurnInsights, conversation_language, get_insights, get_services
from dialogs.intents import Intent, keywords, normalize
from dialogs.interruptible import InterruptibleDialog
from dialogs.prompts import ListeningPrompt, text_prompt
from dialogs.why_dialog import record_action

MIN_CONFIDENCE = 0.5


def one_shot_text(text: str, languages: tuple[str, ...]) -> str | None:
    """The text after a leading analyze keyword and a colon ("analyze: I love it"), else None."""
    head, colon, rest = text.partition(":")
    if not colon:
        head, colon, rest = text.partition("：")
    if not colon or not rest.strip():
        return None
    words = {word for language in languages for word in keywords(language).get(Intent.ANALYZE, ())}
    return rest.strip() if normalize(head).strip() in words else None


async def translation_for_user(
    turn_context: TurnContext, text: str, insights: TurnInsights
) -> TranslationResult | None:
    """The text in the user's language, when it is written in another one (None when not needed)."""
    user_language = conversation_language(turn_context)
    detection = insights.language
    if detection is None or detection.language == user_language:
        return None
    services = get_services(turn_context)
    source = detection.language if detection.score >= MIN_CONFIDENCE else None
    if services is None:
        return TranslationResult(text, source or "", user_language, "none", translated=False)
    return await services.translate(text, to=user_language, source=source)


class AnalyzeDialog(InterruptibleDialog):
    """Options: {"text": ...} when the message already carried the text."""

    TASK = N_("analyzing a text")
    INTENT = Intent.ANALYZE

    def __init__(self) -> None:
        super().__init__(AnalyzeDialog.__name__)
        self.add_dialog(ListeningPrompt("analyze.text"))
        self.add_dialog(WaterfallDialog("analyze.steps", [self._ask, self._show]))
        self.initial_dialog_id = "analyze.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        text = (step.options or {}).get("text")
        if text:
            return await step.next(text)
        # The text to analyze is content (the card shows how it reads): no acknowledgement.
        prompt = text_prompt(step.context, N_("Send me the text you'd like me to analyze, in any language."))
        return await step.prompt("analyze.text", prompt)

    async def _show(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        text: str = step.result
        insights = get_insights(context)
        if insights is None:
            return await step.end_dialog()
        services = get_services(context)
        if text.strip() != insights.original_text.strip() and services is not None:
            insights = await services.analyze(text)  # "analyze: <text>": not the command itself
        translation = None
        if insights.analysis_enabled:
            translation = await translation_for_user(context, text, insights)
        reply = MessageFactory.attachment(analysis_card(context, text, insights, translation))
        await context.send_activity(reply)
        record_action(context, "analyze" if insights.analysis_enabled else "analyze_off")
        return await step.end_dialog()

