"""Find every text of an outgoing turn that still needs translating, with a way to put it back.

Message text, suggested-action titles and the texts of Adaptive Cards count; the bot's
own localized texts and verbatim ones (user text, names, engine output) do not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botbuilder.schema import Activity

from dialogs.i18n import OutgoingTexts

Slot = tuple[Callable[[str], None], str]  # (put the translation back, the text)


def translatable_texts(activities: Sequence[Activity], keep: OutgoingTexts) -> list[Slot]:
    slots: list[Slot] = []
    for activity in activities:
        _collect(activity, keep, slots)
    return slots


def _needs(text: Any, keep: OutgoingTexts) -> bool:
    return isinstance(text, str) and any(char.isalpha() for char in text) and not keep.keeps(text)


def _collect(activity: Activity, keep: OutgoingTexts, slots: list[Slot]) -> None:
    """Find translatable texts in an activity: text, suggested actions, Adaptive Cards."""
    if _needs(activity.text, keep):
        slots.append((lambda value, a=activity: setattr(a, "text", value), activity.text))
    if activity.suggested_actions and activity.suggested_actions.actions:
        for action in activity.suggested_actions.actions:
            if _needs(action.title, keep):
                slots.append((lambda value, a=action: setattr(a, "title", value), action.title))
    for attachment in activity.attachments or []:
        if attachment.content_type == "application/vnd.microsoft.card.adaptive" and isinstance(
            attachment.content, dict
        ):
            _collect_card(attachment.content, keep, slots)


_CARD_TEXT_KEYS = ("text", "title", "altText", "placeholder", "label", "errorMessage", "fallbackText")


def _collect_card(node: Any, keep: OutgoingTexts, slots: list[Slot]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _CARD_TEXT_KEYS and _needs(value, keep):
                slots.append((lambda text, n=node, k=key: n.__setitem__(k, text), value))
            elif isinstance(value, (dict, list)):
                _collect_card(value, keep, slots)
    elif isinstance(node, list):
        for item in node:
            _collect_card(item, keep, slots)
