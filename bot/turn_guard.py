"""One turn at a time per conversation, and a turn that lost a state race runs again.

`TurnGuard` (the outermost middleware) takes the conversation's lock, runs the turn and
sends what the turn said only once its state is saved; `TurnCapture` (the innermost)
holds the turn's outgoing activities for it. When another replica saved the
conversation first (`StateConflictError`) the turn runs again on fresh state; when the
store is unreachable the user gets a clear message. A failed attempt sends nothing and,
because state is written once at the end of the turn, has written nothing.

Over 300 lines on purpose: TurnGuard and TurnCapture are two halves of one protocol (hold
the replies, save, then send; re-run on a lost race) and are only correct read together.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import MessageFactory, Middleware, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

from adapters.embedding_cache import cache_scope
from adapters.locales import primary_language
from adapters.safety_chain import SafetyChain
from bot.connector import ConnectorError
from bot.reply_copy import CopyingTurnContext, emit_prepared
from bot.storage import StateConflictError, StorageUnavailableError
from dialogs.i18n import t
from dialogs.insights import INSIGHTS_KEY, LANGUAGE_KEY
from dialogs.interruptible import send_safety_reply
from dialogs.state import BotState

log = logging.getLogger("bot.turn_guard")

HELD_KEY = "showcase.turn_guard.held"  # the attempt's outgoing activities, set by TurnGuard
# Each lost race means another writer finished a turn of this conversation (or of this
# user) in the meantime, so a turn gives up only after 11 such turns finished elsewhere
# while it ran: a burst of 20 turns split over two replicas can never get there.
DEFAULT_ATTEMPTS = 12

Logic = Callable[[], Awaitable[Any]]


def conversation_key(activity: Activity) -> str | None:
    """The lock key of a turn: channel and conversation id (as ConversationState keys it)."""
    if activity.conversation is None or not activity.conversation.id:
        return None
    return key_of_conversation(activity.channel_id or "", activity.conversation.id)


def key_of_conversation(channel_id: str, conversation_id: str) -> str:
    return f"{channel_id}/conversations/{conversation_id}"


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # turns holding or waiting for the lock


class ConversationLocks:
    """One asyncio.Lock per conversation, dropped as soon as no turn holds or awaits it."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class _Snapshot:
    """What a turn attempt may change on its TurnContext, to put back before the next one."""

    turn_state: dict[str, Any]
    on_send: list[Any]
    on_update: list[Any]
    on_delete: list[Any]
    activity: Activity
    responded: bool
    buffered: int

    @classmethod
    def take(cls, context: TurnContext) -> _Snapshot:
        # botbuilder has no API to remove a send handler: the lists are restored in place.
        return cls(
            turn_state=dict(context.turn_state),
            on_send=list(context._on_send_activities),
            on_update=list(context._on_update_activity),
            on_delete=list(context._on_delete_activity),
            # Shallow: middleware replaces fields (the mention-free text) rather than mutating them.
            activity=copy.copy(context.activity),
            responded=context.responded,
            buffered=len(context.buffered_reply_activities),
        )

    def restore_handlers(self, context: TurnContext) -> None:
        """Drop the handlers the attempt's middleware added, so a send goes to the channel."""
        context._on_send_activities[:] = self.on_send
        context._on_update_activity[:] = self.on_update
        context._on_delete_activity[:] = self.on_delete

    def restore(self, context: TurnContext) -> None:
        """Back to the turn as it arrived: no cached state, insights or held replies."""
        self.restore_handlers(context)
        context.turn_state.clear()
        context.turn_state.update(self.turn_state)
        context.activity = copy.copy(self.activity)
        context._responded = self.responded  # the setter refuses False
        del context.buffered_reply_activities[self.buffered :]


