"""Fixtures for the state stores: one Azurite per session, a fresh store of each kind per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from botbuilder.core import Storage

from bot.storage.blob_store import AzureBlobStorage
from bot.storage.memory_store import InMemoryStorage
from bot.storage.sqlite_store import SqliteStorage
from tests.storage.azurite import AzuriteServer

STORE_KINDS = ("memory", "sqlite", "blob")

# Opens a new handle on the same underlying data: a bot "restart" for durable stores.
StoreOpener = Callable[[], Storage]


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(
    store_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> StoreOpener:
    """Returns a function that opens a store of this test's kind on this test's data."""
    if store_kind == "memory":
        shared = InMemoryStorage()
        return lambda: shared
    if store_kind == "sqlite":
        path = tmp_path / "data" / "state.sqlite3"
        return lambda: SqliteStorage(path)
    server: AzuriteServer = request.getfixturevalue("azurite")
    container = f"t-{uuid.uuid4().hex}"
    return lambda: AzureBlobStorage(server.connection_string, container, retry_total=1)


@pytest.fixture
async def store(open_store: StoreOpener) -> AsyncIterator[Storage]:
    opened = open_store()
    yield opened
    await opened.close()  # type: ignore[attr-defined]
