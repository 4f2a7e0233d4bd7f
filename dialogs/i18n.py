"""The bot's own texts in every supported language, from gettext catalogs (Babel).

Dialogs write English source strings through `t(turn_context, "...")`. The catalog
for the conversation language (dialogs/locales/<lang>.po, written at development
time) gives the translation offline. Every text a dialog sends is registered for
the turn as either localized (from a catalog) or verbatim (user text, names, engine
output): the pipeline's translate-out step sends only the rest (English fallbacks)
to a real Translator, in one batched call.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po
from botbuilder.core import TurnContext

from dialogs.insights import conversation_language

LOCALES_DIR = Path(__file__).parent / "locales"
OUTGOING_KEY = "showcase.outgoing"
SOURCE_LANGUAGE = "en"


@dataclass
class OutgoingTexts:
    """Texts of this turn that must not be machine-translated on the way out."""

    localized: set[str] = field(default_factory=set)
    verbatim: set[str] = field(default_factory=set)

    def keeps(self, text: str) -> bool:
        return text in self.localized or text in self.verbatim


@functools.cache
def _catalog(language: str) -> dict[str, str]:
    """msgid -> msgstr for one language; empty when no catalog ships for it."""
    path = LOCALES_DIR / f"{language}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=None)
    return {
        message.id: message.string
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


@functools.cache
def _own_phrases(language: str) -> frozenset[str]:
    if language == SOURCE_LANGUAGE:  # the English source texts: every catalog's msgids
        texts = {text for path in LOCALES_DIR.glob("*.po") for text in _catalog(path.stem)}
    else:
        texts = set(_catalog(language).values())
    return frozenset(text.strip().casefold() for text in texts if "{" not in text)


def is_own_phrase(language: str, text: str) -> bool:
    """True when `text` is exactly one of the bot's own texts (e.g. a button) in `language`."""
    return text.strip().casefold() in _own_phrases(language)


def has_catalog(language: str) -> bool:
    return language == SOURCE_LANGUAGE or bool(_catalog(language))


def lookup(language: str, message: str) -> str | None:
    """The catalog translation of `message`, or None when the catalog lacks it."""
    if language == SOURCE_LANGUAGE:
        return message
    return _catalog(language).get(message)


def gettext(language: str, message: str, **params: object) -> str:
    """Localized and formatted text, falling back to the English source."""
    text = lookup(language, message) or message
    return text.format(**params) if params else text


def outgoing(turn_context: TurnContext) -> OutgoingTexts:
    texts = turn_context.turn_state.get(OUTGOING_KEY)
    if texts is None:
        texts = OutgoingTexts()
        turn_context.turn_state[OUTGOING_KEY] = texts
    return texts


def t(turn_context: TurnContext, message: str, **params: object) -> str:
    """The bot's own text in the conversation language; parameters are kept as written."""
    language = conversation_language(turn_context)
    localized = lookup(language, message)
    text = (localized or message).format(**params) if params else (localized or message)
    if localized is not None:
        outgoing(turn_context).localized.add(text)
    for value in params.values():
        outgoing(turn_context).verbatim.add(str(value))
    return text


def verbatim(turn_context: TurnContext, text: str) -> str:
    """Mark text that must reach the user exactly as written (user text, names, codes)."""
    outgoing(turn_context).verbatim.add(text)
    return text
