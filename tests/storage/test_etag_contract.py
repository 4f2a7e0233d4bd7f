"""Every store keeps botbuilder's Storage contract: round trip, delete, and eTag rules."""

from __future__ import annotations

import pytest
from botbuilder.core import Storage, StoreItem

from bot.storage import CREATE_ONLY_ETAG, StateConflictError


async def test_written_item_reads_back_with_an_etag(store: Storage) -> None:
    await store.write({"conv/1": {"topic": "weather", "turns": 3, "tags": ["a", "ü"]}})

    found = await store.read(["conv/1"])

    item = found["conv/1"]
    assert item["topic"] == "weather"
    assert item["turns"] == 3
    assert item["tags"] == ["a", "ü"]
    assert isinstance(item["e_tag"], str) and item["e_tag"]


async def test_read_leaves_out_missing_keys(store: Storage) -> None:
    await store.write({"present": {"x": 1}})

    found = await store.read(["present", "absent"])

    assert set(found) == {"present"}
    assert await store.read([]) == {}


async def test_delete_removes_only_the_given_keys(store: Storage) -> None:
    await store.write({"user/1": {"name": "Ana"}, "user/2": {"name": "Bo"}})

    await store.delete(["user/1", "never-written"])

    assert set(await store.read(["user/1", "user/2"])) == {"user/2"}


async def test_keys_with_channel_punctuation_stay_distinct(store: Storage) -> None:
    keys = [
        "msteams/conversations/19:abc@thread.tacv2;messageid=1",
        "msteams/conversations/19:abc@thread.tacv2;messageid=2",
        "webchat/users/a b%2F.",
    ]
    await store.write({key: {"key": key} for key in keys})

    found = await store.read(keys)

    assert {key: item["key"] for key, item in found.items()} == {key: key for key in keys}


async def test_write_puts_the_new_etag_on_the_callers_item(store: Storage) -> None:
    item = {"n": 1}
    await store.write({"k": item})

    stored = (await store.read(["k"]))["k"]

    assert item["e_tag"] == stored["e_tag"]


async def test_stale_etag_is_a_conflict_and_changes_nothing(store: Storage) -> None:
    await store.write({"k": {"n": 1}})
    first = (await store.read(["k"]))["k"]
    second = (await store.read(["k"]))["k"]
    first["n"] = 2
    await store.write({"k": first})

    second["n"] = 99
    with pytest.raises(StateConflictError) as raised:
        await store.write({"k": second})

    assert raised.value.key == "k"
    assert (await store.read(["k"]))["k"]["n"] == 2


async def test_current_etag_updates(store: Storage) -> None:
    await store.write({"k": {"n": 1}})
    item = (await store.read(["k"]))["k"]
    old_etag = item["e_tag"]
    item["n"] = 2

    await store.write({"k": item})

    stored = (await store.read(["k"]))["k"]
    assert stored["n"] == 2
    assert stored["e_tag"] != old_etag


async def test_star_etag_overwrites_whatever_is_stored(store: Storage) -> None:
    await store.write({"k": {"n": 1}})

    await store.write({"k": {"n": 5, "e_tag": "*"}})

    assert (await store.read(["k"]))["k"]["n"] == 5


async def test_item_without_etag_creates_and_overwrites(store: Storage) -> None:
    await store.write({"k": {"n": 1}})
    await store.write({"k": {"n": 2}})

    assert (await store.read(["k"]))["k"]["n"] == 2


async def test_stale_etag_after_delete_does_not_bring_data_back(store: Storage) -> None:
    await store.write({"k": {"n": 1}})
    item = (await store.read(["k"]))["k"]
    await store.delete(["k"])

    with pytest.raises(StateConflictError):
        await store.write({"k": item})

    assert await store.read(["k"]) == {}


async def test_create_only_etag_creates_once(store: Storage) -> None:
    await store.write({"k": {"n": 1, "e_tag": CREATE_ONLY_ETAG}})

    with pytest.raises(StateConflictError):
        await store.write({"k": {"n": 2, "e_tag": CREATE_ONLY_ETAG}})

    assert (await store.read(["k"]))["k"]["n"] == 1


async def test_empty_etag_is_refused(store: Storage) -> None:
    with pytest.raises(StateConflictError):
        await store.write({"k": {"n": 1, "e_tag": ""}})


async def test_store_item_objects_round_trip(store: Storage) -> None:
    await store.write({"k": StoreItem(counter=7, e_tag="*")})

    item = (await store.read(["k"]))["k"]

    assert isinstance(item, StoreItem)
    assert item.counter == 7
    assert item.e_tag not in (None, "*")
