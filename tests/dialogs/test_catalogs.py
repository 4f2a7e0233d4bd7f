"""The bot's own texts: every msgid in every shipped catalog, placeholders intact, buttons recognised."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.pofile import read_po

from dialogs.choices import MENU, catalog_languages, menu_intent, parse_rating
from dialogs.i18n import LOCALES_DIR, gettext
from dialogs.intents import KEYWORDS_DIR, Intent, is_exactly, keywords
from tests.dialogs.catalog_tools import msgids

# Every shipped catalog but the English source one is checked, so a new language is too.
TRANSLATED = tuple(language for language in catalog_languages() if language != "en")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_the_source_catalog_lists_every_text_the_code_uses() -> None:
    assert set(msgids()) <= set(catalog("en"))


@pytest.mark.parametrize("language", TRANSLATED)
def test_translated_catalogs_are_complete_with_the_same_placeholders(language: str) -> None:
    entries = catalog(language)
    for msgid in msgids():
        assert entries.get(msgid), f"{language}.po lacks {msgid!r}"
        assert sorted(PLACEHOLDER.findall(entries[msgid])) == sorted(PLACEHOLDER.findall(msgid)), msgid


@pytest.mark.parametrize("language", [path.stem for path in sorted(KEYWORDS_DIR.glob("*.json"))])
def test_keyword_catalogs_name_only_known_intents(language: str) -> None:
    raw = json.loads((KEYWORDS_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert set(raw) == {intent.value for intent in Intent}


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_every_menu_button_is_recognised_in_its_language(language: str) -> None:
    for intent, title in MENU:
        assert menu_intent(None, gettext(language, title)) is intent  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_yes_no_and_not_now_buttons_are_keywords(language: str) -> None:
    assert is_exactly(gettext(language, "Yes"), Intent.YES, (language,))
    assert is_exactly(gettext(language, "No"), Intent.NO, (language,))
    assert is_exactly(gettext(language, "Not now"), Intent.NO, (language,))
    assert is_exactly(gettext(language, "Talk to a person"), Intent.HANDOFF, (language,)) or \
        menu_intent(None, gettext(language, "Talk to a person")) is Intent.HANDOFF  # type: ignore[arg-type]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_words_the_help_text_quotes_are_commands(language: str) -> None:
    help_line = gettext(language, "Write in any language I support; say \"cancel\" or \"start over\" at any time.")
    quoted = re.findall(r"[«「“„\"]([^»」”“\"]+)[»」”“\"]", help_line)
    assert len(quoted) == 2
    assert is_exactly(quoted[0], Intent.CANCEL, (language,))
    assert is_exactly(quoted[1], Intent.START_OVER, (language,))


def test_catalog_languages_ship_keywords_too() -> None:
    for language in catalog_languages():
        assert keywords(language), language


@pytest.mark.parametrize(
    ("text", "rating"),
    [("4", 4), ("٤", 4), ("４", 4), ("five", 5), ("cuatro", 4), ("ثلاثة", 3), ("三", 3), ("⭐⭐", 2), ("seis", None),
     ("quatre", 4), ("Fünf Sterne", 5), ("dört yıldız", 4), ("pięć", 5), ("четыре", 4), ("तीन", 3),
     ("다섯", 5), ("je ne sais pas", None)],
)
def test_ratings_in_any_script(text: str, rating: int | None) -> None:
    assert parse_rating(text) == rating
