"""Azure Blob Storage behind botbuilder's Storage interface, on azure-storage-blob's aio client.

One JSON blob per state key; the item's eTag is the blob's ETag, checked by the service
(If-Match for updates, If-None-Match: * for create-only). botbuilder-azure's BlobStorage
pins azure-storage-blob 12.7.0 and azure-cosmos 4.7.0, so this replaces it.

A write of several keys (a turn's conversation and user records) must not stop half-way
on a conflict: a turn re-run after a conflict would then read the first half of its own
lost attempt. Blob Storage has no multi-blob transaction, so such a write first
*reserves* every key with a blob lease, each taken only if the key still has the eTag
the turn read (an absent key is reserved by a zero-byte placeholder blob that readers
take as absent). Any conflict surfaces while reserving, before anything is written; once
every key is leased, no other writer can change them, so the writes that follow cannot
conflict. See docs/storage.md, "Azure Blob Storage".

It reaches the account with a connection string (account key, or Azurite's) or keyless,
with an account URL and Entra ID tokens (DefaultAzureCredential: a managed identity in Azure).

One module, over 300 lines: the lease protocol (reserve, write, release) must be read whole
to see that a conflict can never leave half a turn written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import ContentSettings, StorageErrorCode
from azure.storage.blob.aio import BlobClient, BlobLeaseClient, ContainerClient, LinearRetry
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

# A multi-key write holds its leases for a few round trips; Azure's shortest lease (15 s)
# is also how long a crashed writer's reservation blocks its keys.
LEASE_SECONDS = 15
# How long a writer waits for another writer's lease to go before calling it a conflict
# (or, for a delete, unavailable): longer than a lease, so a crashed writer's has expired.
LEASE_WAIT_S = LEASE_SECONDS + 5.0
_POLL_FIRST_S, _POLL_MAX_S = 0.01, 0.25
# Metadata of a placeholder blob that reserves an absent key: readers take it as absent.
RESERVED_METADATA = "showcasereserved"
_BUSY_LEASE_STATES = ("leased", "breaking")


class AzureBlobStorage(Storage):
    """botbuilder Storage on one blob container; the container is created on first use."""

    def __init__(
        self,
        connection_string: str | None,
        container: str,
        *,
        account_url: str | None = None,
        credential: AsyncTokenCredential | None = None,
        connection_verify: bool | str = True,
        retry_total: int = 3,
        connection_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        lease_wait_s: float = LEASE_WAIT_S,
    ) -> None:
        """Either a connection string (account key, or Azurite's) or a keyless `account_url`.

        Keyless, requests carry Entra ID tokens from `credential`: by default a
        DefaultAzureCredential (which picks a user-assigned identity by AZURE_CLIENT_ID),
        made and closed by this store; a given credential stays its caller's to close.
        `connection_verify` is azure-core's: a CA bundle path for a private TLS endpoint.
        """
        if (connection_string is None) == (account_url is None):
            raise StorageConfigError(
                "Azure Blob Storage needs exactly one of AZURE_STORAGE_ACCOUNT_URL (keyless) "
                "and AZURE_STORAGE_CONNECTION_STRING"
            )
        options: dict[str, Any] = {
            # The storage SDK's own retry policy ignores retry_backoff_*; its default
            # waits 15 s + 3^n s between tries (about 85 s before an error).
            "retry_policy": LinearRetry(backoff=0.2, retry_total=retry_total, random_jitter_range=0.1),
            "connection_timeout": connection_timeout_s,
            "read_timeout": read_timeout_s,
            "connection_verify": connection_verify,
        }
        self._owned_credential: AsyncTokenCredential | None = None
        if connection_string is not None:
            try:
                self._container = ContainerClient.from_connection_string(
                    connection_string, container, **options
                )
            except ValueError:
                # The SDK's message can quote the connection string, account key included.
                raise StorageConfigError(
                    "AZURE_STORAGE_CONNECTION_STRING is not a valid Azure Storage connection string"
                ) from None
        else:
            assert account_url is not None
            if not account_url.lower().startswith("https://"):
                # azure-core sends bearer tokens over TLS only (Azurite accepts them only so too).
                raise StorageConfigError(
                    f"AZURE_STORAGE_ACCOUNT_URL={account_url!r} must be an https:// URL"
                )
            if credential is None:
                from azure.identity.aio import DefaultAzureCredential

                credential = self._owned_credential = DefaultAzureCredential()
            try:
                self._container = ContainerClient(
                    account_url, container, credential=credential, **options
                )
            except ValueError as error:
                raise StorageConfigError(
                    f"AZURE_STORAGE_ACCOUNT_URL={account_url!r} is not a blob endpoint URL: {error}"
                ) from None
        self.keyless = account_url is not None
        self.container = container
        self.lease_wait_s = lease_wait_s
        self._ready = False
        self._ready_lock = asyncio.Lock()

    def __repr__(self) -> str:
        # Never the connection string, never a token.
        return f"AzureBlobStorage(container={self.container!r}, keyless={self.keyless})"

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys or ()))
        if not wanted:
            return {}
        await self._ensure_container()
        found = await asyncio.gather(*(self._read_one(key) for key in wanted))
        return {key: item for key, item in zip(wanted, found, strict=True) if item is not None}

    async def write(self, changes: Mapping[str, Any]) -> None:
        """Write every item or, on a conflict, none (see the module docstring for how)."""
        if changes is None:
            raise TypeError("AzureBlobStorage.write: changes are required")
        if not changes:
            return
        documents = {key: encode_item(key, item) for key, item in changes.items()}
        for key, item in changes.items():
            if etag_of(item) == "":
                raise StateConflictError(key, "the item carries an empty eTag")
        await self._ensure_container()
        try:
            etags = await self._write_all(changes, documents)
        except _ContainerGoneError:
            self._ready = False  # deleted behind our back (or an in-memory Azurite restarted)
            await self._ensure_container()
            etags = await self._write_all(changes, documents)
        for key, item in changes.items():
            set_etag(item, etags[key])

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(dict.fromkeys(keys or ()))
        if not doomed:
            return
        await self._ensure_container()
        await asyncio.gather(*(self._delete_one(key) for key in doomed))

    async def close(self) -> None:
        """Close the HTTP pipeline, and the credential if this store made it."""
        try:
            await self._container.close()
        finally:
            if self._owned_credential is not None:
                await self._owned_credential.close()

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
        blob = self._blob(key)
        try:
            downloader = await blob.download_blob(encoding="utf-8")
            document = await downloader.readall()
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise _storage_error(f"reading {key!r}", error) from error
        if _is_reservation(downloader.properties.metadata):
            return None  # a writer is creating it (or crashed while it did): not there yet
        return decode_item(key, document, downloader.properties.etag)

    # -- writes -------------------------------------------------------------------------

    async def _write_all(self, changes: Mapping[str, Any], documents: dict[str, str]) -> dict[str, str]:
        if len(changes) == 1:
            [(key, item)] = changes.items()
            return {key: await self._write_alone(key, etag_of(item), documents[key])}
        return await self._write_together(changes, documents)

    async def _write_alone(self, key: str, requested: str | None, document: str) -> str:
        """One key: a single conditional upload is atomic, no lease needed."""
        waiting = _Waiting(key, self.lease_wait_s)
        while True:
            try:
                if requested == CREATE_ONLY_ETAG:
                    return await self._create(key, document)
                if is_unconditional(requested):
                    return await self._upload(key, document)
                return await self._upload(key, document, etag=requested)
            except _BusyError:
                await waiting.pause()  # another writer is mid-write on this key
            except _ReservationTakenError:
                await waiting.pause()

    async def _create(self, key: str, document: str) -> str:
        """Create-only: fails if a document exists; takes over a crashed writer's reservation."""
        try:
            return await self._upload(key, document, create_only=True)
        except StateConflictError:
            reservation = await self._abandoned_reservation(key)
        try:
            return await self._upload(key, document, etag=reservation)
        except StateConflictError as error:
            raise _ReservationTakenError from error  # someone else took it first: look again

    async def _write_together(
        self, changes: Mapping[str, Any], documents: dict[str, str]
    ) -> dict[str, str]:
        """Several keys: reserve them all (the only step that can conflict), then write."""
        held: dict[str, _Lease] = {}
        etags: dict[str, str] = {}
        try:
            # One key after the other, in a fixed order, so two writers reserving
            # overlapping keys cannot each hold one lease while waiting for the other's.
            keys = sorted(changes)
            for key in keys:
                held[key] = await self._reserve(key, etag_of(changes[key]))
            results = await asyncio.gather(
                *(self._upload(key, documents[key], etag=held[key].etag, lease=held[key].client)
                  for key in keys),
                return_exceptions=True,
            )
            etags = {key: r for key, r in zip(keys, results, strict=True) if isinstance(r, str)}
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures and etags:
                # Only a transport failure or a lease lost after LEASE_SECONDS gets here.
                raise StorageUnavailableError(
                    f"Azure Blob Storage wrote {sorted(etags)} but not the rest of the same "
                    f"write: {failures[0]}"
                ) from failures[0]
            if failures:
                raise failures[0]
        finally:
            released = await asyncio.gather(
                *(self._let_go(key, lease, key in etags) for key, lease in held.items())
            )
        # Releasing a lease does not change a blob's eTag; take the service's word for it anyway.
        after = dict(zip(held, released, strict=True))
        return {key: after.get(key) or etags[key] for key in changes}

    async def _reserve(self, key: str, requested: str | None) -> _Lease:
        """A lease on `key`, taken only if the key is as the writer read it."""
        waiting = _Waiting(key, self.lease_wait_s)
        while True:
            try:
                if requested == CREATE_ONLY_ETAG:
                    return await self._lease(key, await self._placeholder(key), placeholder=True)
                if not is_unconditional(requested):
                    try:
                        return await self._lease(key, requested)
                    except _GoneError as error:
                        raise StateConflictError(key, "the item was deleted by another writer") from error
                try:
                    return await self._lease(key, None)  # overwrite whatever is there
                except _GoneError:
                    try:
                        return await self._lease(key, await self._placeholder(key), placeholder=True)
                    except StateConflictError:
                        pass  # created meanwhile: lease that instead
            except (_BusyError, _ReservationTakenError, _GoneError):
                pass
            await waiting.pause()

    async def _placeholder(self, key: str) -> str:
        """The eTag of a fresh (or a crashed writer's) placeholder reserving an absent key."""
        try:
            result = await self._blob(key).upload_blob(
                b"", overwrite=False, metadata={RESERVED_METADATA: "1"}
            )
        except ResourceExistsError:
            return await self._abandoned_reservation(key)
        except ResourceNotFoundError as error:
            raise _not_found(key, error) from error
        except AzureError as error:
            raise _storage_error(f"reserving {key!r}", error) from error
        return str(result["etag"])

    async def _abandoned_reservation(self, key: str) -> str:
        """The eTag of a placeholder nobody holds; a conflict if a document is there."""
        try:
            properties = await self._blob(key).get_blob_properties()
        except ResourceNotFoundError as error:
            gone = _not_found(key, error)
            if isinstance(gone, _ContainerGoneError):
                raise gone from error
            raise _ReservationTakenError from error  # gone again: look again
        except AzureError as error:
            raise _storage_error(f"reading {key!r}", error) from error
        if not _is_reservation(properties.metadata):
            raise StateConflictError(key, "an item was created by another writer")
        if properties.lease.state in _BUSY_LEASE_STATES:
            raise _BusyError  # another writer is creating it right now
        return str(properties.etag)

    async def _lease(self, key: str, etag: str | None, *, placeholder: bool = False) -> _Lease:
        client = BlobLeaseClient(self._blob(key))
        conditions: dict[str, Any] = {}
        if etag is not None:
            conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            await client.acquire(lease_duration=LEASE_SECONDS, **conditions)
        except ResourceExistsError as error:  # 409 LeaseAlreadyPresent
            raise _BusyError from error
        except ResourceNotFoundError as error:
            raise _not_found(key, error) from error
        except ResourceModifiedError as error:  # 412: not the eTag asked for
            if placeholder:
                raise _ReservationTakenError from error
            raise StateConflictError(key, f"stale eTag {etag!r}") from error
        except AzureError as error:
            raise _storage_error(f"reserving {key!r}", error) from error
        return _Lease(client, str(client.etag or etag), placeholder)

    async def _let_go(self, key: str, lease: _Lease, written: bool) -> str | None:
        """Release a lease (its answer carries the blob's eTag); an unwritten placeholder is deleted."""
        try:
            if lease.placeholder and not written:
                await self._blob(key).delete_blob(lease=lease.client)
                return None
            await lease.client.release()
        except AzureError:
            return None  # the lease expires by itself after LEASE_SECONDS
        return str(lease.client.etag) if lease.client.etag else None

    async def _upload(
        self,
        key: str,
        document: str,
        *,
        etag: str | None = None,
        create_only: bool = False,
        lease: BlobLeaseClient | None = None,
    ) -> str:
        conditions: dict[str, Any]
        if create_only:
            conditions = {"overwrite": False}
        elif etag is None:
            conditions = {"overwrite": True}
        else:
            conditions = {"overwrite": True, "etag": etag, "match_condition": MatchConditions.IfNotModified}
        if lease is not None:
            conditions["lease"] = lease
        try:
            result = await self._blob(key).upload_blob(
                document.encode("utf-8"), content_settings=_JSON, **conditions
            )
        except AzureError as error:
            if _lease_in_the_way(error):
                raise _BusyError from error  # another writer holds it for a multi-key write
            if isinstance(error, ResourceExistsError):
                raise StateConflictError(key, "an item was created by another writer") from error
            if isinstance(error, ResourceNotFoundError):
                if error.error_code == StorageErrorCode.CONTAINER_NOT_FOUND:
                    raise _ContainerGoneError from error
                raise StateConflictError(key, "the item was deleted by another writer") from error
            if isinstance(error, HttpResponseError) and error.status_code == 412:
                raise StateConflictError(key, f"stale eTag {etag!r} or item deleted") from error
            raise _storage_error(f"writing {key!r}", error) from error
        return str(result["etag"])

    async def _delete_one(self, key: str) -> None:
        waiting = _Waiting(key, self.lease_wait_s)
        while True:
            try:
                await self._container.delete_blob(blob_name(key))
                return
            except ResourceNotFoundError:
                return  # already gone is what was asked
            except AzureError as error:
                if not _lease_in_the_way(error):
                    raise _storage_error(f"deleting {key!r}", error) from error
            try:
                await waiting.pause()  # a writer holds it for a few round trips
            except StateConflictError as error:
                raise StorageUnavailableError(f"could not delete {key!r}: {error}") from error

    def _blob(self, key: str) -> BlobClient:
        return self._container.get_blob_client(blob_name(key))


@dataclass(frozen=True)
class _Lease:
    client: BlobLeaseClient
    etag: str  # the blob's eTag when the lease was taken
    placeholder: bool  # the key was absent: the blob is our zero-byte reservation


class _Waiting:
    """Polls, a little slower each time, until another writer's lease is gone."""

    def __init__(self, key: str, limit_s: float) -> None:
        self.key = key
        self._deadline = asyncio.get_running_loop().time() + limit_s
        self._delay = _POLL_FIRST_S

    async def pause(self) -> None:
        if asyncio.get_running_loop().time() + self._delay > self._deadline:
            raise StateConflictError(self.key, "another writer held the item for too long")
        await asyncio.sleep(self._delay)
        self._delay = min(self._delay * 2, _POLL_MAX_S)


class _ContainerGoneError(Exception):
    """The container vanished after we created it; the write recreates it once."""


class _BusyError(Exception):
    """Another writer holds a lease on the key: wait for it, then look again."""


class _ReservationTakenError(Exception):
    """Another writer took over or deleted a placeholder we meant to use: look again."""


class _GoneError(Exception):
    """The blob does not exist (a lease needs one)."""


def _not_found(key: str, error: ResourceNotFoundError) -> Exception:
    if error.error_code == StorageErrorCode.CONTAINER_NOT_FOUND:
        return _ContainerGoneError()
    return _GoneError()


def _lease_in_the_way(error: AzureError) -> bool:
    """412 LeaseIdMissing: another writer holds a lease on the blob."""
    return (
        isinstance(error, HttpResponseError)
        and error.status_code == 412
        and error.error_code == StorageErrorCode.LEASE_ID_MISSING
    )


def _is_reservation(metadata: Mapping[str, str] | None) -> bool:
    return bool(metadata) and RESERVED_METADATA in metadata  # type: ignore[operator]


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
