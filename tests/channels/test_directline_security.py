"""The local Direct Line endpoint against a hostile client: what is served, to whom, and how much.

Each test is one attack from the review of the endpoint, over real HTTP and WebSocket
with the real bot behind it, and what the endpoint must answer instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.channels.webchat.routes import ENDPOINT
from bot.channels.webchat.store import ConversationStore
from bot.channels.webchat.tokens import TokenError
from tests.conftest import make_settings, serve

API = "/v3/directline"
APP_ID = "6a4c1e2b-0000-4000-8000-000000000001"
SECRET = "local-secret-0123456789abcdef"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def running(app: web.Application) -> AsyncIterator[str]:
    runner, base = await serve(app)
    try:
        yield base
    finally:
        await runner.cleanup()


@asynccontextmanager
async def bot(**env: str) -> AsyncIterator[tuple[web.Application, str]]:
    app = create_app(make_settings(BOT_ANALYSIS="off", **env))
    async with running(app) as base:
        yield app, base


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def generate(http, base: str, *, headers=None, body=None) -> dict:
    async with http.post(f"{base}{API}/tokens/generate", headers=headers, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def start(http, base: str, grant: dict) -> dict:
    async with http.post(f"{base}{API}/conversations", headers=bearer(grant["token"])) as response:
        assert response.status in (200, 201), await response.text()
        return await response.json()


async def activities(http, base: str, conversation: dict) -> list[dict]:
    url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
    async with http.get(url, headers=bearer(conversation["token"])) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["activities"]


async def until(predicate, read, attempts: int = 200):
    result = None
    for _ in range(attempts):  # bounded: at most `attempts` reads, 25 ms apart
        result = await read()
        if predicate(result):
            return result
        await asyncio.sleep(0.025)
    raise AssertionError(f"condition never held; last result: {result}")


async def welcomed(http, base: str, grant: dict | None = None) -> dict:
    """A started conversation whose welcome has arrived (so no turn is still running)."""
    conversation = await start(http, base, grant or await generate(http, base))
    await until(lambda log: any(a["from"]["role"] == "bot" for a in log), lambda: activities(http, base, conversation))
    return conversation


async def post(http, base: str, conversation: dict, activity: dict) -> aiohttp.ClientResponse:
    url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
    async with http.post(url, json=activity, headers=bearer(conversation["token"])) as response:
        await response.read()
        return response


async def upload(http, base: str, conversation: dict, content: bytes, content_type: str, name: str):
    form = aiohttp.FormData()
    form.add_field("activity", json.dumps({"type": "message", "text": "a file"}),
                   content_type="application/vnd.microsoft.activity")
    form.add_field("file", content, filename=name, content_type=content_type)
    url = f"{base}{API}/conversations/{conversation['conversationId']}/upload"
    async with http.post(url, data=form, headers=bearer(conversation["token"])) as response:
        return response.status, response.headers, await response.json()


# ---- 1. not served where it must not be, and the secret -------------------------------------


@pytest.mark.parametrize("env", [
    {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-real-password"},
    {"BOT_DIRECT_LINE_LOCAL": "off"},
], ids=["app-id-set", "turned-off"])
async def test_endpoint_is_not_mounted_when_off(http, env):
    async with bot(**env) as (app, base):
        assert ENDPOINT not in app
        async with http.post(f"{base}{API}/tokens/generate") as response:
            assert response.status == 404
        async with http.get(f"{base}{API}/conversations/anything/activities") as response:
            assert response.status == 404
        async with http.post(f"{base}/api/directline/token") as response:
            assert response.status == 404
            assert "BOT_DIRECT_LINE_LOCAL" in (await response.json())["error"]
        async with http.get(f"{base}/api/webchat/config") as response:
            assert (await response.json())["mode"] == "off"


async def test_generate_needs_the_secret_when_the_bot_has_an_app_id(http):
    async with bot(MicrosoftAppId=APP_ID, MicrosoftAppPassword="x", BOT_DIRECT_LINE_LOCAL="on",
                   BOT_DIRECT_LINE_LOCAL_SECRET=SECRET) as (_, base):
        url = f"{base}{API}/tokens/generate"
        async with http.post(url) as response:
            assert response.status == 401
            assert (await response.json())["error"]["message"]
        async with http.post(url, headers=bearer("local-secret-0123456789abcdeX")) as response:
            assert response.status == 403
        async with http.post(url, headers={"Authorization": "Basic " + SECRET}) as response:
            assert response.status == 403
        async with http.post(url, headers={"Authorization": "Bearer sécret-ü".encode().decode("latin-1")}) as response:
            assert response.status == 403
        grant = await generate(http, base, headers=bearer(SECRET))
        assert grant["token"] and grant["conversationId"]


# ---- 2. user ids are the server's ---------------------------------------------------------------


async def test_user_id_in_generate_is_ignored_without_the_secret_and_posts_keep_the_tokens_user(http):
    async with bot() as (app, base):
        grant = await generate(http, base, body={"user": {"id": "victim"}})
        user = app[ENDPOINT].tokens.verify(grant["token"]).user_id
        assert user != "victim" and user.startswith("dl_")
        conversation = await welcomed(http, base, grant)
        response = await post(http, base, conversation,
                              {"type": "message", "text": "hi", "from": {"id": "victim", "name": "V"}})
        assert response.status == 200
        echo = next(a for a in await activities(http, base, conversation) if a["from"]["role"] == "user")
        assert echo["from"]["id"] == user


async def test_a_caller_with_the_secret_may_name_the_user(http):
    async with bot(BOT_DIRECT_LINE_LOCAL_SECRET=SECRET) as (app, base):
        trusted = await generate(http, base, headers=bearer(SECRET), body={"user": {"id": "dl_alice"}})
        assert app[ENDPOINT].tokens.verify(trusted["token"]).user_id == "dl_alice"
        wrong = await generate(http, base, headers=bearer("not-the-secret-at-all"), body={"user": {"id": "dl_alice"}})
        assert app[ENDPOINT].tokens.verify(wrong["token"]).user_id != "dl_alice"
        async with http.post(f"{base}{API}/tokens/generate", headers=bearer(SECRET),
                             json={"user": {"id": "<script>"}}) as response:
            assert response.status == 400


# ---- 3. rate limit ------------------------------------------------------------------------------


async def test_token_routes_answer_429_after_the_per_client_limit(http):
    async with bot(BOT_DIRECT_LINE_TOKENS_PER_MINUTE="3", BOT_DIRECT_LINE_LOCAL_SECRET=SECRET) as (_, base):
        for _ in range(2):
            await generate(http, base)
        async with http.post(f"{base}/api/directline/token") as response:
            assert response.status == 200  # the page's route spends from the same budget
        for url in (f"{base}{API}/tokens/generate", f"{base}/api/directline/token"):
            async with http.post(url) as response:
                assert response.status == 429
                assert int(response.headers["Retry-After"]) >= 1
                assert (await response.json())["error"]["code"] == "TooManyRequests"
        # a wrong secret is limited too (no free guessing); the right one is a trusted server
        async with http.post(f"{base}{API}/tokens/generate", headers=bearer("guess-0123456789")) as response:
            assert response.status == 429
        await generate(http, base, headers=bearer(SECRET))


# ---- 4. byte budgets, eviction, expiry ---------------------------------------------------------------


async def test_an_activity_over_the_conversation_budget_gets_413_and_the_conversation_goes_on(http):
    async with bot(BOT_DIRECT_LINE_CONVERSATION_BYTES="16384") as (_, base):
        conversation = await welcomed(http, base)
        response = await post(http, base, conversation, {"type": "message", "text": "x" * 20_000})
        assert response.status == 413
        assert response.headers["Content-Type"].startswith("application/json")
        for index in range(12):  # more than the budget in total: the oldest history makes room
            assert (await post(http, base, conversation, {"type": "message", "text": f"{index} " + "y" * 900})
                    ).status == 200
        log = await activities(http, base, conversation)
        assert sum(len(json.dumps(a, separators=(",", ":"), ensure_ascii=False).encode()) for a in log) <= 16384
        assert int(log[0]["id"].rpartition("|")[2]) > 0  # the welcome was dropped, watermarks went on
        assert log[-1]["from"]["role"] == "bot"  # the last reply is there


async def test_a_full_store_refuses_new_conversations_with_503_and_keeps_the_active_ones(http):
    clock = Clock()
    app = create_app(make_settings(BOT_ANALYSIS="off"))
    app[ENDPOINT].store = ConversationStore(conversation_bytes=16_384, total_bytes=1_000_000, idle_s=1800,
                                            max_conversations=3, clock=clock)
    async with running(app) as base:
        active = [await welcomed(http, base) for _ in range(3)]
        async with http.post(f"{base}{API}/tokens/generate") as response:
            assert response.status == 503
            assert 1 <= int(response.headers["Retry-After"]) <= 60
        for conversation in active:  # nobody active was pushed out
            assert await activities(http, base, conversation)
            assert (await post(http, base, conversation, {"type": "message", "text": "still here"})).status == 200
        clock.now += 61  # now the least recently used one is idle: it makes room
        await welcomed(http, base)
        url = f"{base}{API}/conversations/{active[0]['conversationId']}/activities"
        async with http.get(url, headers=bearer(active[0]["token"])) as response:
            assert response.status == 404
        assert len(await activities(http, base, active[2])) >= 2


async def test_idle_conversations_expire_and_close_their_streams(http):
    clock = Clock()
    app = create_app(make_settings(BOT_ANALYSIS="off"))
    app[ENDPOINT].store = ConversationStore(idle_s=600, clock=clock)
    async with running(app) as base:
        conversation = await welcomed(http, base)
        async with http.ws_connect(conversation["streamUrl"]) as ws:
            assert json.loads((await ws.receive(timeout=10)).data)["activities"]
            clock.now += 601
            await generate(http, base)  # any use of the store sweeps the idle ones
            closed = await ws.receive(timeout=10)
            assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
        async with http.get(url, headers=bearer(conversation["token"])) as response:
            assert response.status == 404
        assert len(app[ENDPOINT].store) == 1 and app[ENDPOINT].store.used_bytes == 0


# ---- 5. uploads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, content_type", [
    (b"<script>alert(document.cookie)</script>", "text/html"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml"),
    (b"<html><script>alert(1)</script></html>", "image/png"),  # a lie about the type
    (b"MZ\x90\x00", "application/octet-stream"),
], ids=["html", "svg", "html-claiming-png", "binary"])
async def test_uploads_of_active_or_unknown_types_get_415(http, content, content_type):
    async with bot() as (_, base):
        conversation = await welcomed(http, base)
        status, _, body = await upload(http, base, conversation, content, content_type, "x.html")
        assert status == 415 and body["error"]["code"] == "UnsupportedMediaType"
        assert not [a for a in await activities(http, base, conversation) if a.get("attachments")]


async def test_an_uploaded_image_is_served_as_a_sandboxed_download(http):
    async with bot() as (_, base):
        conversation = await welcomed(http, base)
        # as a browser sends it: the name raw in UTF-8 (a path, a right-to-left override, a tab)
        raw = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="..\\..\\ev\til'
               + "\u202e".encode() + b'gnp.exe.png"\r\nContent-Type: image/png\r\n\r\n' + PNG + b"\r\n--XyZ--\r\n")
        url = f"{base}{API}/conversations/{conversation['conversationId']}/upload"
        async with http.post(url, data=raw, headers={**bearer(conversation["token"]),
                                                      "Content-Type": "multipart/form-data; boundary=XyZ"}) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        posted = next(a for a in await activities(http, base, conversation) if a["id"] == body["id"])
        attachment = posted["attachments"][0]
        assert attachment["name"] == "evilgnp.exe.png"  # no path, no control or direction characters
        async with http.get(attachment["contentUrl"]) as response:
            assert response.status == 200 and await response.read() == PNG
            headers = response.headers
        assert headers["Content-Type"] == "image/png"
        assert headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''evilgnp.exe.png" in headers["Content-Disposition"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert headers["Cache-Control"] == "private, no-store"


async def test_an_upload_over_the_conversation_budget_gets_413(http):
    async with bot(BOT_DIRECT_LINE_CONVERSATION_BYTES="16384") as (_, base):
        conversation = await welcomed(http, base)
        status, _, body = await upload(http, base, conversation, b"a" * 20_000, "text/plain", "big.txt")
        assert status == 413 and body["error"]["message"]


async def test_json_answers_are_not_sniffable(http):
    async with bot() as (_, base):
        grant = await generate(http, base)
        async with http.post(f"{base}{API}/conversations", headers=bearer(grant["token"])) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(f"{base}{API}/conversations/x/activities") as response:
            assert response.status == 401 and response.headers["X-Content-Type-Options"] == "nosniff"


# ---- 5b. malformed tokens --------------------------------------------------------------------------------


MALFORMED = {
    "non-ascii": "tökén.sïgnature",
    "non-ascii-latin1": "\u00ff" * 40,
    "5-kb": "a" * 5_120 + "." + "b" * 43,
    "garbage": "!!!$$$***",
    "no-signature": "eyJjIjoiYSJ9",
    "bad-base64": "@@@.@@@",
    "empty-parts": ".",
    "unicode-dots": "a\u2024b",
}


@pytest.mark.parametrize("token", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_malformed_tokens_get_401_or_403_never_500(http, token):
    async with bot() as (_, base):
        conversation = await welcomed(http, base)
        conversation_url = f"{base}{API}/conversations/{conversation['conversationId']}"
        header = {"Authorization": f"Bearer {token}".encode().decode("latin-1")}
        for method, url in (("GET", f"{conversation_url}/activities"), ("POST", f"{base}{API}/tokens/refresh"),
                            ("POST", f"{base}{API}/conversations"), ("GET", conversation_url)):
            async with http.request(method, url, headers=header) as response:
                assert response.status in (401, 403), (method, url, response.status)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{conversation_url}/stream", params={"t": token})
        assert refused.value.status in (401, 403)


async def test_a_10_kb_token_is_refused_never_a_500(http):
    """Over 8 KB aiohttp's parser refuses the header line (400); below it the 2 KB cap answers 401."""
    async with bot() as (app, base):
        conversation = await welcomed(http, base)
        url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
        async with http.get(url, headers=bearer("a" * 10_240 + "." + "b" * 43)) as response:
            assert response.status in (400, 401, 403)
        huge_but_signed_shape = "a" * 10_240 + "." + "b" * 43
        with pytest.raises(TokenError):
            app[ENDPOINT].tokens.verify(huge_but_signed_shape)


