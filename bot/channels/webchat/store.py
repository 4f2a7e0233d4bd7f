"""Per-conversation activity logs with watermarks, bounded in bytes, count and idle time.

Every activity gets the next watermark of its conversation; readers ask for what comes
after a watermark, so each client sees each activity once and in order. Memory is what
an attacker would exhaust, so every conversation is charged the JSON size of its stored
activities plus its uploads, against a per-conversation and a process-wide budget:

- a conversation over its own budget (or activity count) drops its oldest activities,
  with the uploads they carried; watermarks keep counting, so clients never see a gap
  move backwards, only older history disappear;
- an activity larger than the whole conversation budget is refused (`ActivityTooLarge`);
- when the process-wide budget is full, idle conversations (least recently used first,
  none used in the last `ACTIVE_WINDOW_S`) are evicted; if that is not enough the growing
  conversation drops its own oldest activities; only then is the activity refused
  (`ConversationFull`). New conversations are refused (`StoreFull`) rather than evicting
  an active one;
- a conversation unused for `idle_s` is forgotten; expiry runs on every create and
  lookup, oldest first, so it costs O(1) amortised and needs no background task.

One module, over 300 lines: the byte accounting, eviction and watermarks are one invariant
(what is charged is what is stored); split, each half could break it unseen.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

ACTIVE_WINDOW_S = 60.0  # a conversation used this recently is never evicted to make room
ATTACHMENT_OVERHEAD_BYTES = 256  # charged per stored file on top of its bytes
NEW_CONVERSATION_RESERVE_BYTES = 64 * 1024  # free room a new conversation needs (at most its budget)
DEFAULT_MAX_CONVERSATIONS = 10_000
DEFAULT_MAX_ACTIVITIES = 2_000
CLOSED = -1  # put on a subscriber queue: the conversation is gone, close the stream


class UnknownConversation(KeyError):
    """No conversation with this id (never was, expired, evicted or erased)."""


class ActivityTooLarge(ValueError):
    """The activity (with its files) is larger than a whole conversation's budget."""


class ConversationFull(OverflowError):
    """No room for the activity even after evicting idle conversations and old history."""


