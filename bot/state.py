"""State the bot keeps, behind botbuilder's UserState and ConversationState accessors.

Profiles are plain JSON-able dicts wrapped in small classes, so every store
(memory, SQLite, Azure Blob) can save them and a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from botbuilder.core import ConversationState, StatePropertyAccessor, TurnContext, UserState


@dataclass
class ConversationProfile:
    """What the bot remembers about one conversation."""

    language: str = ""  # "" until known
    language_explicit: bool = False  # the user chose it: detection never overrides
    language_asked: bool = False  # the confirm-when-unsure prompt was shown once
    last_insights: dict[str, Any] = field(default_factory=dict)  # for the "why" dialog
    last_action: str = ""  # what the bot did on the last turn, for "why"
    transcript: list[dict[str, str]] = field(default_factory=list)  # for handoff

    TRANSCRIPT_LIMIT = 40

    def remember(self, role: str, text: str) -> None:
        self.transcript.append({"role": role, "text": text})
        del self.transcript[: -self.TRANSCRIPT_LIMIT]


@dataclass
class UserProfile:
    """What the bot remembers about one user, across conversations."""

    analysis_opt_out: bool = False
    corrections: list[dict[str, Any]] = field(default_factory=list)  # sentiment corrections
    feedback: list[dict[str, Any]] = field(default_factory=list)  # finished feedback summaries


class BotState:
    """The accessors every part of the bot uses; one instance per process."""

    def __init__(self, conversation_state: ConversationState, user_state: UserState) -> None:
        self.conversation_state = conversation_state
        self.user_state = user_state
        self.dialog_state: StatePropertyAccessor = conversation_state.create_property("DialogState")
        self._conversation: StatePropertyAccessor = conversation_state.create_property("profile")
        self._user: StatePropertyAccessor = user_state.create_property("profile")

    async def conversation(self, turn_context: TurnContext) -> ConversationProfile:
        return await _typed(self._conversation, turn_context, ConversationProfile)

    async def user(self, turn_context: TurnContext) -> UserProfile:
        return await _typed(self._user, turn_context, UserProfile)

    async def save(self, turn_context: TurnContext) -> None:
        """Write both states once, at the end of the turn."""
        conversation = turn_context.turn_state.get(_cache_key(self._conversation))
        if conversation is not None:
            await self._conversation.set(turn_context, asdict(conversation))
        user = turn_context.turn_state.get(_cache_key(self._user))
        if user is not None:
            await self._user.set(turn_context, asdict(user))
        await self.conversation_state.save_changes(turn_context)
        await self.user_state.save_changes(turn_context)

    async def delete_all(self, turn_context: TurnContext) -> None:
        """Delete the user's and this conversation's records from the store."""
        turn_context.turn_state.pop(_cache_key(self._conversation), None)
        turn_context.turn_state.pop(_cache_key(self._user), None)
        await self.conversation_state.delete(turn_context)
        await self.user_state.delete(turn_context)

    async def reset_dialogs(self, turn_context: TurnContext) -> None:
        await self.dialog_state.delete(turn_context)
        await self.conversation_state.save_changes(turn_context, force=True)


def _cache_key(accessor: StatePropertyAccessor) -> str:
    return f"showcase.typed.{id(accessor)}"


async def _typed(accessor: StatePropertyAccessor, turn_context: TurnContext, kind: type) -> Any:
    """Load a profile once per turn as its class; later calls return the same object."""
    key = _cache_key(accessor)
    cached = turn_context.turn_state.get(key)
    if cached is None:
        raw = await accessor.get(turn_context, dict)
        known = {name: value for name, value in (raw or {}).items() if name in kind.__dataclass_fields__}
        cached = kind(**known)
        turn_context.turn_state[key] = cached
    return cached