# ---- 6. "delete my data" -----------------------------------------------------------------------------------


async def test_delete_my_data_erases_the_history_uploads_and_other_conversations_of_the_user(http):
    async with bot(BOT_DIRECT_LINE_LOCAL_SECRET=SECRET) as (_, base):
        same_user = {"user": {"id": "dl_erase_me"}}
        conversation = await welcomed(http, base, await generate(http, base, headers=bearer(SECRET), body=same_user))
        other = await welcomed(http, base, await generate(http, base, headers=bearer(SECRET), body=same_user))
        bystander = await welcomed(http, base)
        status, _, uploaded = await upload(http, base, conversation, b"my secret notes", "text/plain", "notes.txt")
        assert status == 200
        file_url = next(a for a in await activities(http, base, conversation)
                        if a["id"] == uploaded["id"])["attachments"][0]["contentUrl"]
        async with http.ws_connect(other["streamUrl"]) as other_stream:
            for text in ("Privacy", "Delete my data", "Yes"):
                assert (await post(http, base, conversation, {"type": "message", "text": text})).status == 200
            log = await until(lambda log: any("deleted everything" in (a.get("text") or "") for a in log),
                              lambda: activities(http, base, conversation))
            assert [a["from"]["role"] for a in log] == ["bot"]  # only the confirmation is left
            async with http.get(file_url) as response:
                assert response.status == 404
            url = f"{base}{API}/conversations/{other['conversationId']}/activities"
            async with http.get(url, headers=bearer(other["token"])) as response:
                assert response.status == 404
            message = await other_stream.receive(timeout=10)
            while message.type == aiohttp.WSMsgType.TEXT:  # the other conversation's welcome, then the close
                message = await other_stream.receive(timeout=10)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert await activities(http, base, bystander)  # another user's conversation is untouched
        assert (await post(http, base, conversation, {"type": "message", "text": "hello again"})).status == 200


