"""A bounded (text -> embedding) cache shared by the local engines of a process.

The encoder is the one expensive step of an offline turn (~20 ms of CPU a message), and
chat text repeats: button titles, "yes", "thanks", "hi", the same question from many
users. The cache answers a repeated text without the encoder, and bridges sentiment and
the safety head within a turn (both read the same vector).

Keys are 16-byte BLAKE2b digests under a per-process random key, so the cache never holds
the text itself; values are read-only vectors, so no consumer can alter what the next
turn reads. Least recently used entries go first.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict

import numpy as np

DEFAULT_ENTRIES = 4096  # 384 float32 values each: ~6.5 MB when full


class EmbeddingCache:
    """Thread-safe LRU of embeddings by text digest; `size` entries at most."""

    def __init__(self, size: int = DEFAULT_ENTRIES) -> None:
        if size < 1:
            raise ValueError("the cache needs room for at least one embedding")
        self._size = size
        self._items: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._key = os.urandom(16)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def _digest(self, text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16, key=self._key).digest()

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

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
