"""Malformed requests to /api/messages get a 4xx with a JSON reason, never a 500."""

from __future__ import annotations

import json

import pytest

from tests.harness import Harness

GOOD = {
    "type": "message",
    "text": "hi",
    "channelId": "emulator",
    "conversation": {"id": "c1"},
    "from": {"id": "u1", "role": "user"},
    "recipient": {"id": "bot", "role": "bot"},
}


def good(service_url: str, **changes: object) -> dict:
    activity = {**GOOD, "serviceUrl": service_url, **changes}
    return {key: value for key, value in activity.items() if value is not None}


async def post_raw(harness: Harness, body: bytes, content_type: str | None = "application/json"):
    assert harness.session is not None
    headers = {"Content-Type": content_type} if content_type else {}
    async with harness.session.post(harness.bot_url, data=body, headers=headers) as response:
        return response.status, response.content_type, await response.text()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"not json at all", "application/json", 400, "not valid JSON"),
        (b'{"type": "message"', "application/json", 400, "not valid JSON"),
        (b"\xff\xfe\x00", "application/json", 400, "not valid JSON"),
        (b"[1, 2, 3]", "application/json", 400, "JSON object"),
        (b'"message"', "application/json", 400, "JSON object"),
        (json.dumps(GOOD).encode(), "text/plain", 415, "Content-Type"),
        (json.dumps(GOOD).encode(), None, 415, "Content-Type"),
    ],
)
async def test_unparseable_bodies_get_a_4xx_with_a_reason(
    harness: Harness, body: bytes, content_type: str | None, status: int, reason: str
) -> None:
    got_status, got_type, text = await post_raw(harness, body, content_type)
    assert got_status == status
    assert got_type == "application/json"
    assert reason in json.loads(text)["error"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": None}, "'type'"),
        ({"type": ""}, "'type'"),
        ({"type": 42}, "'type'"),
        ({"conversation": None}, "conversation.id"),
        ({"conversation": {"name": "no id"}}, "conversation.id"),
        ({"conversation": "c1"}, "conversation.id"),
        ({"serviceUrl": None}, "serviceUrl"),
        ({"serviceUrl": "ftp://example.test"}, "serviceUrl"),
        ({"text": {"nested": True}}, "'text'"),
    ],
)
async def test_activities_missing_what_a_reply_needs_are_rejected(
    harness: Harness, changes: dict, reason: str
) -> None:
    body = json.dumps(good(harness.channel.url, **changes)).encode()
    status, _, text = await post_raw(harness, body)
    assert status == 400
    assert reason in json.loads(text)["error"]
    assert harness.channel.received == {}


async def test_a_body_over_the_size_limit_gets_413(harness: Harness) -> None:
    body = json.dumps(good(harness.channel.url, text="x" * (600 * 1024))).encode()
    status, _, text = await post_raw(harness, body)
    assert status == 413
    assert "larger than" in json.loads(text)["error"]


async def test_wrong_method_is_405(harness: Harness) -> None:
    assert harness.session is not None
    async with harness.session.get(harness.bot_url) as response:
        assert response.status == 405


async def test_a_valid_activity_after_bad_ones_still_works(harness: Harness) -> None:
    await post_raw(harness, b"garbage")
    conversation = harness.conversation()
    assert await conversation.say("hello")