# ---- what the fuzzer found: refused with a 4xx, never a 500 or a failed turn ------------------


@pytest.mark.parametrize("raw", [
    b'{"type":"message","text":"hi","value":' + b"7" * 4400 + b"}",  # int() refuses 4,300+ digits
    b'{"type":"message","text":"half \\ud800"}',  # a lone surrogate
    b'{"type":"invoke","name":"fileConsent/invoke","value":5}',  # a Teams value botbuilder can't read
], ids=["huge-number", "lone-surrogate", "bad-teams-invoke"])
async def test_activities_the_edge_refuses_are_refused_here_too(http, raw: bytes) -> None:
    async with bot() as (_, base):
        conversation = await welcomed(http, base)
        url = f"{base}{API}/conversations/{conversation['conversationId']}/activities"
        headers = {**bearer(conversation["token"]), "Content-Type": "application/json"}
        async with http.post(url, data=raw, headers=headers) as response:
            assert response.status == 400, await response.text()
        log = await activities(http, base, conversation)
        assert not any("went wrong" in (a.get("text") or "") for a in log)


async def test_a_huge_watermark_is_a_400(http) -> None:
    async with bot() as (_, base):
        conversation = await welcomed(http, base)
        url = f"{base}{API}/conversations/{conversation['conversationId']}/activities?watermark={'9' * 25}"
        async with http.get(url, headers=bearer(conversation["token"])) as response:
            assert response.status == 400


async def test_an_upload_part_header_with_a_nul_is_a_400(http) -> None:
    async with bot() as (_, base):
        conversation = await welcomed(http, base)
        body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\x00.png\"\r\n"
                b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--b--\r\n")
        url = f"{base}{API}/conversations/{conversation['conversationId']}/upload"
        headers = {**bearer(conversation["token"]), "Content-Type": "multipart/form-data; boundary=b"}
        async with http.post(url, data=body, headers=headers) as response:
            assert 400 <= response.status < 500, await response.text()
