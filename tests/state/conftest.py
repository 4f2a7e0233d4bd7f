"""Fixtures for the end-to-end state tests: a shared Azurite, store settings for a bot process."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.state.stores import blob_records, sqlite_records
from tests.storage.azurite import AzuriteServer

STATE_FILE = "state.sqlite3"


@pytest.fixture(scope="session")
def state_azurite(azurite: AzuriteServer) -> AzuriteServer:
    """The session's Azurite (tests/conftest.py): one server for the storage and state tests."""
    return azurite


class StoreUnderTest:
    """The settings that point bot processes at one store, and a direct reader of that store."""

    def __init__(self, kind: str, env: dict[str, str], location: Any) -> None:
        self.kind = kind
        self.env = env
        self._location = location

    async def records(self) -> dict[str, dict[str, Any]]:
        """Every record, read without the bot's code: sqlite3 for the file, the Azure SDK for blobs."""
        if self.kind == "sqlite":
            return sqlite_records(self._location)
        connection_string, container = self._location
        return await blob_records(connection_string, container)


@pytest.fixture(params=["sqlite", "blob"])
def durable_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUnderTest:
    """A fresh SQLite directory, or a fresh container on the shared Azurite."""
    if request.param == "sqlite":
        directory = tmp_path / "data"
        env = {"BOT_STORAGE": "sqlite", "BOT_STATE_DIR": str(directory)}
        return StoreUnderTest("sqlite", env, directory / STATE_FILE)
    azurite: AzuriteServer = request.getfixturevalue("state_azurite")
    container = f"state-{uuid.uuid4().hex[:12]}"
    env = {
        "BOT_STORAGE": "blob",
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "AZURE_STORAGE_CONTAINER": container,
    }
    return StoreUnderTest("blob", env, (azurite.connection_string, container))
