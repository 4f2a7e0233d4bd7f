"""State the bot keeps, behind botbuilder's UserState and ConversationState accessors.

Profiles are plain JSON-able dicts wrapped in small classes, so every store
(memory, SQLite, Azure Blob) can save them and a restart loses nothing.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import BotState as BotbuilderState
from botbuilder.core import ConversationState, StatePropertyAccessor, Storage, TurnContext, UserState
from botbuilder.core.bot_state import CachedBotState

log = logging.getLogger("dialogs.state")

ETAG_FIELD = "e_tag"  # botbuilder's name for a state item's eTag
# An eTag that means "create this item only if no item exists under its key". botbuilder
# has no such value: this layer puts it on state it loaded as absent, so two first turns
# of one conversation cannot silently overwrite each other; every store honours it.
CREATE_ONLY_ETAG = "__create_only__"

# Deletes what one part of the bot keeps outside the state store about a user and a
# conversation (recorded transcripts, Direct Line history and uploads), given
# (channel_id, conversation_id, user_id). Registered at start-up with `add_eraser`.
Eraser = Callable[[str, str, str], Awaitable[None]]


# Bounds on the user text kept in state, so no user can grow a record without limit
# (one table of them, and why: docs/storage.md, "What the bot stores, and how much").
STORED_TEXT_CHARS = 1000  # one stored text: a transcript line, a feedback comment
ELLIPSIS = "…"  # ends a clipped text
TRANSCRIPT_LIMIT = 40  # newest transcript lines of a conversation, for a handoff
FEEDBACK_LIMIT = 50  # newest finished feedback summaries of a user
CORRECTIONS_LIMIT = 50  # newest sentiment corrections of a user

# Set in turn_state on the synthetic start-up turns (bot/warm_up.py): state is read as on
# any turn, but never written.
WARM_UP_KEY = "showcase.warm_up"


@dataclass
class ConversationProfile:
    """What the bot remembers about one conversation."""

    language: str = ""  # "" until known
    language_explicit: bool = False  # the user chose it: detection never overrides
    language_asked: bool = False  # the confirm-when-unsure prompt was shown once
    last_insights: dict[str, Any] = field(default_factory=dict)  # for the "why" dialog
    last_action: str = ""  # what the bot did on the last turn, for "why"
    transcript: list[dict[str, str]] = field(default_factory=list)  # for handoff
    turns: int = 0  # user messages this conversation has had (uncapped; see bot/turn_guard.py)
    negative_streak: int = 0  # strongly negative turns in a row, capped at the window (dialogs/checkin.py)
    checked_in: bool = False  # this run of negative turns had its one gentle check-in

    def __post_init__(self) -> None:
        # State stored before the caps existed (or edited by hand) is bounded when loaded.
        self.transcript = _bounded_entries(self.transcript, TRANSCRIPT_LIMIT)

    def remember(self, role: str, text: str) -> None:
        """Keep one line for a handoff: the newest TRANSCRIPT_LIMIT, each clipped to STORED_TEXT_CHARS."""
        self.transcript.append({"role": role, "text": clip_text(text)})
        del self.transcript[:-TRANSCRIPT_LIMIT]


@dataclass
class UserProfile:
    """What the bot remembers about one user, across conversations."""

    analysis_opt_out: bool = False
    corrections: list[dict[str, Any]] = field(default_factory=list)  # sentiment corrections
    feedback: list[dict[str, Any]] = field(default_factory=list)  # finished feedback summaries

    def __post_init__(self) -> None:
        self.corrections = _bounded_entries(self.corrections, CORRECTIONS_LIMIT)
        self.feedback = _bounded_entries(self.feedback, FEEDBACK_LIMIT)

    def add_correction(self, correction: dict[str, Any]) -> None:
        """Keep a sentiment correction: the newest CORRECTIONS_LIMIT."""
        self.corrections.append(_bounded(correction))
        del self.corrections[:-CORRECTIONS_LIMIT]

    def add_feedback(self, summary: dict[str, Any]) -> None:
        """Keep a finished feedback summary: the newest FEEDBACK_LIMIT, texts clipped."""
        self.feedback.append(_bounded(summary))
        del self.feedback[:-FEEDBACK_LIMIT]


def clip_text(text: str, limit: int = STORED_TEXT_CHARS) -> str:
    """`text` if it fits in `limit` characters, else its start and an ellipsis, `limit` in all."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


_SCALARS = (int, float, bool, type(None))


