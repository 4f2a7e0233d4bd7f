"""Per-conversation activity logs with watermarks, and their live WebSocket subscribers.

Every activity gets the next watermark of its conversation; readers ask for what comes
after a watermark, so each client sees each activity once and in order.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any


class UnknownConversation(KeyError):
    """No conversation with this id (or it was evicted)."""


@dataclass(frozen=True)
class StoredAttachment:
    """An uploaded file, served back at an unguessable URL."""

    content_type: str
    name: str
    data: bytes


@dataclass
class Conversation:
    """One Direct Line conversation: its user, log, subscribers and uploads."""

    id: str
    user_id: str
    started: bool = False
    activities: list[dict[str, Any]] = field(default_factory=list)
    subscribers: set[asyncio.Queue] = field(default_factory=set)
    attachments: dict[str, StoredAttachment] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)

    def after(self, watermark: int) -> list[dict[str, Any]]:
        """Activities with a watermark greater than `watermark` (-1 means all)."""
        return self.activities[max(watermark + 1, 0):]

    @property
    def watermark(self) -> int:
        return len(self.activities) - 1


class ConversationStore:
    """All local conversations of one process, bounded in count (least recently used go)."""

    def __init__(self, *, max_conversations: int = 10_000, max_activities: int = 2_000) -> None:
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._max_conversations = max_conversations
        self.max_activities = max_activities
        self._counter = itertools.count(1)

    def create(self, user_id: str) -> Conversation:
        conversation_id = f"{secrets.token_urlsafe(16)}-{next(self._counter)}"
        conversation = Conversation(conversation_id, user_id)
        self._conversations[conversation_id] = conversation
        while len(self._conversations) > self._max_conversations:
            self._conversations.popitem(last=False)
        return conversation

    def get(self, conversation_id: str) -> Conversation:
        try:
            conversation = self._conversations[conversation_id]
        except KeyError:
            raise UnknownConversation(conversation_id) from None
        conversation.last_used = time.monotonic()
        self._conversations.move_to_end(conversation_id)
        return conversation

    def append(self, conversation: Conversation, activity: dict[str, Any]) -> dict[str, Any]:
        """Give the activity its id and watermark, store it, and push it to every subscriber."""
        if len(conversation.activities) >= self.max_activities:
            raise OverflowError(f"conversation holds {self.max_activities} activities already")
        watermark = len(conversation.activities)
        activity["id"] = f"{conversation.id}|{watermark:07d}"
        conversation.activities.append(activity)
        for queue in conversation.subscribers:
            queue.put_nowait(watermark)
        return activity

    def replace(self, conversation: Conversation, activity_id: str, activity: dict[str, Any]) -> bool:
        """Replace a stored activity in place (an update from the bot); False if unknown."""
        for index, stored in enumerate(conversation.activities):
            if stored.get("id") == activity_id:
                conversation.activities[index] = {**activity, "id": activity_id}
                return True
        return False

    def __len__(self) -> int:
        return len(self._conversations)
