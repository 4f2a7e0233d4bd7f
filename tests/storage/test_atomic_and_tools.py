"""Multi-key writes are all-or-nothing where the backend allows it; Azurite's helper explains itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botbuilder.core import Storage

from bot.storage import StateConflictError
from bot.storage.memory_store import InMemoryStorage
from bot.storage.sqlite_store import SqliteStorage
from tests.storage import azurite


@pytest.fixture(params=["memory", "sqlite"])
async def transactional_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Storage]:
    store = InMemoryStorage() if request.param == "memory" else SqliteStorage(tmp_path / "s.db")
    yield store
    await store.close()


async def test_a_conflict_on_one_key_writes_no_key(transactional_store: Storage) -> None:
    store = transactional_store
    await store.write({"user": {"n": 1}, "conversation": {"n": 1}})
    user = (await store.read(["user"]))["user"]
    conversation = (await store.read(["conversation"]))["conversation"]
    conversation["e_tag"] = "stale"
    user["n"] = conversation["n"] = 2

    with pytest.raises(StateConflictError) as raised:
        await store.write({"user": user, "conversation": conversation})

    found = await store.read(["user", "conversation"])
    assert raised.value.key == "conversation"
    assert found["user"]["n"] == 1
    assert found["conversation"]["n"] == 1


def test_missing_azurite_says_to_run_npm_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(azurite, "AZURITE_BIN", tmp_path / "node_modules" / ".bin" / "azurite")

    with pytest.raises(azurite.AzuriteNotInstalledError, match="run `npm ci`"):
        azurite.AzuriteServer().start()
