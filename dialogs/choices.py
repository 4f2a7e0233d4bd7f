"""Localized choices: language names, suggested actions, and prompts that recognise replies in any language.

botbuilder's ChoicePrompt and ConfirmPrompt know few cultures, so the bot's prompts
match a reply against the localized titles it showed, the English titles, and the
intent keyword catalogs (dialogs/locales/keywords) of the conversation language.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs.choices import Choice
from botbuilder.dialogs.prompts import Prompt, PromptOptions, PromptRecognizerResult, TextPrompt
from botbuilder.schema import ActionTypes, Activity, ActivityTypes, CardAction, SuggestedActions

from adapters.contracts import SUPPORTED_LANGUAGES
from dialogs.i18n import LOCALES_DIR, gettext, has_catalog, outgoing, t, verbatim
from dialogs.insights import conversation_language, get_insights
from dialogs.intents import KEYWORDS_DIR, Intent, is_exactly, normalize, word_pattern

WORKING_LANGUAGE = "en"


# --- languages and their names ------------------------------------------------------


@functools.cache
def language_name(language: str, in_language: str) -> str:
    """The name of `language` written in `in_language` ("es" in "en" -> "Spanish")."""
    try:
        name = Locale.parse(language).get_display_name(Locale.parse(in_language))
    except (UnknownLocaleError, ValueError):
        return language
    return name or language


def title_case(name: str) -> str:
    """Capitalise a language name for a button ("español" -> "Español")."""
    return name[:1].upper() + name[1:]


def autonym(language: str) -> str:
    """The language's own name for itself ("es" -> "Español")."""
    return language_name(language, language)


@functools.cache
def _name_index(languages: tuple[str, ...]) -> dict[str, str]:
    """Normalised language name (in every supported language, plus codes) -> code."""
    index: dict[str, str] = {}
    for code in languages:
        index[code] = code
        for display in SUPPORTED_LANGUAGES:
            index.setdefault(normalize(language_name(code, display)), code)
    return index


def find_language(text: str, languages: Sequence[str]) -> str | None:
    """A supported language named anywhere in `text` ("al inglés", "to Japanese", "日本語で")."""
    index = _name_index(tuple(languages))
    normalized = normalize(text)
    if normalized in index:
        return index[normalized]
    best: tuple[int, str] | None = None
    for name, code in index.items():
        if len(name) < 3:
            continue  # codes only match as the whole message
        if _contains(normalized, name) and (best is None or len(name) > best[0]):
            best = (len(name), code)
    return best[1] if best else None


def _contains(text: str, name: str) -> bool:
    if not name.isascii() and not any(char == " " for char in text):
        return name in text
    if re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", name):
        return name in text
    return word_pattern(name).search(text) is not None


# --- which languages to recognise a reply in -----------------------------------------


def recognition_languages(turn_context: TurnContext) -> tuple[str, ...]:
    """Languages to recognise a reply in: the likely ones first, then every keyword catalog.

    A reply that names a command in any supported language is that command: a user whose
    conversation just switched language may still click a button in the previous one.
    """
    languages = [conversation_language(turn_context)]
    insights = get_insights(turn_context)
    if insights is not None:
        languages.append(insights.user_language)
        if insights.language is not None:
            languages.append(insights.language.language)
        languages.append(insights.working_language)
    languages.append(WORKING_LANGUAGE)
    languages.extend(keyword_languages())
    return tuple(dict.fromkeys(languages))


@functools.cache
def keyword_languages() -> tuple[str, ...]:
    """Languages that ship a keyword catalog."""
    return tuple(sorted(path.stem for path in KEYWORDS_DIR.glob("*.json")))


# --- options, suggested actions, matching --------------------------------------------


@dataclass(frozen=True)
class Option:
    """One choice: a stable value, its localized title, and intents that also select it."""

    value: str
    title: str  # already localized (through t() or verbatim())
    synonyms: tuple[str, ...] = ()
    intents: tuple[Intent, ...] = ()


def suggested_actions(titles: Iterable[str]) -> SuggestedActions:
    return SuggestedActions(
        actions=[CardAction(type=ActionTypes.im_back, title=title, value=title) for title in titles]
    )


def message_with_actions(text: str, titles: Iterable[str]) -> Activity:
    activity = MessageFactory.text(text)
    activity.suggested_actions = suggested_actions(titles)
    return activity


def match_option(
    text: str, options: Sequence[Option], languages: tuple[str, ...]
) -> str | None:
    """The value of the option `text` selects: title, synonym or intent keyword."""
    normalized = normalize(text).strip(" .!?¡¿。！？")
    if not normalized:
        return None
    for option in options:
        names = {normalize(option.title), normalize(option.value), *(normalize(s) for s in option.synonyms)}
        if normalized in names:
            return option.value
    for option in options:
        if any(is_exactly(text, intent, languages) for intent in option.intents):
            return option.value
    return None


