"""Messages longer than the text limit get a localized reply instead of a turn.

Nothing past the edge should pay for an unbounded text: engines, regexes, state and
transcripts all see at most `max_chars` characters. Azure's per-document limit (5,120)
is the default, so a message the bot reads is one the services accept whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import MessageFactory, Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from adapters.analysis.language_rules import locale_hint
from dialogs.i18n import t
from dialogs.insights import LANGUAGE_KEY
from dialogs.state import BotState


class TextLimitMiddleware(Middleware):
    """Answers an over-long message with what happened; the dialogs never see it."""

    def __init__(self, state: BotState, max_chars: int, languages: tuple[str, ...], working_language: str):
        self._state = state
        self._max_chars = max_chars
        self._languages = languages
        self._working_language = working_language

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        text = activity.text or ""
        if activity.type != ActivityTypes.message or len(text) <= self._max_chars:
            await logic()
            return
        profile = await self._state.conversation(context)
        context.turn_state[LANGUAGE_KEY] = (
            profile.language or locale_hint(activity.locale, self._languages) or self._working_language
        )
        reply = t(
            context,
            "Your message is {length} characters long, and I can read up to {limit} at a time, "
            "so I didn't read it. Please send it in shorter parts.",
            length=f"{len(text):,}",
            limit=f"{self._max_chars:,}",
        )
        await context.send_activity(MessageFactory.text(reply))