def _bounded_entries(entries: list[Any], limit: int) -> list[Any]:
    """The newest `limit` entries, each bounded as `_bounded` bounds it.

    An entry already within bounds (what the bot itself saves: a flat dict of short texts
    and numbers) is kept as it is rather than copied, which `_bounded` would give back
    equal: loading a profile was ~1 us per transcript line for nothing.
    """
    return [entry if _within_bounds(entry) else _bounded(entry) for entry in entries[-limit:]]


def _within_bounds(entry: Any) -> bool:
    """True for a flat dict whose values are exact strs of at most STORED_TEXT_CHARS, or plain scalars."""
    if type(entry) is not dict:
        return False
    for item in entry.values():
        kind = type(item)
        if kind is str:
            if len(item) > STORED_TEXT_CHARS:
                return False
        elif kind not in _SCALARS:
            return False
    return True


def _bounded(value: Any) -> Any:
    """A copy of a stored entry with every text clipped (entries are small dicts the bot builds)."""
    if isinstance(value, str):
        return clip_text(value)
    if isinstance(value, dict):
        return {key: _bounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_bounded(item) for item in value]
    return value


class _PickleHashedState(CachedBotState):
    """botbuilder's change detection with a pickle instead of a jsonpickle flatten, eTag left out.

    botbuilder hashes the whole state on load, on save and after the write to know
    whether to write; jsonpickle made that the largest cost of a turn of our own.
    Equal states pickle equally; anything pickle refuses falls back to botbuilder's way.
    The eTag is the store's stamp, not content: a write changes only it, so the hash
    taken before the write still holds after it (`BotState._write_changes` reuses it
    instead of pickling the record a third time).
    """

    def compute_hash(self, obj: object) -> Any:
        if type(obj) is dict and ETAG_FIELD in obj:
            obj = {key: value for key, value in obj.items() if key != ETAG_FIELD}
        try:
            return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return super().compute_hash(obj)


async def _load_once(state: BotbuilderState, turn_context: TurnContext, force: bool = False) -> None:
    """botbuilder's `BotState.load`, except that a record loaded as absent stays loaded (empty) for the turn.

    botbuilder-python reloads when the cached state is falsy (`not {}`), so every accessor
    call re-read a record that did not exist yet, one storage read each, and swapped this
    layer's cache for its own jsonpickle-hashed one; botbuilder-js reloads only when
    nothing is cached, which is what this does.
    """
    if not force and state.get_cached_state(turn_context) is not None:
        return
    key = state.get_storage_key(turn_context)
    items = await state._storage.read([key])  # botbuilder keeps the store in `_storage`, with no accessor
    _cache_loaded(state, turn_context, items.get(key))


def _cache_loaded(state: BotbuilderState, turn_context: TurnContext, item: Any) -> None:
    """Keep a record read for this turn as the state's cache, hashed the way this layer hashes."""
    # botbuilder keeps the cache under a private key and offers no setter (4.17 is final).
    turn_context.turn_state[state._context_service_key] = _PickleHashedState(item)


class LoadOnceConversationState(ConversationState):
    """ConversationState whose record is read once a turn, even when it does not exist yet."""

    load = _load_once


class LoadOnceUserState(UserState):
    """UserState whose record is read once a turn, even when it does not exist yet."""

    load = _load_once


