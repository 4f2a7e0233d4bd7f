"""Localized choices: language names, options and suggested actions, the menu, and replies in any language.

botbuilder's ChoicePrompt and ConfirmPrompt know few cultures, so the bot's options
match a reply against the localized titles it showed, every catalog's titles, and the
intent keyword catalogs (dialogs/locales/keywords). The prompts that ask with these
options, and read free text before re-prompting, are in dialogs/prompts.py.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import ActionTypes, Activity, CardAction, SuggestedActions

from adapters.contracts import SUPPORTED_LANGUAGES
from adapters.scripts import has_cjk
from dialogs.answers import NUMBER_WORDS, parse_rating  # noqa: F401 (re-exported: imported from here before)
from dialogs.i18n import LOCALES_DIR, gettext, outgoing, t, verbatim
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
        if len(name) < 3 and name.isascii():
            continue  # codes only match as the whole message ("英語" is a name, "en" a code)
        if _contains(normalized, name) and (best is None or len(name) > best[0]):
            best = (len(name), code)
    return best[1] if best else None


def _contains(text: str, name: str) -> bool:
    if not name.isascii() and not any(char == " " for char in text):
        return name in text
    if has_cjk(name):
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
    """One choice: a stable value, its localized title, and what else selects it.

    `intents`: keyword intents that select it as the whole reply ("no" for "Done");
    `answers`: answer-catalog lists (dialogs/answers.py) that select it inside a sentence
    ("erase all of it" for "Delete my data"); `msgid`: the English source of the title,
    so the prompt can show it again in another language and recognise it in every catalog.
    """

    value: str
    title: str  # already localized (through t() or verbatim())
    synonyms: tuple[str, ...] = ()
    intents: tuple[Intent, ...] = ()
    answers: tuple[str, ...] = ()
    msgid: str = ""


def option(
    turn_context: TurnContext, value: str, msgid: str, *, answers: Iterable[str] = (), intents: Iterable[Intent] = ()
) -> Option:
    """An option titled by a catalog text (its msgid, in the conversation language)."""
    return Option(value, t(turn_context, msgid), (msgid,), tuple(intents), tuple(answers), msgid)


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
    for choice in options:
        names = {normalize(choice.title), normalize(choice.value), *(normalize(s) for s in choice.synonyms)}
        if normalized in names:
            return choice.value
    for choice in options:
        if any(is_exactly(text, intent, languages) for intent in choice.intents):
            return choice.value
    return None


def yes_no_options(turn_context: TurnContext) -> list[Option]:
    return [
        option(turn_context, "yes", N_("Yes"), answers=("yes",), intents=(Intent.YES,)),
        option(turn_context, "no", N_("No"), answers=("no",), intents=(Intent.NO,)),
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
    """The menu's titles (shown on most turns): `t()` of each, without building the options."""
    return [t(turn_context, title) for _, title in MENU]


# Buttons outside the menu that stand for a command: the way out a prompt offers after two misses.
BACK_TO_MENU = N_("Back to the menu")
BUTTONS: tuple[tuple[Intent, str], ...] = ((Intent.CANCEL, BACK_TO_MENU),)


def menu_intent(turn_context: TurnContext, text: str) -> Intent | None:
    """The menu entry (or command button) a reply names exactly, in any language with a catalog."""
    normalized = normalize(text).strip(" .!?¡¿。！？")
    for intent, title in (*MENU, *BUTTONS):
        if normalized in _title_forms(title):
            return intent
    return None


def title_forms(title: str) -> frozenset[str]:
    """A catalog title in English and in every language that ships a catalog, normalised."""
    return _title_forms(title)


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


def sentences(turn_context: TurnContext, parts: Sequence[str]) -> str:
    """Several sentences as one paragraph (no spaces between them in Chinese and Japanese)."""
    keep = outgoing(turn_context)
    language = conversation_language(turn_context)
    text = ("" if language in ("ja", "zh") else " ").join(part for part in parts if part)
    if all(keep.keeps(part) for part in parts if part):
        keep.localized.add(text)
    return text


def listing(turn_context: TurnContext, items: Sequence[str]) -> str:
    """Items one after another, separated as the conversation language writes lists."""
    separator = {"ja": "、", "zh": "、", "ar": "، "}.get(conversation_language(turn_context), ", ")
    text = separator.join(items)
    outgoing(turn_context).verbatim.add(text)
    return text


def join_lines(turn_context: TurnContext, lines: Sequence[str], *, bullets: bool = False) -> str:
    """One message from several texts; it stays untranslated on the way out only if every part is."""
    keep = outgoing(turn_context)
    text = "\n\n".join(f"• {line}" if bullets else line for line in lines)
    if all(keep.keeps(line) for line in lines):
        keep.localized.add(text)
    return text
