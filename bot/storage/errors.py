"""Errors every state store raises, so callers handle one family whatever the backend."""

from __future__ import annotations


class StorageError(Exception):
    """A state store could not do what was asked."""


class StorageConfigError(StorageError, ValueError):
    """A store was configured wrongly; the message names the setting and accepted values."""


class StorageUnavailableError(StorageError):
    """The store cannot be reached or written (server down, path unwritable, disk full...)."""


class StateConflictError(StorageError):
    """A write carried an eTag that no longer matches the stored item (optimistic concurrency)."""

    def __init__(self, key: str, detail: str = "") -> None:
        message = f"state for key {key!r} was changed by another writer"
        super().__init__(f"{message}: {detail}" if detail else message)
        self.key = key


class StateSerializationError(StorageError):
    """A state item could not be turned into JSON, or stored JSON back into objects."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"state for key {key!r} could not be (de)serialised: {detail}")
        self.key = key
