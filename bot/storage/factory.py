"""Builds the configured state store from plain settings values (BOT_STORAGE and friends)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from azure.core.credentials_async import AsyncTokenCredential
from botbuilder.core import Storage

from bot.storage.errors import StorageConfigError

STORAGE_KINDS: Final = ("memory", "sqlite", "blob")
SQLITE_FILENAME: Final = "state.sqlite3"
DEFAULT_CONTAINER: Final = "bot-state"
_CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")


def create_storage(
    kind: str,
    *,
    path: str | Path,
    blob_connection_string: str | None = None,
    blob_account_url: str | None = None,
    blob_container: str = DEFAULT_CONTAINER,
    blob_credential: AsyncTokenCredential | None = None,
) -> Storage:
    """Return an unopened store; `path` is the state directory (used by "sqlite" only).

    Blob takes a connection string or, keyless, an account URL; keyless requests carry
    tokens from `blob_credential` (DefaultAzureCredential when None, made by the store).
    """
    normalised = kind.strip().lower()
    if normalised == "memory":
        from bot.storage.memory_store import InMemoryStorage

        return InMemoryStorage()
    if normalised == "sqlite":
        from bot.storage.sqlite_store import SqliteStorage

        directory = Path(path)
        if directory.exists() and not directory.is_dir():
            raise StorageConfigError(
                f"BOT_STATE_DIR={str(directory)!r} is a file; it must be a directory"
            )
        return SqliteStorage(directory / SQLITE_FILENAME)
    if normalised == "blob":
        if bool(blob_connection_string) == bool(blob_account_url):
            raise StorageConfigError(
                "BOT_STORAGE=blob needs exactly one of AZURE_STORAGE_ACCOUNT_URL (keyless: the "
                "account's blob endpoint, https://<account>.blob.core.windows.net) and "
                "AZURE_STORAGE_CONNECTION_STRING (for Azurite: UseDevelopmentStorage=true "
                "or its full connection string)"
            )
        if not _CONTAINER_NAME.match(blob_container):
            raise StorageConfigError(
                f"AZURE_STORAGE_CONTAINER={blob_container!r} is not a valid container name: "
                "3-63 lowercase letters, digits and single hyphens, starting with a letter or digit"
            )
        from bot.storage.blob_store import AzureBlobStorage

        if blob_account_url:
            return AzureBlobStorage(
                None, blob_container, account_url=blob_account_url, credential=blob_credential
            )
        return AzureBlobStorage(blob_connection_string, blob_container)
    raise StorageConfigError(
        f"BOT_STORAGE={kind!r} is not a storage kind; accepted values: {', '.join(STORAGE_KINDS)}"
    )
