"""Azure mode: the page gets a token the bot exchanged server-side; the secret never leaves the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Error as PlaywrightError

from bot.app import create_app
from tests.channels.conftest import local_only_page, require_node_package
from tests.conftest import make_settings, serve

SECRET = "dl-secret-Zq9XUNIQUEqk3w"
AZURE_TOKEN = "azure-issued-token-123"


@dataclass
class FakeDirectLine:
    """Answers like Azure Direct Line's token and conversation routes, and records the calls."""

    refuse: bool = False
    calls: list[tuple[str, str, dict]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/directline/tokens/generate", self.generate)
        app.router.add_post("/v3/directline/conversations", self.conversations)
        return app

    async def generate(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        self.calls.append((request.path, request.headers.get("Authorization", ""), body))
        if self.refuse or request.headers.get("Authorization") != f"Bearer {SECRET}":
            return web.json_response({"error": {"code": "BadArgument"}}, status=403)
        return web.json_response({"conversationId": "azure-conv-1", "token": AZURE_TOKEN, "expires_in": 3600})

    async def conversations(self, request: web.Request) -> web.Response:
        self.calls.append((request.path, request.headers.get("Authorization", ""), {}))
        return web.json_response({"error": {"code": "ServiceError"}}, status=500)


@pytest.fixture
async def fake_direct_line() -> AsyncIterator[FakeDirectLine]:
    fake = FakeDirectLine()
    runner, fake.url = await serve(fake.app())
    yield fake
    await runner.cleanup()


@pytest.fixture
async def azure_bot(fake_direct_line: FakeDirectLine) -> AsyncIterator[str]:
    settings = make_settings(
        BOT_ANALYSIS="off", DIRECT_LINE_SECRET=SECRET, DIRECT_LINE_ENDPOINT=fake_direct_line.url
    )
    runner, url = await serve(create_app(settings))
    yield url
    await runner.cleanup()


async def test_token_route_exchanges_the_secret_server_side(azure_bot, fake_direct_line):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{azure_bot}/api/directline/token") as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
            text = await response.text()
            grant = await response.json()
    assert grant == {"token": AZURE_TOKEN, "conversationId": "azure-conv-1", "expires_in": 3600,
                     "domain": f"{fake_direct_line.url}/v3/directline"}
    assert SECRET not in text
    path, authorization, body = fake_direct_line.calls[0]
    assert path == "/v3/directline/tokens/generate" and authorization == f"Bearer {SECRET}"
    assert body["user"]["id"].startswith("dl_")


async def test_secret_appears_in_no_page_asset_or_error(azure_bot, fake_direct_line):
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/api/webchat/config", "/static/app/app.js", "/static/app/app.css"):
            async with http.get(f"{azure_bot}{path}") as response:
                assert response.status == 200, path
                assert SECRET not in await response.text(), path
        async with http.get(f"{azure_bot}/api/webchat/config") as response:
            assert (await response.json())["mode"] == "azure"
        fake_direct_line.refuse = True
        async with http.post(f"{azure_bot}/api/directline/token") as response:
            assert response.status == 502
            assert SECRET not in await response.text()


async def test_local_endpoint_is_not_served_in_azure_mode(azure_bot):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{azure_bot}/v3/directline/tokens/generate") as response:
            assert response.status in (404, 405)


async def test_page_talks_to_azure_direct_line_with_the_exchanged_token(browser, azure_bot, fake_direct_line):
    require_node_package("botframework-webchat")
    page = await local_only_page(browser)
    bodies: list[str] = []

    async def keep(response) -> None:
        if response.request.resource_type in ("document", "script", "fetch", "xhr"):
            try:
                bodies.append(await response.text())
            except PlaywrightError:  # a redirect or aborted response has no body to read
                pass

    page.on("response", keep)
    async with page.expect_request(lambda r: r.url.startswith(f"{fake_direct_line.url}/v3/directline/")
                                   and r.url.endswith("/conversations")) as started:
        await page.goto(azure_bot)
    request = await started.value
    assert request.headers["authorization"] == f"Bearer {AZURE_TOKEN}"
    assert bodies and not any(SECRET in body for body in bodies)
