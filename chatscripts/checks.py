"""The assertions a `bot:` line (or a transcript's bot activity) makes about one activity."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def normalise(text: str | None) -> str:
    """Whitespace runs collapse to one space, ends stripped: scripts compare forgivingly."""
    return " ".join((text or "").split())


def shorten(text: str, width: int = 60) -> str:
    text = normalise(text)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class TextMatcher:
    """Exact (whitespace-forgiving) text, or a regular expression searched in the text."""

    exact: str | None = None
    pattern: re.Pattern[str] | None = None

    def matches(self, text: str | None) -> bool:
        if self.pattern is not None:  # searched in the text as displayed: whitespace runs are one space
            return self.pattern.search(normalise(text)) is not None
        return normalise(text) == normalise(self.exact)

    def describe(self) -> str:
        if self.pattern is not None:
            flags = "i" if self.pattern.flags & re.IGNORECASE else ""
            return f"~ /{self.pattern.pattern}/{flags}"
        return f'"{normalise(self.exact)}"'


@dataclass(frozen=True)
class TypeCheck:
    """The activity is of this type (message unless said otherwise)."""

    type: str = "message"

    def describe(self) -> str:
        return self.type

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        actual = activity.get("type")
        return None if actual == self.type else f"type: expected {self.type}, got {actual}"


@dataclass(frozen=True)
class TextCheck:
    matcher: TextMatcher

    def describe(self) -> str:
        return self.matcher.describe() if self.matcher.pattern is not None else self.matcher.exact or ""

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        text = activity.get("text")
        if self.matcher.matches(text):
            return None
        return f"text: expected {self.matcher.describe()}, got {_quote(text)}"


@dataclass(frozen=True)
class CardCheck:
    """An attachment is a card whose title (an Adaptive Card's first TextBlock) matches."""

    title: TextMatcher | None = None

    def describe(self) -> str:
        return "card" if self.title is None else f"card {self.title.describe()}"

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        titles = card_titles(activity)
        if not titles:
            return "card: expected a card, got no card attachment"
        if self.title is None or any(self.title.matches(title) for title in titles):
            return None
        shown = ", ".join(_quote(title) for title in titles)
        return f"card title: expected {self.title.describe()}, got {shown}"


@dataclass(frozen=True)
class SuggestedCheck:
    """The suggested actions include every listed title (others may be there too)."""

    titles: tuple[str, ...]

    def describe(self) -> str:
        return "suggested " + ", ".join(f'"{title}"' for title in self.titles)

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        actual = suggested_titles(activity)
        missing = [t for t in self.titles if normalise(t) not in {normalise(a) for a in actual}]
        if not missing:
            return None
        shown = ", ".join(f'"{title}"' for title in actual) or "none"
        return f"suggested actions: missing {', '.join(repr(m) for m in missing)}; got {shown}"


@dataclass(frozen=True)
class EventCheck:
    """An event activity with this name (e.g. handoff.initiate)."""

    name: str

    def describe(self) -> str:
        return f"event {self.name}"

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        if activity.get("type") == "event" and activity.get("name") == self.name:
            return None
        got = f"event {activity.get('name')}" if activity.get("type") == "event" else activity.get("type")
        return f"expected event {self.name}, got {got}"


@dataclass(frozen=True)
class AttachmentTypesCheck:
    """Attachments' content types, in order (what a transcript compares)."""

    content_types: tuple[str, ...]

    def describe(self) -> str:
        return "attachments " + ", ".join(self.content_types) if self.content_types else "no attachments"

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        actual = attachment_types(activity)
        if actual == self.content_types:
            return None
        return f"attachments: expected {list(self.content_types)}, got {list(actual)}"


def attachment_types(activity: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(a.get("contentType", "")) for a in activity.get("attachments") or () if isinstance(a, dict))


def suggested_titles(activity: dict[str, Any]) -> list[str]:
    actions = (activity.get("suggestedActions") or {}).get("actions") or []
    return [str(a.get("title") or a.get("value") or "") for a in actions if isinstance(a, dict)]


def card_titles(activity: dict[str, Any]) -> list[str]:
    """Each card attachment's title: an Adaptive Card's first TextBlock, a hero card's title."""
    titles = []
    for attachment in activity.get("attachments") or ():
        if not isinstance(attachment, dict) or not isinstance(attachment.get("content"), dict):
            continue
        content = attachment["content"]
        if attachment.get("contentType") == ADAPTIVE_CARD:
            first = next(_text_blocks(content.get("body") or []), None)
            titles.append(first or "")
        elif "card" in str(attachment.get("contentType", "")):
            titles.append(str(content.get("title") or ""))
    return titles


def _text_blocks(node: Any) -> Iterator[str]:
    """TextBlock texts depth-first through containers, column sets and columns."""
    if isinstance(node, list):
        for item in node:
            yield from _text_blocks(item)
    elif isinstance(node, dict):
        if node.get("type") == "TextBlock" and node.get("text"):
            yield str(node["text"])
        for key in ("items", "columns", "body"):
            if key in node:
                yield from _text_blocks(node[key])


def describe_activity(activity: dict[str, Any]) -> str:
    """One line saying what the bot sent, in the script's own words."""
    kind = activity.get("type")
    if kind == "event":
        return f"bot: event {activity.get('name')}"
    parts = [normalise(activity.get("text"))] if activity.get("text") else []
    for title in card_titles(activity):
        parts.append(f'card "{normalise(title)}"')
    other = [t for t in attachment_types(activity) if "card" not in t]
    if other:
        parts.append("attachments " + ", ".join(other))
    titles = suggested_titles(activity)
    if titles:
        parts.append("suggested " + ", ".join(f'"{t}"' for t in titles))
    body = " | ".join(parts) if parts else "(empty)"
    return f"bot: {body}" if kind == "message" else f"bot: [{kind}] {body}"


def _quote(text: str | None) -> str:
    return "nothing" if text is None else f'"{shorten(text, 200)}"'
