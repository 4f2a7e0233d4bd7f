"""The endpoint's bounds without a server: byte budgets, eviction, expiry, the limiter, tokens, file
names, and an access log that never holds a token."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging

import aiohttp
import pytest
from aiohttp import web

import bot.__main__ as main_module
from bot.app import create_app
from bot.channels.webchat.access_log import SafeAccessLogger, loggable_path
from bot.channels.webchat.ratelimit import RateLimiter, client_key
from bot.channels.webchat.store import (
    CLOSED,
    ActivityTooLarge,
    ConversationFull,
    ConversationStore,
    StoredAttachment,
    StoreFull,
    UnknownConversation,
)
from bot.channels.webchat.tokens import MAX_TOKEN_CHARS, TokenError, TokenIssuer
from bot.channels.webchat.uploads import UploadRefused, checked_type, clean_name, download_headers
from tests.conftest import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def message(text: str) -> dict:
    return {"type": "message", "text": text}


# ---- store ------------------------------------------------------------------------------------


def test_a_conversation_over_its_budget_drops_its_oldest_activities_and_their_files():
    store = ConversationStore(conversation_bytes=4_000, total_bytes=1_000_000)
    conversation = store.create("dl_a")
    store.append(conversation, message("with a file"), {"f1": StoredAttachment("text/plain", "a.txt", b"x" * 500)})
    for index in range(20):
        store.append(conversation, message(f"{index} " + "y" * 200))
    assert conversation.bytes <= 4_000 and store.used_bytes == conversation.bytes
    assert "f1" not in conversation.attachments  # went with the activity that carried it
    assert conversation.first_watermark > 0 and conversation.watermark == 20
    assert conversation.after(-1)[0]["id"].endswith(f"{conversation.first_watermark:07d}")
    assert conversation.after(conversation.watermark) == []


def test_an_activity_larger_than_a_whole_conversation_is_refused():
    store = ConversationStore(conversation_bytes=2_000, total_bytes=1_000_000)
    conversation = store.create("dl_a")
    with pytest.raises(ActivityTooLarge):
        store.append(conversation, message("z" * 3_000))
    assert conversation.entries == type(conversation.entries)() and store.used_bytes == 0


def test_a_full_store_evicts_idle_conversations_first_and_never_active_ones():
    clock = Clock()
    store = ConversationStore(conversation_bytes=20_000, total_bytes=40_000, max_conversations=100, clock=clock)
    idle = store.create("dl_idle")
    store.append(idle, message("i" * 15_000))
    clock.now += 120
    active = store.create("dl_active")
    store.append(active, message("a" * 15_000))
    newcomer = store.create("dl_new")
    store.append(newcomer, message("n" * 15_000))  # room comes from the idle one
    with pytest.raises(UnknownConversation):
        store.get(idle.id)
    assert store.get(active.id) is active and store.used_bytes <= 40_000
    with pytest.raises(StoreFull) as full:  # the rest are active: refuse, don't evict
        store.create("dl_late")
    assert 1 <= full.value.retry_after_s <= 60
    assert store.get(active.id) is active and store.get(newcomer.id) is newcomer


def test_a_growing_conversation_uses_its_own_history_before_giving_up_with_507():
    store = ConversationStore(conversation_bytes=60_000, total_bytes=100_000)
    mine, busy = store.create("dl_mine"), store.create("dl_busy")
    store.append(mine, message("m" * 25_000))
    store.append(mine, message("m" * 25_000))
    store.append(busy, message("b" * 45_000))
    store.append(mine, message("n" * 10_000))  # the total is full and busy is active: mine's oldest goes
    assert [len(a["text"]) for a in mine.activities] == [25_000, 10_000]
    assert len(busy.activities) == 1 and store.used_bytes <= 100_000

    tight = ConversationStore(conversation_bytes=20_000, total_bytes=20_000)
    empty, full = tight.create("dl_empty"), tight.create("dl_full")
    tight.append(full, message("x" * 15_000))
    with pytest.raises(ConversationFull):  # nothing idle to evict, no history of its own to drop
        tight.append(empty, message("y" * 15_000))
    assert full.activities and not empty.activities


def test_idle_conversations_expire_on_the_next_use_and_their_streams_are_told():
    clock = Clock()
    store = ConversationStore(idle_s=600, clock=clock)
    old = store.create("dl_old")
    queue: asyncio.Queue[int] = asyncio.Queue()
    old.subscribers.add(queue)
    store.append(old, message("hello"))
    clock.now += 300
    recent = store.create("dl_recent")
    clock.now += 301
    assert store.sweep() == 1 and len(store) == 1 and store.get(recent.id) is recent
    assert store.used_bytes == 0
    assert [queue.get_nowait(), queue.get_nowait()] == [0, CLOSED]


def test_count_bounds_stay():
    store = ConversationStore(max_activities=3)
    conversation = store.create("dl_a")
    for index in range(5):
        store.append(conversation, message(str(index)))
    assert [a["text"] for a in conversation.activities] == ["2", "3", "4"]


def test_erasing_a_user_empties_this_conversation_and_removes_the_others():
    store = ConversationStore()
    here, elsewhere, stranger = store.create("dl_u"), store.create("dl_u"), store.create("dl_v")
    store.append(here, message("mine"), {"f": StoredAttachment("text/plain", "n.txt", b"notes")})
    store.append(elsewhere, message("also mine"))
    store.append(stranger, message("not mine"))
    assert store.erase_user(here.id, "dl_u") == 2
    assert here.activities == [] and here.attachments == {} and here.bytes == 0
    assert store.attachment(here.id, "f") is None
    with pytest.raises(UnknownConversation):
        store.get(elsewhere.id)
    assert store.append(here, message("next"))["id"].endswith("|0000001")  # watermarks go on
    assert stranger.activities and store.used_bytes == here.bytes + stranger.bytes


# ---- rate limiter -------------------------------------------------------------------------------


def test_the_limiter_allows_a_burst_then_the_rate_and_forgets_the_oldest_clients():
    clock = Clock()
    limiter = RateLimiter(6, burst=2, max_clients=3, clock=clock)
    assert limiter.take("a").allowed and limiter.take("a").allowed
    refused = limiter.take("a")
    assert not refused.allowed and refused.retry_after_s == 10
    clock.now += 10
    assert limiter.take("a").allowed
    for key in ("b", "c", "d"):
        limiter.take(key)
    assert len(limiter) == 3  # "a" was the least recently seen: forgotten


def test_client_key_groups_an_ipv6_client_by_its_64_and_unwraps_mapped_ipv4():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key(None) == "unknown"


# ---- tokens ---------------------------------------------------------------------------------------


def _signed(key: bytes, body: bytes) -> str:
    encoded = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(hmac.new(key, encoded.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{encoded}.{signature.decode()}"


@pytest.mark.parametrize("token", [
    "", "tökén.sig", "é" * 20, "a" * 10_240 + ".b", "a" * (MAX_TOKEN_CHARS + 1), "!!!", "a.b.c", "a..b",
    "\x00.\x00", "a" * 500 + "." + "b" * 43,
], ids=["empty", "non-ascii", "accents", "10-kb", "over-cap", "garbage", "three-parts", "empty-part", "nul",
        "unsigned"])
def test_malformed_tokens_are_token_errors(token):
    with pytest.raises(TokenError):
        TokenIssuer().verify(token)


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[1, 2]", b'{"c": "x"}', b'{"c": 1, "u": 2, "x": "soon"}'])
def test_correctly_signed_but_malformed_claims_are_token_errors(body):
    key = b"k" * 32
    with pytest.raises(TokenError):
        TokenIssuer(key=key).verify(_signed(key, body))


# ---- uploads --------------------------------------------------------------------------------------


def test_file_names_lose_paths_and_control_characters_and_headers_make_a_download():
    assert clean_name("C:\\Users\\me\\..\\résumé\u202e.pdf") == "résumé.pdf"
    assert clean_name("../../") == "file" and clean_name(None) == "file"
    assert len(clean_name("a" * 1000)) == 100
    headers = download_headers("résumé.pdf", "application/pdf")
    assert headers["Content-Disposition"] == "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    assert download_headers("a.txt", "text/plain")["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("declared, data, accepted", [
    ("image/png", b"\x89PNG\r\n\x1a\n...", "image/png"),
    ("image/jpg", b"\xff\xd8\xff\xe0", "image/jpeg"),
    ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("application/pdf; charset=binary", b"%PDF-1.7", "application/pdf"),
    ("text/plain", "héllo".encode(), "text/plain"),
])
def test_allowed_types_are_checked_by_their_first_bytes(declared, data, accepted):
    assert checked_type(declared, data) == accepted


@pytest.mark.parametrize("declared, data", [
    ("text/html", b"<p>"), ("image/svg+xml", b"<svg/>"), ("application/javascript", b"1"),
    ("image/gif", b"<html>"), ("text/plain", b"\xff\x00"), ("", b""),
])
def test_other_types_and_lies_are_415(declared, data):
    with pytest.raises(UploadRefused) as refused:
        checked_type(declared, data)
    assert refused.value.status == 415


# ---- access log ------------------------------------------------------------------------------------


def test_loggable_path_drops_the_query_and_capability_urls():
    assert loggable_path("/v3/directline/conversations/c-1/stream?t=SECRET&watermark=3") == (
        "/v3/directline/conversations/c-1/stream")
    assert loggable_path("/v3/directline/attachments/c-1/unguessable") == "/v3/directline/attachments/..."
    assert loggable_path("/a\nb") == "/a%0Ab"


async def test_the_access_log_has_no_token(caplog):
    app = create_app(make_settings(BOT_ANALYSIS="off"))
    access = logging.getLogger("test.access")
    runner = web.AppRunner(app, access_log=access, access_log_class=SafeAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        with caplog.at_level(logging.INFO, logger="test.access"):
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{base}/v3/directline/tokens/generate") as response:
                    token = (await response.json())["token"]
                headers = {"Authorization": f"Bearer {token}"}
                async with http.post(f"{base}/v3/directline/conversations", headers=headers) as response:
                    stream_url = (await response.json())["streamUrl"]
                assert "?t=" in stream_url
                async with http.ws_connect(stream_url) as ws:
                    await ws.receive(timeout=10)
                async with http.get(f"{base}/healthz?t={token}") as response:
                    assert response.status == 200
            for _ in range(100):  # the stream's line is written when it closes
                if any("/stream" in record.getMessage() for record in caplog.records):
                    break
                await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()
    lines = [record.getMessage() for record in caplog.records if record.name == "test.access"]
    assert any(line.startswith("GET /v3/directline/conversations/") and "/stream 101 " in line for line in lines)
    assert any(line.startswith("GET /healthz 200 ") for line in lines)
    assert lines and not any("t=" in line or token in line or "?" in line for line in lines)


def test_python_m_bot_serves_with_the_safe_access_log(monkeypatch):
    seen: dict = {}
    monkeypatch.setattr(main_module, "load_settings", lambda: make_settings(BOT_ANALYSIS="off"))
    monkeypatch.setattr(main_module.web, "run_app", lambda app, **options: seen.update(options))
    monkeypatch.setattr(main_module, "configure_logging", lambda level, **_: seen.update(log_level=level))
    assert main_module.main([]) == 0
    assert seen["access_log_class"] is SafeAccessLogger
    assert seen["log_level"] == "INFO"
