"""The page's routes: the page itself, its config, the bundle (local copy or CDN), the local token."""

from __future__ import annotations

import aiohttp

from bot.app import create_app
from bot.channels.webchat.routes import WEBCHAT_CDN, WEBCHAT_VERSION, find_webchat_bundle
from tests.channels.conftest import REPO, local_only_page, require_node_package
from tests.conftest import make_settings, serve


async def test_page_config_and_bundle_are_served_locally():
    require_node_package("botframework-webchat")
    runner, base = await serve(create_app(make_settings(BOT_ANALYSIS="off", BOT_LANGUAGES="en,es,fr")))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/") as response:
                page = await response.text()
                assert response.status == 200 and "<title>Showcase Bot" in page
                assert 'id="language"' in page
            async with http.get(f"{base}/api/webchat/config") as response:
                config = await response.json()
            assert config == {"mode": "local", "botName": "Showcase Bot", "languages": ["en", "es", "fr"],
                              "webchatUrl": "/static/webchat/webchat.js"}
            async with http.get(f"{base}/static/webchat/webchat.js") as response:
                assert response.status == 200
                assert len(await response.read()) > 1_000_000
            async with http.post(f"{base}/api/directline/token") as response:
                grant = await response.json()
            assert grant["domain"] == f"{base}/v3/directline" and grant["token"] and grant["conversationId"]
    finally:
        await runner.cleanup()


def test_bundle_lookup_falls_back_to_the_pinned_cdn_when_node_modules_is_absent(tmp_path):
    require_node_package("botframework-webchat")
    assert find_webchat_bundle([tmp_path]) is None
    assert WEBCHAT_VERSION in WEBCHAT_CDN
    installed = (REPO / "node_modules" / "botframework-webchat" / "package.json").read_text()
    assert f'"version": "{WEBCHAT_VERSION}"' in installed


async def test_page_says_why_when_the_local_endpoint_is_off(browser):
    """With the endpoint off the token route is a 404 with a reason, and the page shows that reason."""
    require_node_package("botframework-webchat")
    app = create_app(make_settings(BOT_ANALYSIS="off", BOT_DIRECT_LINE_LOCAL="off"))
    runner, base = await serve(app)
    try:
        page = await local_only_page(browser)
        await page.goto(base)
        status = page.locator("#status.error")
        await status.wait_for()
        text = await status.inner_text()
        assert "/api/directline/token answered 404" in text and "BOT_DIRECT_LINE_LOCAL=off" in text
    finally:
        await runner.cleanup()