def yes_no_options(turn_context: TurnContext) -> list[Option]:
    return [
        Option("yes", t(turn_context, "Yes"), ("Yes",), (Intent.YES,)),
        Option("no", t(turn_context, "No"), ("No",), (Intent.NO,)),
    ]


def language_options(turn_context: TurnContext, languages: Sequence[str], *, autonyms: bool = False) -> list[Option]:
    """One option per language, titled in the user's language (or in its own)."""
    user_language = conversation_language(turn_context)
    options = []
    for code in languages:
        title = title_case(autonym(code) if autonyms else language_name(code, user_language))
        synonyms = (code, autonym(code), language_name(code, WORKING_LANGUAGE), language_name(code, user_language))
        options.append(Option(code, verbatim(turn_context, title), synonyms))
    return sorted(options, key=lambda option: option.title.casefold()) if not autonyms else options


# --- prompts ---------------------------------------------------------------------------


def choice_prompt_options(
    turn_context: TurnContext, text: str, options: Sequence[Option], retry_text: str | None = None
) -> PromptOptions:
    """PromptOptions for `LocalizedChoicePrompt`: suggested actions, and the options to match."""
    retry = retry_text or t(turn_context, "Please choose one of the options below.")
    titles = [option.title for option in options]
    return PromptOptions(
        prompt=message_with_actions(text, titles),
        retry_prompt=message_with_actions(retry, titles),
        choices=[Choice(value=option.value, synonyms=[option.title, *option.synonyms]) for option in options],
        validations={"intents": {option.value: [str(i) for i in option.intents] for option in options}},
    )


async def send_prompt(turn_context: TurnContext, options: PromptOptions, is_retry: bool) -> None:
    """Send a stored prompt (or its retry) again, keeping it out of machine translation.

    Prompts are built (and localized) on the turn that starts them; a retry or a reprompt
    after "help" sends the stored activity on a later turn, where it must count as localized
    again (languages without a catalog still go to the Translator).
    """
    activity = options.retry_prompt if is_retry and options.retry_prompt is not None else options.prompt
    if activity is None:
        return
    if has_catalog(conversation_language(turn_context)):
        keep = outgoing(turn_context)
        if activity.text:
            keep.localized.add(activity.text)
        for action in activity.suggested_actions.actions if activity.suggested_actions else []:
            keep.localized.add(action.title)
    await turn_context.send_activity(activity)


class LocalizedTextPrompt(TextPrompt):
    """botbuilder's TextPrompt, whose reprompts stay in the user's language."""

    async def on_prompt(
        self, turn_context: TurnContext, state: dict, options: PromptOptions, is_retry: bool
    ) -> None:
        await send_prompt(turn_context, options, is_retry)


class LocalizedPrompt(Prompt):
    """A prompt whose prompt and reprompts are sent in the user's language (see send_prompt)."""

    async def on_prompt(
        self, turn_context: TurnContext, state: dict, options: PromptOptions, is_retry: bool
    ) -> None:
        await send_prompt(turn_context, options, is_retry)


class LocalizedChoicePrompt(LocalizedPrompt):
    """A choice prompt that accepts a reply in any supported language; returns the option's value."""

    async def on_recognize(
        self, turn_context: TurnContext, state: dict, options: PromptOptions
    ) -> PromptRecognizerResult:
        result = PromptRecognizerResult()
        activity = turn_context.activity
        if activity.type != ActivityTypes.message or not activity.text:
            return result
        intents = (options.validations or {}).get("intents", {})
        candidates = [
            Option(
                choice.value,
                (choice.synonyms or [choice.value])[0],
                tuple(choice.synonyms or ()),
                tuple(Intent(name) for name in intents.get(choice.value, ())),
            )
            for choice in options.choices or []
        ]
        value = match_option(activity.text, candidates, recognition_languages(turn_context))
        if value is None:
            insights = get_insights(turn_context)
            if insights is not None and insights.text != activity.text:
                value = match_option(insights.text, candidates, recognition_languages(turn_context))
        if value is not None:
            result.succeeded = True
            result.value = value
        return result


# --- ratings ---------------------------------------------------------------------------

