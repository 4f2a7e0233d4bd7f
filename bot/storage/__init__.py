"""Durable bot state: memory, SQLite and Azure Blob stores with botbuilder's eTag contract."""

from bot.storage.codec import CREATE_ONLY_ETAG
from bot.storage.errors import (
    StateConflictError,
    StateSerializationError,
    StorageConfigError,
    StorageError,
    StorageUnavailableError,
)
from bot.storage.factory import DEFAULT_CONTAINER, SQLITE_FILENAME, STORAGE_KINDS, create_storage

__all__ = [
    "CREATE_ONLY_ETAG",
    "DEFAULT_CONTAINER",
    "SQLITE_FILENAME",
    "STORAGE_KINDS",
    "StateConflictError",
    "StateSerializationError",
    "StorageConfigError",
    "StorageError",
    "StorageUnavailableError",
    "create_storage",
]
