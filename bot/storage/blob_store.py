"""Azure Blob Storage behind botbuilder's Storage interface, on azure-storage-blob's aio client.

One JSON blob per state key; the item's eTag is the blob's ETag, checked by the service
(If-Match for updates, If-None-Match: * for create-only). botbuilder-azure's BlobStorage
pins azure-storage-blob 12.7.0 and azure-cosmos 4.7.0, so this replaces it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient, LinearRetry
from botbuilder.core import Storage

from bot.storage.codec import CREATE_ONLY_ETAG, decode_item, encode_item, etag_of, set_etag
from bot.storage.contract import is_unconditional
from bot.storage.errors import (
    StateConflictError,
    StorageConfigError,
    StorageError,
    StorageUnavailableError,
)

_JSON = ContentSettings(content_type="application/json; charset=utf-8")


class AzureBlobStorage(Storage):
    """botbuilder Storage on one blob container; the container is created on first use."""

    def __init__(
        self,
        connection_string: str,
        container: str,
        *,
        retry_total: int = 3,
        connection_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        try:
            self._container = ContainerClient.from_connection_string(
                connection_string,
                container,
                # The storage SDK's own retry policy ignores retry_backoff_*; its default
                # waits 15 s + 3^n s between tries (about 85 s before an error).
                retry_policy=LinearRetry(
                    backoff=0.2, retry_total=retry_total, random_jitter_range=0.1
                ),
                connection_timeout=connection_timeout_s,
                read_timeout=read_timeout_s,
            )
        except ValueError as error:
            raise StorageConfigError(f"invalid Azure Storage connection string: {error}") from None
        self.container = container
        self._ready = False
        self._ready_lock = asyncio.Lock()

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys or ()))
        if not wanted:
            return {}
        await self._ensure_container()
        found = await asyncio.gather(*(self._read_one(key) for key in wanted))
        return {key: item for key, item in zip(wanted, found, strict=True) if item is not None}

    async def write(self, changes: Mapping[str, Any]) -> None:
        """Write each item; not atomic across keys (BotState writes one key per call)."""
        if changes is None:
            raise TypeError("AzureBlobStorage.write: changes are required")
        if not changes:
            return
        documents = {key: encode_item(key, item) for key, item in changes.items()}
        await self._ensure_container()
        for key, item in changes.items():
            try:
                new_etag = await self._write_one(key, etag_of(item), documents[key])
            except _ContainerGoneError:
                self._ready = False  # deleted behind our back (or an in-memory Azurite restarted)
                await self._ensure_container()
                new_etag = await self._write_one(key, etag_of(item), documents[key])
            set_etag(item, new_etag)

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(dict.fromkeys(keys or ()))
        if not doomed:
            return
        await self._ensure_container()
        await asyncio.gather(*(self._delete_one(key) for key in doomed))

    async def close(self) -> None:
        """Close the HTTP pipeline."""
        await self._container.close()

    async def __aenter__(self) -> AzureBlobStorage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _ensure_container(self) -> None:
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            try:
                await self._container.create_container()
            except ResourceExistsError:
                pass  # created earlier, by us or another replica
            except AzureError as error:
                raise _storage_error(f"container {self.container!r}", error) from error
            self._ready = True

    async def _read_one(self, key: str) -> Any | None:
        blob = self._container.get_blob_client(blob_name(key))
        try:
            downloader = await blob.download_blob(encoding="utf-8")
            document = await downloader.readall()
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise _storage_error(f"reading {key!r}", error) from error
        return decode_item(key, document, downloader.properties.etag)

    async def _write_one(self, key: str, requested: str | None, document: str) -> str:
        if requested == "":
            raise StateConflictError(key, "the item carries an empty eTag")
        blob = self._container.get_blob_client(blob_name(key))
        conditions: dict[str, Any]
        if is_unconditional(requested):
            conditions = {"overwrite": True}
        elif requested == CREATE_ONLY_ETAG:
            conditions = {"overwrite": False}
        else:
            conditions = {
                "overwrite": True,
                "etag": requested,
                "match_condition": MatchConditions.IfNotModified,
            }
        try:
            result = await blob.upload_blob(
                document.encode("utf-8"), content_settings=_JSON, **conditions
            )
        except ResourceExistsError as error:
            raise StateConflictError(key, "an item was created by another writer") from error
        except ResourceNotFoundError as error:
            if error.error_code == "ContainerNotFound":
                raise _ContainerGoneError from error
            raise StateConflictError(key, "the item was deleted by another writer") from error
        except ResourceModifiedError as error:
            raise StateConflictError(key, f"stale eTag {requested!r} or item deleted") from error
        except HttpResponseError as error:
            if error.status_code == 412:
                raise StateConflictError(key, f"stale eTag {requested!r}") from error
            raise _storage_error(f"writing {key!r}", error) from error
        except AzureError as error:
            raise _storage_error(f"writing {key!r}", error) from error
        return str(result["etag"])

    async def _delete_one(self, key: str) -> None:
        try:
            await self._container.delete_blob(blob_name(key))
        except ResourceNotFoundError:
            pass  # already gone is what was asked
        except AzureError as error:
            raise _storage_error(f"deleting {key!r}", error) from error


class _ContainerGoneError(Exception):
    """The container vanished after we created it; the write recreates it once."""


def blob_name(key: str) -> str:
    """Blob name for a state key: percent-encoded, so '/', ':' and '\\' cannot bite."""
    name = quote(key, safe="")
    if name.endswith("."):
        name = name[:-1] + "%2E"  # Azure drops trailing dots from blob names
    if not name or len(name) > 1024:
        raise StorageError(f"state key of length {len(key)} cannot be a blob name")
    return name


def _storage_error(action: str, error: AzureError) -> StorageError:
    """Service-side failures keep their status; transport failures mean unreachable."""
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        if error.status_code < 500 and error.status_code not in (408, 429):
            return StorageError(f"Azure Blob Storage refused {action}: {error.message}")
    return StorageUnavailableError(f"Azure Blob Storage unavailable while {action}: {error}")
