"""Azure Blob (on a real Azurite): a write of several keys that conflicts writes none of them.

Blob Storage has no multi-blob transaction, so the store leases every key of a multi-key
write, each only if it still has the eTag the writer read, before writing any. These
tests put another writer (a second store, or the bare Azure SDK standing in for one)
between a turn's read and its write, on the key written first or last, and check that
nothing of the losing write was stored.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.storage.blob.aio import BlobLeaseClient, ContainerClient

from bot.storage import CREATE_ONLY_ETAG, StateConflictError, StorageUnavailableError
from bot.storage.blob_store import RESERVED_METADATA, AzureBlobStorage, blob_name
from tests.storage.azurite import AzuriteServer

CONVERSATION = "emulator/conversations/c-1"
USER = "emulator/users/u-1"  # sorts after CONVERSATION: the store reserves it second


class Blobs:
    """One container seen three ways: the store under test, a rival replica, the bare SDK."""

    def __init__(self, server: AzuriteServer) -> None:
        self.container = f"order-{uuid.uuid4().hex[:12]}"
        self.store = AzureBlobStorage(server.connection_string, self.container, retry_total=1)
        self.rival = AzureBlobStorage(server.connection_string, self.container, retry_total=1)
        self.sdk = ContainerClient.from_connection_string(server.connection_string, self.container)

    async def raw(self, key: str) -> tuple[str, bytes, dict[str, str]] | None:
        """(eTag, bytes, metadata) as the service holds them, or None."""
        blob = self.sdk.get_blob_client(blob_name(key))
        if not await blob.exists():
            return None
        downloader = await blob.download_blob()
        properties = downloader.properties
        return properties.etag, await downloader.readall(), dict(properties.metadata)

    async def close(self) -> None:
        for closeable in (self.store, self.rival, self.sdk):
            await closeable.close()


@pytest.fixture
async def blobs(azurite: AzuriteServer) -> AsyncIterator[Blobs]:
    opened = Blobs(azurite)
    yield opened
    await opened.close()


async def read_both(store: AzureBlobStorage) -> tuple[dict[str, Any], dict[str, Any]]:
    found = await store.read([CONVERSATION, USER])
    return found[CONVERSATION], found[USER]


async def test_both_keys_are_written_with_the_etags_the_service_holds(blobs: Blobs) -> None:
    conversation, user = {"turns": 1}, {"feedback": []}
    await blobs.store.write({CONVERSATION: conversation, USER: user})

    for key, item in ((CONVERSATION, conversation), (USER, user)):
        etag, _, metadata = await blobs.raw(key) or ("", b"", {})
        assert item["e_tag"] == etag  # what the caller holds is what the next write must match
        assert RESERVED_METADATA not in metadata

    conversation["turns"], user["feedback"] = 2, ["quick"]
    await blobs.store.write({CONVERSATION: conversation, USER: user})  # the eTags still match
    again_conversation, again_user = await read_both(blobs.store)
    assert again_conversation["turns"] == 2 and again_user["feedback"] == ["quick"]


@pytest.mark.parametrize("rival_key", [USER, CONVERSATION], ids=["second-key", "first-key"])
async def test_a_rival_write_between_read_and_write_leaves_the_other_key_untouched(
    blobs: Blobs, rival_key: str
) -> None:
    await blobs.store.write({CONVERSATION: {"turns": 1}, USER: {"feedback": []}})
    conversation, user = await read_both(blobs.store)
    before = {key: await blobs.raw(key) for key in (CONVERSATION, USER)}

    rival_item = (await blobs.rival.read([rival_key]))[rival_key]  # the same user elsewhere
    rival_item["rival"] = True
    await blobs.rival.write({rival_key: rival_item})

    conversation["turns"], user["feedback"] = 2, ["slow"]
    with pytest.raises(StateConflictError) as raised:
        await blobs.store.write({CONVERSATION: conversation, USER: user})

    assert raised.value.key == rival_key
    untouched = USER if rival_key == CONVERSATION else CONVERSATION
    assert await blobs.raw(untouched) == before[untouched]  # same eTag, same bytes
    stored_conversation, stored_user = await read_both(blobs.store)
    assert stored_conversation["turns"] == 1 and stored_user["feedback"] == []
    assert (await blobs.store.read([rival_key]))[rival_key]["rival"] is True


async def test_a_rival_finishing_while_the_first_key_is_reserved_still_writes_nothing(
    blobs: Blobs,
) -> None:
    """The conflict on the second key comes after the first key is leased: still nothing written."""
    await blobs.store.write({CONVERSATION: {"turns": 1}, USER: {"feedback": []}})
    conversation, user = await read_both(blobs.store)
    before = await blobs.raw(CONVERSATION)

    # The rival is mid-write on the user record: it holds the user blob's lease.
    rival_blob = blobs.sdk.get_blob_client(blob_name(USER))
    rival_lease = BlobLeaseClient(rival_blob)
    await rival_lease.acquire(lease_duration=15)
    conversation["turns"], user["feedback"] = 2, ["slow"]
    ours = asyncio.create_task(blobs.store.write({CONVERSATION: conversation, USER: user}))
    conversation_blob = blobs.sdk.get_blob_client(blob_name(CONVERSATION))
    for _ in range(1000):  # until our write has reserved the conversation and waits on the user
        if (await conversation_blob.get_blob_properties()).lease.state == "leased":
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the write never reserved the conversation record")
    await rival_blob.upload_blob(b'{"rival": true}', overwrite=True, lease=rival_lease)
    await rival_lease.release()

    with pytest.raises(StateConflictError) as raised:
        await ours

    assert raised.value.key == USER
    assert await blobs.raw(CONVERSATION) == before
    assert (await conversation_blob.get_blob_properties()).lease.state == "available"


async def test_two_new_keys_where_the_second_was_created_meanwhile_leave_no_trace(
    blobs: Blobs,
) -> None:
    await blobs.rival.write({USER: {"rival": True, "e_tag": CREATE_ONLY_ETAG}})

    with pytest.raises(StateConflictError) as raised:
        await blobs.store.write(
            {CONVERSATION: {"turns": 1, "e_tag": CREATE_ONLY_ETAG},
             USER: {"feedback": [], "e_tag": CREATE_ONLY_ETAG}}
        )

    assert raised.value.key == USER
    assert await blobs.raw(CONVERSATION) is None  # not even the placeholder is left behind
    assert await blobs.store.read([CONVERSATION]) == {}


async def test_a_crashed_writers_placeholder_reads_as_absent_and_is_taken_over(blobs: Blobs) -> None:
    await blobs.sdk.create_container()
    for key in (CONVERSATION, USER):  # what a writer that died while reserving leaves
        await blobs.sdk.upload_blob(blob_name(key), b"", metadata={RESERVED_METADATA: "1"})

    assert await blobs.store.read([CONVERSATION, USER]) == {}

    await blobs.store.write({USER: {"alone": True, "e_tag": CREATE_ONLY_ETAG}})
    await blobs.store.write({CONVERSATION: {"turns": 1, "e_tag": CREATE_ONLY_ETAG}})
    conversation, user = await read_both(blobs.store)
    assert conversation["turns"] == 1 and user["alone"] is True

    await blobs.store.delete([CONVERSATION, USER])
    for key in (CONVERSATION, USER):
        await blobs.sdk.upload_blob(blob_name(key), b"", metadata={RESERVED_METADATA: "1"})
    await blobs.store.write(
        {CONVERSATION: {"turns": 1, "e_tag": CREATE_ONLY_ETAG}, USER: {"e_tag": CREATE_ONLY_ETAG}}
    )
    assert set(await blobs.store.read([CONVERSATION, USER])) == {CONVERSATION, USER}


async def test_a_write_waits_for_another_writers_lease_and_then_conflicts(blobs: Blobs) -> None:
    await blobs.store.write({CONVERSATION: {"turns": 1}})
    conversation = (await blobs.store.read([CONVERSATION]))[CONVERSATION]
    blob = blobs.sdk.get_blob_client(blob_name(CONVERSATION))
    lease = BlobLeaseClient(blob)
    await lease.acquire(lease_duration=15)

    conversation["turns"] = 2
    ours = asyncio.create_task(blobs.store.write({CONVERSATION: conversation}))
    await asyncio.sleep(0.2)
    assert not ours.done()  # waiting, not failing on the lease
    await blob.upload_blob(b'{"turns": 7}', overwrite=True, lease=lease)
    await lease.release()

    with pytest.raises(StateConflictError):
        await ours
    assert (await blobs.store.read([CONVERSATION]))[CONVERSATION]["turns"] == 7


async def test_a_delete_waits_for_a_writers_lease(blobs: Blobs) -> None:
    await blobs.store.write({USER: {"feedback": ["x"]}})
    lease = BlobLeaseClient(blobs.sdk.get_blob_client(blob_name(USER)))
    await lease.acquire(lease_duration=15)

    deleting = asyncio.create_task(blobs.store.delete([USER]))
    await asyncio.sleep(0.2)
    assert not deleting.done()
    await lease.release()
    await deleting

    assert await blobs.raw(USER) is None


async def test_a_lease_held_too_long_is_a_conflict_for_writes_and_unavailable_for_deletes(
    azurite: AzuriteServer,
) -> None:
    container = f"order-{uuid.uuid4().hex[:12]}"
    async with (
        AzureBlobStorage(azurite.connection_string, container, lease_wait_s=0.3) as store,
        ContainerClient.from_connection_string(azurite.connection_string, container) as sdk,
    ):
        await store.write({USER: {"n": 1}})
        lease = BlobLeaseClient(sdk.get_blob_client(blob_name(USER)))
        await lease.acquire(lease_duration=15)
        try:
            with pytest.raises(StateConflictError, match="too long"):
                await store.write({USER: {"n": 2}})
            with pytest.raises(StorageUnavailableError, match="could not delete"):
                await store.delete([USER])
        finally:
            await lease.release()
        assert (await store.read([USER]))[USER]["n"] == 1