class TurnGuard(Middleware):
    """The outermost middleware: per-conversation lock, retry on lost races, send after save."""

    def __init__(
        self,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        locks: ConversationLocks | None = None,
        safety: SafetyChain | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = attempts
        self.locks = locks if locks is not None else ConversationLocks()
        self.retries = 0  # turns re-run after a lost race, for logs and tests
        self.failures = 0  # turns given up on (store unreachable or too many lost races)
        # Checks a message whose turn failed before the pipeline could (the store was down
        # at load): the safety reply must get out whatever happened to the state.
        self._safety = safety

    async def on_turn(self, context: TurnContext, logic: Logic) -> None:
        key = conversation_key(context.activity)
        # Embeddings this turn caches are found again by this conversation only (no timing oracle).
        with cache_scope(key):
            if key is None:
                await self._run(context, logic)
                return
            async with self.locks.hold(key):
                await self._run(context, logic)

    async def _run(self, context: TurnContext, logic: Logic) -> None:
        snapshot = _Snapshot.take(context)
        for attempt in range(1, self.attempts + 1):
            held: list[Activity] = []
            context.turn_state[HELD_KEY] = held
            try:
                await logic()
            except StateConflictError as error:
                language = context.turn_state.get(LANGUAGE_KEY)
                safety_replies = _safety_replies(context, held)
                snapshot.restore(context)
                if attempt < self.attempts:
                    self.retries += 1
                    log.info(
                        "turn lost a state race, running it again conversation=%s attempt=%d key=%s",
                        _conversation_id(context), attempt, error.key,
                    )
                    continue  # at once: the other writer is done, so fresh state is there now
                self.failures += 1
                log.error(
                    "turn lost %d state races in a row, giving up conversation=%s key=%s",
                    attempt, _conversation_id(context), error.key,
                )
                await self._support_first(context, language, safety_replies)
                await self._tell(context, language, _too_busy)
                return
            except StorageUnavailableError as error:
                language = context.turn_state.get(LANGUAGE_KEY)
                safety_replies = _safety_replies(context, held)
                snapshot.restore(context)
                self.failures += 1
                log.error(
                    "state store unavailable conversation=%s error=%s", _conversation_id(context), error
                )
                await self._support_first(context, language, safety_replies)
                await self._tell(context, language, _cannot_save)
                return
            except BaseException:
                snapshot.restore(context)  # on_turn_error then sees the turn as it arrived
                raise
            snapshot.restore_handlers(context)
            context.turn_state.pop(HELD_KEY, None)
            if held:
                await send_prepared(context, held)
            return

    async def _support_first(
        self, context: TurnContext, language: str | None, safety_replies: list[Activity]
    ) -> None:
        """Before saying the turn failed: the turn's safety reply, or one made now if it had none."""
        try:
            if safety_replies:
                await context.send_activities(safety_replies)
                return
            text = context.activity.text or ""
            if self._safety is None or context.activity.type != ActivityTypes.message or not text.strip():
                return
            language = language or _locale_language(context.activity)
            result = await self._safety.check(text, language=language)
            if result.flagged:
                context.turn_state[LANGUAGE_KEY] = language
                await send_safety_reply(context)
        except (TimeoutError, OSError, ConnectorError) as error:
            log.warning("could not send the safety reply of a failed turn: %s", type(error).__name__)

    async def _tell(
        self, context: TurnContext, language: str | None, text: Callable[[TurnContext], str]
    ) -> None:
        """Send one message about the failed turn, in the conversation's language when known."""
        context.turn_state[LANGUAGE_KEY] = language or _locale_language(context.activity)
        try:
            await context.send_activity(MessageFactory.text(text(context)))
        except (TimeoutError, OSError, ConnectorError) as error:
            log.warning("could not tell the user the turn failed: %s", type(error).__name__)


class TurnCapture(Middleware):
    """The innermost middleware: holds the turn's replies for TurnGuard; counts user messages.

    Installed after the pipeline, so its send handler runs after the pipeline's (which
    translates): what it holds is what the user will see.
    """

    def __init__(self, bot_state: BotState) -> None:
        self._state = bot_state

    async def on_turn(self, context: TurnContext, logic: Logic) -> None:
        held: list[Activity] | None = context.turn_state.get(HELD_KEY)
        if held is not None:

            async def hold(
                ctx: TurnContext, activities: list[Activity], send_next: Logic
            ) -> list[ResourceResponse]:
                await send_next()
                responses = [ResourceResponse(id="") for _ in activities]
                held.extend(activities)
                # botbuilder sends whatever is left in this list once the handlers return.
                activities.clear()
                return responses

            context.on_send_activities(hold)
        if context.activity.type == ActivityTypes.message:
            profile = await self._state.conversation(context)
            profile.turns += 1
        await logic()


class HoldingCloudAdapter(CloudAdapter):
    """CloudAdapter that accepts a send emptied by TurnCapture (the stock one raises).

    Its turns run on a CopyingTurnContext (bot/reply_copy.py): the same sends, a cheaper copy.
    """

    def _create_turn_context(self, *args: Any, **kwargs: Any) -> TurnContext:
        return CopyingTurnContext.of(super()._create_turn_context(*args, **kwargs))

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        if not activities:
            return []
        return await super().send_activities(context, activities)


async def send_prepared(context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
    """`context.send_activities` for activities it already prepared once (the held replies).

    When the turn sent them, TurnContext deep-copied each one, addressed it and set its
    defaults; doing it again on the same objects changes nothing but costs a deep copy
    of every reply and card (~0.5 ms a turn). Everything else is botbuilder's: the send
    handlers outside TurnGuard, then the adapter, or the buffer for expectReplies.
    """
    if not activities:
        return []
    return await emit_prepared(context, activities)


def _safety_replies(context: TurnContext, held: list[Activity]) -> list[Activity]:
    """The held replies of a turn that answered distress (the safety override sends only those)."""
    insights = context.turn_state.get(INSIGHTS_KEY)
    return list(held) if insights is not None and insights.distressed else []


def _cannot_save(context: TurnContext) -> str:
    return t(context, "I can't save our conversation right now, so I didn't act on your last message. "
                      "Please try again in a minute.")


def _too_busy(context: TurnContext) -> str:
    return t(context, "Several of your messages arrived at the same time and I couldn't keep up. "
                      "Please send your last message again.")


def _conversation_id(context: TurnContext) -> str:
    conversation = context.activity.conversation
    return conversation.id if conversation is not None and conversation.id else "?"


def _locale_language(activity: Activity) -> str:
    return primary_language(activity.locale) or "en"
