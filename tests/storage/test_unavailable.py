"""An unreachable or unwritable store fails with a clear StorageError, never silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import StorageConfigError, StorageError, StorageUnavailableError, create_storage
from bot.storage.blob_store import AzureBlobStorage
from bot.storage.sqlite_store import SqliteStorage
from tests.storage.azurite import AzuriteServer, connection_string, free_port


async def test_sqlite_under_a_file_instead_of_a_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    store = SqliteStorage(blocker / "state.sqlite3")

    with pytest.raises(StorageUnavailableError, match="not-a-dir"):
        await store.write({"k": {"n": 1}})
    with pytest.raises(StorageUnavailableError):
        await store.read(["k"])
    await store.close()


async def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    store = SqliteStorage(path)

    with pytest.raises(StorageError, match=r"state\.sqlite3"):
        await store.write({"k": {"n": 1}})
    await store.close()


async def test_unserialisable_state_writes_nothing(tmp_path: Path) -> None:
    async with SqliteStorage(tmp_path / "state.sqlite3") as store:
        with pytest.raises(StorageError, match="'bad'"):
            await store.write({"good": {"n": 1}, "bad": {"n": {1, 2}, "r": _Recursive()}})
        assert await store.read(["good", "bad"]) == {}


class _Recursive:
    """jsonpickle recurses forever on an object whose property builds a new one each time."""

    @property
    def child(self) -> _Recursive:
        return _Recursive()

    def __getstate__(self) -> dict[str, object]:
        return {"child": self.child}


async def test_blob_store_with_nothing_listening() -> None:
    store = AzureBlobStorage(connection_string(free_port()), "bot-state", retry_total=0)
    try:
        with pytest.raises(StorageUnavailableError, match="Azure Blob Storage unavailable"):
            await store.read(["k"])
    finally:
        await store.close()


async def test_blob_store_after_azurite_stops_and_comes_back(tmp_path: Path) -> None:
    server = AzuriteServer(location=tmp_path / "azurite").start()
    store = AzureBlobStorage(server.connection_string, "bot-state", retry_total=0)
    try:
        await store.write({"k": {"n": 1}})
        server.stop()

        with pytest.raises(StorageUnavailableError):
            await store.read(["k"])
        with pytest.raises(StorageUnavailableError):
            await store.write({"k": {"n": 2, "e_tag": "*"}})
        with pytest.raises(StorageUnavailableError):
            await store.delete(["k"])

        server.start()  # same port, same files
        assert (await store.read(["k"]))["k"]["n"] == 1
    finally:
        await store.close()
        server.stop()


async def test_blob_store_recreates_a_vanished_container(azurite: AzuriteServer) -> None:
    store = AzureBlobStorage(azurite.connection_string, "vanishing", retry_total=0)
    try:
        await store.write({"k": {"n": 1}})
        await store._container.delete_container()

        await store.write({"k": {"n": 2}})

        assert (await store.read(["k"]))["k"]["n"] == 2
    finally:
        await store.close()


def test_unknown_storage_kind_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(StorageConfigError, match=r"BOT_STORAGE=.cosmos.*memory, sqlite, blob"):
        create_storage("cosmos", path=tmp_path)


def test_blob_without_connection_string_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(StorageConfigError, match="AZURE_STORAGE_CONNECTION_STRING"):
        create_storage("blob", path=tmp_path, blob_connection_string=None)


def test_bad_container_name_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(StorageConfigError, match="AZURE_STORAGE_CONTAINER='Bot_State'"):
        create_storage("blob", path=tmp_path, blob_connection_string="x", blob_container="Bot_State")


def test_malformed_connection_string_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(StorageConfigError, match="connection string"):
        create_storage("blob", path=tmp_path, blob_connection_string="nonsense")


def test_state_dir_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("")
    with pytest.raises(StorageConfigError, match="BOT_STATE_DIR"):
        create_storage("sqlite", path=a_file)


def test_factory_builds_each_kind(tmp_path: Path) -> None:
    sqlite = create_storage("SQLite", path=tmp_path / "data")
    blob = create_storage(
        "blob", path=tmp_path, blob_connection_string=connection_string(free_port())
    )

    assert type(create_storage("memory", path=tmp_path)).__name__ == "InMemoryStorage"
    assert isinstance(sqlite, SqliteStorage)
    assert sqlite.path == tmp_path / "data" / "state.sqlite3"
    assert isinstance(blob, AzureBlobStorage)
    assert blob.container == "bot-state"
