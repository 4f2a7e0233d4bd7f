"""Writes a `.chat` script from what the bot actually said: run it, read it, keep what matters."""

from __future__ import annotations

import re
from typing import Any

from chatscripts.checks import card_titles, normalise, suggested_titles
from chatscripts.compare import visible
from chatscripts.model import Outcome, Row

_KEYWORD = re.compile(r"^(~|card\b|suggested\b|event\s+\S+$|type\s+\w+$|text\s*[\"~]|\.\.\.$|…$)", re.IGNORECASE)


def draft(outcome: Outcome) -> str:
    """The conversation's own lines, with each turn's bot lines replaced by what the bot sent."""
    conversation, turns = outcome.conversation, outcome.turns
    lines = [f"title: {conversation.name}"]
    if conversation.engines != "fake":
        lines.append(f"engines: {conversation.engines}")
    locale = None
    for item in turns:
        if isinstance(item, Row):  # an engine line (or a note about one)
            lines.append(item.expected)
            continue
        if item.user.activity.get("locale") != locale:
            locale = item.user.activity.get("locale")
            if locale:
                lines.append(f"language: {locale}")
        lines.append(item.user.label)
        for activity in visible(item.actual):
            lines.extend(bot_lines(activity))
    return "\n".join(lines) + "\n"


def bot_lines(activity: dict[str, Any]) -> list[str]:
    """`bot:` plus indented lines asserting one activity exactly as it was."""
    if activity.get("type") == "event":
        return [f"bot: event {activity.get('name')}"]
    checks = []
    text = normalise(activity.get("text"))
    if text:
        quoted = text.startswith('"') and text.endswith('"')
        checks.append(f'text "{_escape(text)}"' if _KEYWORD.match(text) or quoted else text)
    checks += [f'card "{_escape(normalise(title))}"' for title in card_titles(activity)]
    titles = suggested_titles(activity)
    if titles:
        checks.append("suggested " + ", ".join(f'"{_escape(title)}"' for title in titles))
    if activity.get("type") not in (None, "message"):
        checks.insert(0, f"type {activity.get('type')}")
    if not checks:
        checks = ["~ ^$"]
    return [f"bot: {checks[0]}", *(f"  {check}" for check in checks[1:])]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')

