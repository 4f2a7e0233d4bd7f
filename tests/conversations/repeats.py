"""The bot never sends the same text twice in a row: the check, shared by the conversation and dialog tests.

A re-prompt that repeats the previous message word for word is the sign of a prompt
loop (the user wrote something, the bot did not listen); so is any other message sent
twice in a row. Only messages count: a card in between breaks the run, an event (which
the user does not see) or a typing indicator does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Repeat:
    """A bot message whose text is the same as the bot's message just before it."""

    text: str
    user: str  # what the user had said just before the repeat ("" within one turn)

    def __str__(self) -> str:
        said = f" after the user said {self.user!r}" if self.user else ""
        return f"the bot sent {self.text!r} twice in a row{said}"


def message_key(activity: Mapping[str, Any]) -> str | None:
    """What a message says (whitespace runs as one space), or None for anything else."""
    if activity.get("type") != "message":
        return None
    text = _SPACE.sub(" ", str(activity.get("text") or "")).strip()
    return text or None


class RepeatWatch:
    """Follows one conversation's bot messages and collects every text repeated in a row."""

    def __init__(self) -> None:
        self.repeats: list[Repeat] = []
        self._last: str | None = None

    def see(self, replies: Iterable[Mapping[str, Any]], user: str = "") -> list[Repeat]:
        """Feed one turn's replies (JSON activities); the repeats they add."""
        found: list[Repeat] = []
        for activity in replies:
            if activity.get("type") != "message":
                continue
            key = message_key(activity)
            if key is not None and key == self._last:
                found.append(Repeat(key, user))
            self._last = key
            user = ""
        self.repeats.extend(found)
        return found