class StoreFull(OverflowError):
    """No room for a new conversation without evicting an active one; retry later."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class StoredAttachment:
    """An uploaded file, served back at an unguessable URL."""

    content_type: str
    name: str
    data: bytes


@dataclass
class _Entry:
    activity: dict[str, Any]
    size: int  # JSON bytes of the activity plus its files
    attachment_ids: tuple[str, ...] = ()


@dataclass(eq=False)
class Conversation:
    """One Direct Line conversation: its user, recent log, subscribers and uploads."""

    id: str
    user_id: str
    started: bool = False
    entries: deque[_Entry] = field(default_factory=deque)
    first_watermark: int = 0  # watermark of entries[0]; older ones were dropped
    subscribers: set[asyncio.Queue[int]] = field(default_factory=set)
    attachments: dict[str, StoredAttachment] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)
    bytes: int = 0
    removed: bool = False

    def after(self, watermark: int) -> list[dict[str, Any]]:
        """Stored activities with a watermark greater than `watermark` (-1 means all)."""
        start = max(watermark + 1, self.first_watermark) - self.first_watermark
        return [entry.activity for entry in itertools.islice(self.entries, start, None)]

    def activity_at(self, watermark: int) -> dict[str, Any] | None:
        """The activity with this watermark, or None when it was dropped (or never was)."""
        index = watermark - self.first_watermark
        return self.entries[index].activity if 0 <= index < len(self.entries) else None

    @property
    def next_watermark(self) -> int:
        return self.first_watermark + len(self.entries)

    @property
    def watermark(self) -> int:
        return self.next_watermark - 1

    @property
    def activities(self) -> list[dict[str, Any]]:
        """The stored activities, oldest first (a copy)."""
        return [entry.activity for entry in self.entries]

    def notify(self, watermark: int) -> None:
        for queue in self.subscribers:
            queue.put_nowait(watermark)


def json_size(activity: Mapping[str, Any]) -> int:
    """What an activity is charged: its compact JSON in UTF-8."""
    return len(json.dumps(activity, separators=(",", ":"), ensure_ascii=False, default=str).encode())


class ConversationStore:
    """All local conversations of one process, bounded as the module docstring says."""

    def __init__(
        self,
        *,
        conversation_bytes: int = 1024 * 1024,
        total_bytes: int = 64 * 1024 * 1024,
        idle_s: float = 1800.0,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        max_activities: int = DEFAULT_MAX_ACTIVITIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()  # least recently used first
        self.conversation_bytes = conversation_bytes
        self.total_bytes = total_bytes
        self.idle_s = idle_s
        self.max_conversations = max_conversations
        self.max_activities = max_activities
        self._clock = clock
        self._counter = itertools.count(1)
        self.used_bytes = 0

    # ---- conversations ---------------------------------------------------------------------

    def create(self, user_id: str) -> Conversation:
        """A new, empty conversation; StoreFull when that would mean evicting an active one."""
        self.sweep()
        reserve = min(self.conversation_bytes, NEW_CONVERSATION_RESERVE_BYTES)

        def short() -> tuple[int, int]:
            return (max(0, self.used_bytes + reserve - self.total_bytes),
                    max(0, len(self._conversations) + 1 - self.max_conversations))

        if any(short()):
            self._evict_idle(short)
        if any(short()):
            raise StoreFull("too many active conversations; try again shortly", self._retry_after_s())
        conversation_id = f"{secrets.token_urlsafe(16)}-{next(self._counter)}"
        conversation = Conversation(conversation_id, user_id, last_used=self._clock())
        self._conversations[conversation_id] = conversation
        return conversation

    def get(self, conversation_id: str) -> Conversation:
        """The conversation, marked as used now; UnknownConversation if gone."""
        self.sweep()
        conversation = self.peek(conversation_id)
        conversation.last_used = self._clock()
        self._conversations.move_to_end(conversation_id)
        return conversation

    def peek(self, conversation_id: str) -> Conversation:
        """The conversation without marking it used (serving an upload is not activity)."""
        conversation = self._conversations.get(conversation_id)
        if conversation is None or self._idle(conversation):
            raise UnknownConversation(conversation_id)
        return conversation

    def sweep(self) -> int:
        """Forget conversations idle for `idle_s`; they sit at the front, so this stops early."""
        expired = 0
        while self._conversations:
            oldest = next(iter(self._conversations.values()))
            if not self._idle(oldest):
                break
            self._remove(oldest)
            expired += 1
        return expired

    def user_conversations(self, user_id: str) -> list[Conversation]:
        return [c for c in self._conversations.values() if c.user_id == user_id]

    # ---- activities --------------------------------------------------------------------------

    def append(
        self,
        conversation: Conversation,
        activity: dict[str, Any],
        attachments: Mapping[str, StoredAttachment] | None = None,
    ) -> dict[str, Any]:
        """Give the activity its id and watermark, store it (and its files), tell every subscriber."""
        if conversation.removed:
            raise UnknownConversation(conversation.id)
        files = dict(attachments or {})
        watermark = conversation.next_watermark
        activity["id"] = f"{conversation.id}|{watermark:07d}"
        size = json_size(activity) + sum(len(f.data) + ATTACHMENT_OVERHEAD_BYTES for f in files.values())
        self._make_room(conversation, size, slots=1)
        conversation.entries.append(_Entry(activity, size, tuple(files)))
        conversation.attachments.update(files)
        self._charge(conversation, size)
        conversation.notify(watermark)
        return activity

    def replace(self, conversation: Conversation, activity_id: str, activity: dict[str, Any]) -> bool:
        """Replace a stored activity in place (an update from the bot); False if unknown."""
        if conversation.removed:
            return False
        for entry in conversation.entries:
            if entry.activity.get("id") == activity_id:
                updated = {**activity, "id": activity_id}
                files = sum(len(conversation.attachments[a].data) + ATTACHMENT_OVERHEAD_BYTES
                            for a in entry.attachment_ids if a in conversation.attachments)
                grow = json_size(updated) + files - entry.size
                if grow > 0:
                    self._make_room(conversation, grow, slots=0, keep=entry)
                entry.activity = updated
                entry.size += grow
                self._charge(conversation, grow)
                return True
        return False

    def attachment(self, conversation_id: str, attachment_id: str) -> StoredAttachment | None:
        try:
            return self.peek(conversation_id).attachments.get(attachment_id)
        except UnknownConversation:
            return None

    # ---- erasing -----------------------------------------------------------------------------

    def erase_user(self, conversation_id: str, user_id: str) -> int:
        """Delete everything stored for `user_id`; returns how many conversations it touched.

        The conversation the user asked from is emptied but kept (its watermarks go on), so
        the bot's confirmation and anything the user writes next still arrive; every other
        conversation of the user is removed and its streams are closed.
        """
        touched = 0
        for conversation in list(self._conversations.values()):
            if conversation.user_id != user_id:
                continue
            touched += 1
            if conversation.id == conversation_id:
                self.clear(conversation)
            else:
                self._remove(conversation)
        return touched

    def clear(self, conversation: Conversation) -> None:
        """Drop a conversation's history and uploads; the next activity continues its watermarks."""
        conversation.first_watermark = conversation.next_watermark
        conversation.entries.clear()
        conversation.attachments.clear()
        self._charge(conversation, -conversation.bytes)

    def close(self) -> None:
        """Forget every conversation and close every stream (the app is stopping)."""
        for conversation in list(self._conversations.values()):
            self._remove(conversation)

    def __len__(self) -> int:
        return len(self._conversations)

    def __iter__(self) -> Iterator[Conversation]:
        return iter(list(self._conversations.values()))

    # ---- bounds ------------------------------------------------------------------------------

    def _make_room(self, conversation: Conversation, size: int, *, slots: int,
                   keep: _Entry | None = None) -> None:
        """Make room for `size` more bytes (and `slots` more activities) in `conversation`.

        Only the oldest activities are dropped (watermarks stay contiguous); when `keep` (an
        activity being replaced) is the oldest left, nothing more of this conversation goes.
        """
        if size > self.conversation_bytes:
            raise ActivityTooLarge(
                f"the activity takes {size} bytes; a conversation holds {self.conversation_bytes} at most"
            )

        def droppable() -> bool:
            return bool(conversation.entries) and conversation.entries[0] is not keep

        while droppable() and (conversation.bytes + size > self.conversation_bytes
                               or len(conversation.entries) + slots > self.max_activities):
            self._drop_oldest(conversation)
        if conversation.bytes + size > self.conversation_bytes:
            raise ActivityTooLarge(f"the updated activity does not fit in {self.conversation_bytes} bytes")
        if self.used_bytes + size > self.total_bytes:
            self._evict_idle(lambda: (max(0, self.used_bytes + size - self.total_bytes), 0), spare=conversation)
        while droppable() and self.used_bytes + size > self.total_bytes:
            self._drop_oldest(conversation)
        if self.used_bytes + size > self.total_bytes:
            raise ConversationFull("the server's storage for local Direct Line conversations is full; "
                                   "try again shortly")

    def _drop_oldest(self, conversation: Conversation) -> None:
        dropped = conversation.entries.popleft()
        conversation.first_watermark += 1
        for attachment_id in dropped.attachment_ids:
            conversation.attachments.pop(attachment_id, None)
        self._charge(conversation, -dropped.size)

    def _evict_idle(self, short: Callable[[], tuple[int, int]], spare: Conversation | None = None) -> None:
        """Remove least recently used conversations not used in the last minute while `short()`."""
        horizon = self._clock() - ACTIVE_WINDOW_S
        for candidate in list(self._conversations.values()):
            if not any(short()):
                return
            if candidate.last_used > horizon:
                return  # this one and every later one was used within the window
            if candidate is not spare:
                self._remove(candidate)

    def _retry_after_s(self) -> int:
        """Seconds until the least recently used conversation may be evicted."""
        if not self._conversations:
            return 1
        oldest = next(iter(self._conversations.values()))
        return max(1, math.ceil(oldest.last_used + ACTIVE_WINDOW_S - self._clock()))

    def _idle(self, conversation: Conversation) -> bool:
        return self._clock() - conversation.last_used >= self.idle_s

    def _charge(self, conversation: Conversation, delta: int) -> None:
        conversation.bytes += delta
        self.used_bytes += delta

    def _remove(self, conversation: Conversation) -> None:
        self._conversations.pop(conversation.id, None)
        self._charge(conversation, -conversation.bytes)
        conversation.entries.clear()
        conversation.attachments.clear()
        conversation.removed = True
        conversation.notify(CLOSED)
