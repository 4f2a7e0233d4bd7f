"""The local Direct Line 3.0 endpoint over real HTTP and WebSocket, with the real bot behind it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import create_app
from bot.channels.webchat.routes import ENDPOINT
from bot.channels.webchat.tokens import TokenError, TokenIssuer
from tests.conftest import make_settings, serve

API = "/v3/directline"


@pytest.fixture
async def base() -> AsyncIterator[str]:
    runner, url = await serve(create_app(make_settings(BOT_ANALYSIS="off")))
    yield url
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def start(http: aiohttp.ClientSession, base: str, headers: dict[str, str] | None = None) -> dict:
    async with http.post(f"{base}{API}/tokens/generate", headers=headers) as response:
        assert response.status == 200
        grant = await response.json()
    async with http.post(f"{base}{API}/conversations", headers=bearer(grant["token"])) as response:
        assert response.status == 201
        conversation = await response.json()
    assert conversation["conversationId"] == grant["conversationId"]
    return conversation


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def activities(http, base: str, conversation: dict, watermark: str | None = None) -> dict:
    query = f"?watermark={watermark}" if watermark is not None else ""
    url = f"{base}{API}/conversations/{conversation['conversationId']}/activities{query}"
    async with http.get(url, headers=bearer(conversation["token"])) as response:
        assert response.status == 200
        return await response.json()


async def until(predicate, read, attempts: int = 100):
    """Poll `read()` until `predicate(result)`; polling stops after `attempts` reads."""
    for _ in range(attempts):
        result = await read()
        if predicate(result):
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never held; last result: {result}")


async def say(http, base: str, conversation: dict, text: str) -> str:
    url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
    body = {"type": "message", "text": text, "from": {"id": "someone-else", "name": "Ana"}, "locale": "es-ES"}
    async with http.post(url, json=body, headers=bearer(conversation["token"])) as response:
        assert response.status == 200
        return (await response.json())["id"]


async def test_start_welcomes_the_user_and_stamps_the_webchat_channel(http, base):
    conversation = await start(http, base)
    assert conversation["streamUrl"].startswith("ws://")
    assert conversation["expires_in"] > 0
    first = await until(lambda r: r["activities"], lambda: activities(http, base, conversation))
    welcome = first["activities"][0]
    assert welcome["type"] == "message" and welcome["from"]["role"] == "bot"
    assert welcome["channelId"] == "webchat"
    assert welcome["conversation"]["id"] == conversation["conversationId"]
    assert welcome["id"].startswith(conversation["conversationId"])


async def test_posted_activity_is_echoed_stamped_and_answered_after_the_watermark(http, base):
    conversation = await start(http, base)
    welcomed = await until(lambda r: r["activities"], lambda: activities(http, base, conversation))
    watermark = welcomed["watermark"]
    posted_id = await say(http, base, conversation, "Hola, ¿qué tal?")
    later = await until(lambda r: len(r["activities"]) >= 2,
                        lambda: activities(http, base, conversation, watermark))
    echo, reply = later["activities"][0], later["activities"][1]
    assert echo["id"] == posted_id and echo["text"] == "Hola, ¿qué tal?"
    assert echo["from"]["role"] == "user" and echo["from"]["id"].startswith("dl_")  # the token's user wins
    assert echo["channelId"] == "webchat" and echo["locale"] == "es-ES"
    assert reply["from"]["role"] == "bot" and reply["type"] == "message"
    assert int(later["watermark"]) > int(watermark)
    again = await activities(http, base, conversation, later["watermark"])
    assert again["activities"] == []  # nothing is delivered twice past a watermark


async def test_a_token_opens_only_its_own_conversation(http, base):
    first = await start(http, base)
    second = await start(http, base)
    foreign = f"{base}{API}/conversations/{first['conversationId']}"
    async with http.get(f"{foreign}/activities", headers=bearer(second["token"])) as response:
        assert response.status == 403
    async with http.post(f"{foreign}/activities", json={"type": "message", "text": "hi"},
                         headers=bearer(second["token"])) as response:
        assert response.status == 403
    async with http.get(f"{foreign}/activities") as response:
        assert response.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{foreign}/stream?t={second['token']}")
    assert refused.value.status == 403
    forged = first["token"][:-4] + ("AAAA" if not first["token"].endswith("AAAA") else "BBBB")
    async with http.get(f"{foreign}/activities", headers=bearer(forged)) as response:
        assert response.status == 401


async def test_stream_sends_activity_sets_once_in_order(http, base):
    conversation = await start(http, base)
    await until(lambda r: r["activities"], lambda: activities(http, base, conversation))
    async with http.ws_connect(conversation["streamUrl"]) as ws:
        await say(http, base, conversation, "one")
        await say(http, base, conversation, "two")
        received: list[dict] = []
        watermarks: list[int] = []
        while len([a for a in received if a["from"]["role"] == "bot"]) < 3:
            message = await ws.receive(timeout=10)
            if not message.data:
                continue  # keep-alive
            activity_set = json.loads(message.data)
            received.extend(activity_set["activities"])
            watermarks.append(int(activity_set["watermark"]))
    ids = [activity["id"] for activity in received]
    assert len(ids) == len(set(ids))
    assert watermarks == sorted(watermarks)
    texts = [a.get("text") for a in received if a["from"]["role"] == "user"]
    assert texts == ["one", "two"]


async def test_refresh_gives_a_new_token_for_the_same_conversation(http, base):
    conversation = await start(http, base)
    async with http.post(f"{base}{API}/tokens/refresh", headers=bearer(conversation["token"])) as response:
        assert response.status == 200
        refreshed = await response.json()
    assert refreshed["conversationId"] == conversation["conversationId"]
    assert refreshed["token"] != conversation["token"]
    assert (await activities(http, base, {**conversation, "token": refreshed["token"]}))["watermark"]


async def test_upload_stores_the_file_and_posts_an_activity_with_it(http, base):
    conversation = await start(http, base)
    form = aiohttp.FormData()
    form.add_field("activity", json.dumps({"type": "message", "text": "a file"}),
                   content_type="application/vnd.microsoft.activity")
    form.add_field("file", b"hello world", filename="hello.txt", content_type="text/plain")
    url = f"{base}{API}/conversations/{conversation['conversationId']}/upload?userId=x"
    async with http.post(url, data=form, headers=bearer(conversation["token"])) as response:
        assert response.status == 200
        posted_id = (await response.json())["id"]
    log = await activities(http, base, conversation)
    uploaded = next(a for a in log["activities"] if a["id"] == posted_id)
    attachment = uploaded["attachments"][0]
    assert attachment["name"] == "hello.txt" and attachment["contentType"] == "text/plain"
    async with http.get(attachment["contentUrl"]) as response:
        assert await response.read() == b"hello world"


async def test_connector_routes_refuse_anyone_but_the_bot(http, base):
    conversation = await start(http, base)
    url = f"{base}/directline-connector/v3/conversations/{conversation['conversationId']}/activities"
    async with http.post(url, json={"type": "message", "text": "spoofed"}) as response:
        assert response.status == 401
    async with http.post(url, json={"type": "message"}, headers=bearer(conversation["token"])) as response:
        assert response.status == 401


async def test_malformed_requests_get_4xx(http, base):
    conversation = await start(http, base)
    url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
    async with http.post(url, data=b"{not json", headers={**bearer(conversation["token"]),
                                                           "Content-Type": "application/json"}) as response:
        assert response.status == 400
    async with http.post(url, json={"text": "no type"}, headers=bearer(conversation["token"])) as response:
        assert response.status == 400
    async with http.get(f"{url}?watermark=abc", headers=bearer(conversation["token"])) as response:
        assert response.status == 400


def test_tokens_expire_and_cannot_be_refreshed_after():
    now = [1000.0]
    issuer = TokenIssuer(lifetime_s=60, clock=lambda: now[0])
    token = issuer.issue("conversation-1", "dl_user")
    assert issuer.verify(token).conversation_id == "conversation-1"
    now[0] += 61
    with pytest.raises(TokenError, match="expired"):
        issuer.verify(token)
    with pytest.raises(TokenError):
        issuer.refresh(token)


def test_tokens_from_another_process_are_rejected():
    token = TokenIssuer().issue("conversation-1", "dl_user")
    with pytest.raises(TokenError, match="invalid"):
        TokenIssuer().verify(token)


async def test_endpoint_works_when_the_bot_has_an_app_id_and_it_is_turned_on(http):
    """Turns run in-process, replies come back over loopback: no Azure AD token is ever requested."""
    secret = "local-secret-0123456789"
    settings = make_settings(BOT_ANALYSIS="off", MicrosoftAppId="6a4c1e2b-0000-4000-8000-000000000001",
                             MicrosoftAppPassword="not-a-real-password", BOT_DIRECT_LINE_LOCAL="on",
                             BOT_DIRECT_LINE_LOCAL_SECRET=secret)
    runner, base = await serve(create_app(settings))
    try:
        conversation = await start(http, base, bearer(secret))
        welcomed = await until(lambda r: r["activities"], lambda: activities(http, base, conversation))
        assert welcomed["activities"][0]["from"]["id"] == "6a4c1e2b-0000-4000-8000-000000000001"
        await say(http, base, conversation, "hello")
        later = await until(lambda r: len(r["activities"]) >= 2,
                            lambda: activities(http, base, conversation, welcomed["watermark"]))
        assert later["activities"][1]["from"]["role"] == "bot"
    finally:
        await runner.cleanup()


async def test_stream_sends_empty_keep_alives_while_idle(http):
    app = create_app(make_settings(BOT_ANALYSIS="off"))
    app[ENDPOINT].keepalive_s = 0.05
    runner, base = await serve(app)
    try:
        conversation = await start(http, base)
        data: list[str] = []
        async with http.ws_connect(conversation["streamUrl"]) as ws:
            for _ in range(400):  # bounded: at most 400 messages
                data.append((await ws.receive(timeout=10)).data)
                if "" in data and any(item for item in data):
                    break
        assert "" in data  # keep-alive
        assert json.loads(next(item for item in data if item))["activities"]  # and the welcome
    finally:
        await runner.cleanup()