NUMBER_WORDS: dict[str, int] = {
    # en, es, ar, ja: number words a user may type instead of a digit.
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "واحد": 1, "اثنان": 2, "اثنين": 2, "ثلاثة": 3, "أربعة": 4, "اربعة": 4, "خمسة": 5,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
    "いち": 1, "に": 2, "さん": 3, "よん": 4, "ご": 5,
    # Other catalog languages. Words that are also common short words elsewhere
    # (Danish "en"/"to"/"fire", Dutch "een", Portuguese "um", Swedish "ett", Italian "hai")
    # are left out: a digit always works.
    "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "funf": 5,
    "due": 2, "tre": 3, "quattro": 4, "cinque": 5,
    "jedna": 1, "dva": 2, "tři": 3, "čtyři": 4, "pět": 5,
    "ένα": 1, "δύο": 2, "τρία": 3, "τέσσερα": 4, "πέντε": 5,
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "אחת": 1, "שתיים": 2, "שלוש": 3, "ארבע": 4, "חמש": 5,
    "एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पाँच": 5, "पांच": 5,
    "하나": 1, "둘": 2, "셋": 3, "넷": 4, "다섯": 5,
    "twee": 2, "drie": 3, "vijf": 5,
    "jeden": 1, "dwa": 2, "trzy": 3, "cztery": 4, "pięć": 5,
    "dois": 2, "duas": 2, "três": 3, "quatro": 4,
    "unu": 1, "doi": 2, "trei": 3, "patru": 4, "cinci": 5,
    "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5,
    "två": 2, "fyra": 4, "fem": 5,
    "bir": 1, "iki": 2, "üç": 3, "dört": 4, "beş": 5,
    "чотири": 4, "п'ять": 5, "пʼять": 5,
    "một": 1, "bốn": 4,
    "两": 2,
}


def parse_rating(text: str) -> int | None:
    """A number in the text (any script's digits, a number word, or stars), else None."""
    cleaned = text.strip()
    stars = cleaned.count("⭐") + cleaned.count("★")
    if stars:
        return stars
    digits = "".join(str(unicodedata.decimal(char)) for char in cleaned if unicodedata.decimal(char, None) is not None)
    if digits:
        # A rating is a small number; a long digit run is not one (and int() refuses 4,300+ digits).
        return int(digits) if len(digits) <= 6 else None
    normalized = normalize(cleaned).strip(" .!?。！？")
    words = _normalized_number_words()
    for word in re.split(r"[\s/]+", normalized):
        word = word.removesuffix("つ")
        if word in words:
            return words[word]
    return words.get(normalized)


@functools.cache
def _normalized_number_words() -> dict[str, int]:
    """NUMBER_WORDS as `normalize` writes them ("dört" -> "dort"), matching user text."""
    return {normalize(word): value for word, value in NUMBER_WORDS.items()}


class RatingPrompt(LocalizedPrompt):
    """Asks for a 1-5 rating; reprompts, in the user's language, until it gets one."""

    async def on_recognize(
        self, turn_context: TurnContext, state: dict, options: PromptOptions
    ) -> PromptRecognizerResult:
        result = PromptRecognizerResult()
        rating = parse_rating(turn_context.activity.text or "")
        if rating is not None and 1 <= rating <= 5:
            result.succeeded = True
            result.value = rating
        return result


def rating_prompt_options(turn_context: TurnContext, text: str) -> PromptOptions:
    titles = [verbatim(turn_context, str(n)) for n in range(1, 6)]
    retry = t(turn_context, "Please answer with a number from 1 to 5.")
    return PromptOptions(prompt=message_with_actions(text, titles), retry_prompt=message_with_actions(retry, titles))


# --- the main menu ---------------------------------------------------------------------


def N_(message: str) -> str:
    """Mark an English source text for the catalogs; `t()` translates it where it is shown."""
    return message


MENU: tuple[tuple[Intent, str], ...] = (
    (Intent.ANALYZE, N_("Analyze a text")),
    (Intent.TRANSLATE, N_("Translate")),
    (Intent.FEEDBACK, N_("Give feedback")),
    (Intent.LANGUAGE, N_("Language")),
    (Intent.PRIVACY, N_("Privacy")),
    (Intent.HANDOFF, N_("Talk to a person")),
    (Intent.HELP, N_("Help")),
)


def menu_options(turn_context: TurnContext) -> list[Option]:
    return [Option(intent.value, t(turn_context, title), (title,), (intent,)) for intent, title in MENU]


def menu_titles(turn_context: TurnContext) -> list[str]:
    return [option.title for option in menu_options(turn_context)]


def menu_intent(turn_context: TurnContext, text: str) -> Intent | None:
    """The menu entry a reply names exactly, in any language with a catalog (a clicked button)."""
    normalized = normalize(text).strip(" .!?¡¿。！？")
    for intent, title in MENU:
        if normalized in _title_forms(title):
            return intent
    return None


@functools.cache
def _title_forms(title: str) -> frozenset[str]:
    """A menu title in English and in every language that ships a catalog, normalised."""
    forms = {normalize(title)}
    for language in (*keyword_languages(), *catalog_languages()):
        forms.add(normalize(gettext(language, title)))
    return frozenset(forms)


@functools.cache
def catalog_languages() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in LOCALES_DIR.glob("*.po")))


def join_lines(turn_context: TurnContext, lines: Sequence[str], *, bullets: bool = False) -> str:
    """One message from several texts; it stays untranslated on the way out only if every part is."""
    keep = outgoing(turn_context)
    text = "\n\n".join(f"• {line}" if bullets else line for line in lines)
    if all(keep.keeps(line) for line in lines):
        keep.localized.add(text)
    return text
