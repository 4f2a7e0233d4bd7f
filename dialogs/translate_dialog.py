"""Translate a text into a chosen language: prompts for what is missing, or one shot.

One-shot forms: "translate X to Y", "traduce X al inglés", "ترجم X إلى Y", "XをYに翻訳して",
with the language named in any supported language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.choices import (
    N_,
    find_language,
    join_lines,
    language_name,
    language_options,
    menu_intent,
)
from dialogs.i18n import t, verbatim
from dialogs.insights import conversation_language, get_insights, get_services
from dialogs.intents import Intent
from dialogs.interruptible import InterruptibleDialog
from dialogs.prompts import ListeningPrompt, choice_prompt, text_prompt
from dialogs.why_dialog import record_action

# Verb at the start, then the text, then a connector and the language name.
_VERBS = (
    r"(?:please\s+)?(?:can you\s+)?translate|traduce(?:me)?|trad[uú]ceme|traducir|traduzca|"
    r"ترجم(?:ي|وا)?|ترجمة"
)
_CONNECTORS = r"to|into|in|al|a|en|إلى|الى|ل"
_LEADING = re.compile(rf"^\s*(?:{_VERBS})\b\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_JAPANESE = re.compile(r"^(?P<text>.+?)を(?P<lang>[^を]+?)に(?:翻訳|訳)")
_JAPANESE_VERB_FIRST = re.compile(r"^(?:翻訳|訳して)[:：\s]*(?P<text>.+)$")
_QUOTES = "\"'“”‘’«»「」『』"


@dataclass(frozen=True)
class TranslateRequest:
    text: str | None
    target: str | None


def parse_request(message: str, languages: tuple[str, ...]) -> TranslateRequest:
    """What a one-shot message already says: the text and/or the target language."""
    message = message.strip()
    japanese = _JAPANESE.search(message)
    if japanese:
        return TranslateRequest(_unquote(japanese["text"]), find_language(japanese["lang"], languages))
    verb_first = _JAPANESE_VERB_FIRST.match(message)
    if verb_first:
        return TranslateRequest(_unquote(verb_first["text"]), None)
    leading = _LEADING.match(message)
    if not leading:
        return TranslateRequest(None, None)
    rest = leading["rest"].strip().lstrip(":：").strip()
    if not rest:
        return TranslateRequest(None, None)
    # "to Spanish" alone: only the target.
    only_target = re.match(rf"(?:{_CONNECTORS})\s*(?P<lang>.+)", rest, re.IGNORECASE | re.DOTALL)
    target_name = only_target["lang"].rstrip(" \t\n.!?") if only_target else ""
    if target_name and _exact_language(target_name, languages):
        return TranslateRequest(None, _exact_language(target_name, languages))
    # The last connector whose remainder is a language name splits text and target.
    for match in reversed(list(re.finditer(rf"\s(?:{_CONNECTORS})\s*", rest, re.IGNORECASE))):
        target = _exact_language(rest[match.end():].strip(" .!?؟"), languages)
        if target:
            return TranslateRequest(_unquote(rest[: match.start()]), target)
    return TranslateRequest(_unquote(rest), None)


def _exact_language(name: str, languages: tuple[str, ...]) -> str | None:
    """A language when `name` is (nearly) only a language name: "Spanish", "el inglés", "الإنجليزية"."""
    cleaned = re.sub(r"^(?:el|la|the)\s+", "", name.strip(), flags=re.IGNORECASE)
    if len(cleaned.split()) > 3:
        return None
    return find_language(cleaned, languages)


def _unquote(text: str) -> str:
    return text.strip().strip(_QUOTES).strip()


class TranslateDialog(InterruptibleDialog):
    """Options: {"text": the message that started it}, parsed for a one-shot request."""

    TASK = N_("translating a text")
    INTENT = Intent.TRANSLATE

    def __init__(self, languages: tuple[str, ...]) -> None:
        super().__init__(TranslateDialog.__name__)
        self._languages = languages
        self.add_dialog(ListeningPrompt("translate.text"))
        self.add_dialog(ListeningPrompt("translate.target"))
        self.add_dialog(WaterfallDialog("translate.steps", [self._ask_text, self._ask_target, self._translate]))
        self.initial_dialog_id = "translate.steps"

    async def _ask_text(self, step: WaterfallStepContext) -> DialogTurnResult:
        message = (step.options or {}).get("text", "")
        # A tapped button ("翻訳する") is not a one-shot request to translate "する".
        is_button = menu_intent(step.context, message) is Intent.TRANSLATE
        request = TranslateRequest(None, None) if is_button else parse_request(message, self._languages)
        step.values["target"] = request.target
        step.values["source"] = None
        if request.text:
            return await step.next(request.text)
        # The text to translate is content, not the user's feelings: no acknowledgement.
        prompt = text_prompt(step.context, N_("What would you like me to translate?"))
        return await step.prompt("translate.text", prompt)

    async def _ask_target(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        step.values["text"] = step.result
        insights = get_insights(context)
        if insights is not None and insights.original_text == step.result and insights.language is not None:
            if insights.language.score >= 0.5:
                step.values["source"] = insights.language.language
        if step.values["target"]:
            return await step.next(step.values["target"])
        choices = language_options(context, self._languages)
        return await step.prompt("translate.target", choice_prompt(context, N_("Into which language?"), choices,
                                                                   languages="names"))

    async def _translate(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        target: str = step.result
        text: str = step.values["text"]
        services = get_services(context)
        name = verbatim(context, language_name(target, conversation_language(context)))
        header = t(context, "In {language}:", language=name)
        if services is None:
            await context.send_activity(MessageFactory.text(t(context, "Translation is not available right now.")))
            return await step.end_dialog()
        result = await services.translate(text, to=target, source=step.values["source"])
        lines = [header, verbatim(context, result.text)]
        if not result.translated:
            lines.append(t(context, "Not translated (offline): no translator is available, "
                                    "so this is the original text."))
        await context.send_activity(MessageFactory.text(join_lines(context, lines)))
        record_action(context, "translate", language=name)
        return await step.end_dialog()