class BotState:
    """The accessors every part of the bot uses; one instance per process."""

    @classmethod
    def over(cls, storage: Storage) -> BotState:
        """Conversation and user state both kept in `storage`, each record read once a turn."""
        return cls(LoadOnceConversationState(storage), LoadOnceUserState(storage))

    def __init__(self, conversation_state: ConversationState, user_state: UserState) -> None:
        self.conversation_state = conversation_state
        self.user_state = user_state
        self.dialog_state: StatePropertyAccessor = conversation_state.create_property("DialogState")
        self._conversation: StatePropertyAccessor = conversation_state.create_property("profile")
        self._user: StatePropertyAccessor = user_state.create_property("profile")
        self._erasers: list[Eraser] = []

    def add_eraser(self, eraser: Eraser) -> None:
        """Have "delete my data" also delete what `eraser` knows of the user."""
        self._erasers.append(eraser)

    async def conversation(self, turn_context: TurnContext) -> ConversationProfile:
        await self.load(turn_context)
        return await _typed(self._conversation, turn_context, ConversationProfile)

    async def user(self, turn_context: TurnContext) -> UserProfile:
        await self.load(turn_context)
        return await _typed(self._user, turn_context, UserProfile)

    async def load(self, turn_context: TurnContext) -> None:
        """Read both records in one storage call, once per turn (later calls are free)."""
        states = [
            state for state in (self.conversation_state, self.user_state)
            if state.get_cached_state(turn_context) is None
        ]
        storage = _shared_storage(self.conversation_state, self.user_state)
        if not states or storage is None:
            return
        keys = {state.get_storage_key(turn_context): state for state in states}
        items = await storage.read(list(keys))
        for key, state in keys.items():
            _cache_loaded(state, turn_context, items.get(key))

    async def save(self, turn_context: TurnContext) -> None:
        """Write both states once, at the end of the turn."""
        conversation = turn_context.turn_state.get(_cache_key(self._conversation))
        if conversation is not None:
            await self._conversation.set(turn_context, _fields(conversation))
        user = turn_context.turn_state.get(_cache_key(self._user))
        if user is not None:
            await self._user.set(turn_context, _fields(user))
        await self._write_changes(turn_context)

    async def _write_changes(self, turn_context: TurnContext) -> None:
        """Write what changed, both records in one call (all or nothing on SQLite and memory).

        State that was absent when the turn read it is written create-only, so two
        replicas starting the same conversation cannot silently overwrite each other.
        """
        pending: list[tuple[BotbuilderState, Any, Any]] = []  # (state, its cache, the hash of what is written)
        for state in (self.conversation_state, self.user_state):
            cached = state.get_cached_state(turn_context)
            if cached is None:
                continue
            written = cached.compute_hash(cached.state)  # botbuilder's `is_changed`, kept for after the write
            if written == cached.hash:
                continue
            if isinstance(cached.state, dict) and ETAG_FIELD not in cached.state:
                cached.state[ETAG_FIELD] = CREATE_ONLY_ETAG
            pending.append((state, cached, written))
        if not pending:
            return
        if turn_context.turn_state.get(WARM_UP_KEY):
            return  # a synthetic start-up turn: nothing is written (bot/warm_up.py warms the codec)
        storage = _shared_storage(self.conversation_state, self.user_state)
        if storage is not None:
            await storage.write(
                {state.get_storage_key(turn_context): cached.state for state, cached, _ in pending}
            )
            for _, cached, written in pending:
                # The store changed only the eTag, which our hash leaves out; botbuilder's own
                # cache (BotState built on its ConversationState, or after clear_state) hashes it.
                cached.hash = written if isinstance(cached, _PickleHashedState) else cached.compute_hash(cached.state)
            return
        for state, _, _ in pending:
            await state.save_changes(turn_context)

    async def delete_all(self, turn_context: TurnContext) -> None:
        """Delete the user's and this conversation's records, then everything the erasers hold."""
        turn_context.turn_state.pop(_cache_key(self._conversation), None)
        turn_context.turn_state.pop(_cache_key(self._user), None)
        await self.conversation_state.delete(turn_context)
        await self.user_state.delete(turn_context)
        activity = turn_context.activity
        channel_id = activity.channel_id or ""
        conversation_id = activity.conversation.id if activity.conversation else ""
        user_id = activity.from_property.id if activity.from_property else ""
        for eraser in self._erasers:
            await eraser(channel_id, conversation_id, user_id)

    async def reset_dialogs(self, turn_context: TurnContext) -> None:
        if turn_context.turn_state.get(WARM_UP_KEY):
            return  # a failed warm-up turn has nothing stored to reset
        await self.dialog_state.delete(turn_context)
        await self.conversation_state.save_changes(turn_context, force=True)


def _fields(profile: Any) -> dict[str, Any]:
    """A profile's fields as the stored dict, without `asdict`'s deep copy (~0.35 ms a turn).

    Saved at the end of the turn: the dict is hashed and serialised at once and nothing
    changes the profile afterwards (a retried turn loads it afresh), so sharing its lists
    is safe; the fields are JSON values, with no nested dataclass for asdict to convert.
    """
    return {name: getattr(profile, name) for name in profile.__dataclass_fields__}


def _shared_storage(*states: BotbuilderState) -> Storage | None:
    """The one store behind all the states, or None when they use different stores."""
    # botbuilder keeps a state's store in `_storage` and offers no accessor for it.
    stores = [getattr(state, "_storage", None) for state in states]
    first = stores[0]
    return first if first is not None and all(store is first for store in stores) else None


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
