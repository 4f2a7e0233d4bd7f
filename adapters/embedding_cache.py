"""A bounded (text -> embedding) cache shared by the local engines of a process.

The encoder is the one expensive step of an offline turn (~20 ms of CPU a message), and
chat text repeats: button titles, "yes", "thanks", "hi", the same question from many
users. The cache answers a repeated text without the encoder, and bridges sentiment and
the safety head within a turn (both read the same vector).

Scoped to a conversation: a cached answer is measurably faster (no encoder), so a cache
shared by everyone would tell any user, by the reply's timing, whether someone else had
recently written a given sentence. Each turn sets its conversation as the scope
(`cache_scope`, done by bot/turn_guard.py), and a text is found only by the conversation
that sent it: a user who repeats themselves, a button tapped again, and the safety head
reading the vector sentiment computed in the same turn. Code outside a turn (tests,
benches) shares one unnamed scope.

Keys are the scope's digest and a 16-byte BLAKE2b digest of (scope, text) under a
per-process random key, so the cache never holds the text or the conversation id, and
"delete my data" can drop a conversation's entries (`forget`); values are read-only vectors, so no
consumer can alter what the next turn reads. Least recently used entries go first.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

DEFAULT_ENTRIES = 4096  # 384 float32 values each: ~6.5 MB when full

_SCOPE: ContextVar[bytes] = ContextVar("embedding_cache_scope", default=b"")


def _scope_digest(scope: str) -> bytes:
    return hashlib.blake2b(scope.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@contextmanager
def cache_scope(scope: str | None) -> Iterator[None]:
    """Within this block (and the tasks it starts), cached embeddings belong to `scope` only.

    None (an activity with no conversation) gets a scope of its own that nothing else shares.
    """
    token = _SCOPE.set(os.urandom(16) if scope is None else _scope_digest(scope))
    try:
        yield
    finally:
        _SCOPE.reset(token)


class EmbeddingCache:
    """Thread-safe LRU of embeddings by (scope, text) digest; `size` entries at most."""

    def __init__(self, size: int = DEFAULT_ENTRIES) -> None:
        if size < 1:
            raise ValueError("the cache needs room for at least one embedding")
        self._size = size
        self._items: OrderedDict[tuple[bytes, bytes], np.ndarray] = OrderedDict()  # (scope, text digest)
        self._lock = threading.Lock()
        self._key = os.urandom(16)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def _digest(self, text: str) -> tuple[bytes, bytes]:
        scope = _SCOPE.get()
        digest = hashlib.blake2b(scope, digest_size=16, key=self._key)  # scope first: fixed length
        digest.update(text.encode("utf-8", "surrogatepass"))
        return scope, digest.digest()

    def get(self, text: str) -> np.ndarray | None:
        digest = self._digest(text)
        with self._lock:
            vector = self._items.get(digest)
            if vector is None:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(digest)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        stored = np.array(vector, dtype=np.float32, copy=True)
        stored.setflags(write=False)
        digest = self._digest(text)
        with self._lock:
            self._items[digest] = stored
            self._items.move_to_end(digest)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def forget(self, scope: str) -> int:
        """Drop every entry of `scope` ("delete my data" for that conversation); returns how many."""
        digest = _scope_digest(scope)
        with self._lock:
            doomed = [key for key in self._items if key[0] == digest]
            for key in doomed:
                del self._items[key]
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
