"""In-process store with the same eTag contract and JSON round trip as the durable stores.

botbuilder's MemoryStorage only checks eTags on items that already had one, so state
written by BotState never conflicts there; tests of concurrency need the real contract.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from botbuilder.core import Storage

from bot.storage.codec import decode_item, encode_item, etag_of, set_etag
from bot.storage.contract import check_write


class InMemoryStorage(Storage):
    """Keeps each item as JSON text plus an eTag in a dict; lost when the process ends."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, str]] = {}

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key in keys or ():
            stored = self._items.get(key)
            if stored is not None:
                document, etag = stored
                found[key] = decode_item(key, document, etag)
        return found

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise TypeError("InMemoryStorage.write: changes are required")
        encoded = {key: encode_item(key, item) for key, item in changes.items()}
        for key, item in changes.items():  # check all first: all or nothing
            current = self._items.get(key)
            check_write(key, etag_of(item), current[1] if current else None)
        for key, item in changes.items():
            etag = uuid.uuid4().hex
            self._items[key] = (encoded[key], etag)
            set_etag(item, etag)

    async def delete(self, keys: Iterable[str]) -> None:
        for key in keys or ():
            self._items.pop(key, None)

    async def close(self) -> None:
        """Nothing to release; present so every store closes the same way."""

    def __len__(self) -> int:
        return len(self._items)

