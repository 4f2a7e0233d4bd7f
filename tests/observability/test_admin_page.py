"""The operator page /admin: absent without BOT_ADMIN_TOKEN, 401 with a wrong token, and in
headless Chromium its plots are drawn (screenshots of each plot are not blank)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator

import aiohttp
import numpy as np
import pytest
from PIL import Image

from adapters.engines import build_engines
from bot.app import create_app
from tests.channels.conftest import local_only_page, require_node_package
from tests.conftest import make_settings, serve
from tests.harness import Harness

TOKEN = "admin-token-0123456789abcdef"
PLOTS = ("turns", "languages", "sentiment", "fallbacks", "safety", "latency")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
async def admin_bot() -> AsyncIterator[str]:
    settings = make_settings(BOT_ADMIN_TOKEN=TOKEN)
    engines = build_engines(settings.engines)
    await engines.warm_up()
    runner, url = await serve(create_app(settings, engines=engines))
    yield url
    await runner.cleanup()


async def test_admin_is_not_served_without_a_token(bot_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/admin", "/admin/data", "/admin/static/admin.js"):
            async with session.get(f"{bot_url}{path}") as response:
                assert response.status == 404, path


async def test_admin_refuses_missing_and_wrong_tokens(admin_bot: str) -> None:
    wrong = {"Authorization": basic("operator", "not-the-token-at-all")}
    async with aiohttp.ClientSession() as session:
        for path in ("/admin", "/admin/data", "/admin/static/uPlot.iife.min.js"):
            for options in ({}, {"headers": wrong}, {"headers": {"Authorization": "Bearer nope-nope-nope-nope"}},
                            {"headers": {"Authorization": "Basic %%%not-base64"}}):
                async with session.get(f"{admin_bot}{path}", **options) as response:
                    assert response.status == 401, (path, options)
                    assert response.headers["WWW-Authenticate"].startswith("Basic")
        async with session.get(f"{admin_bot}/admin/data", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert response.status == 200
            data = await response.json()
        async with session.get(f"{admin_bot}/admin/static/../../settings.py",
                               headers={"Authorization": basic("x", TOKEN)}) as response:
            assert response.status == 404
    assert len(data["minutes"]) == 60
    assert set(data["plots"]) >= {"turns", "languages", "sentiment", "fallbacks", "safety", "handoffs"}


async def test_admin_page_draws_its_plots_in_chromium(admin_bot: str, browser, tmp_path) -> None:
    require_node_package("uplot")
    async with Harness(f"{admin_bot}/api/messages") as harness:
        for locale, text in (("en-US", "I love this, thank you so much"), ("es-ES", "Hola, el paquete llegó roto"),
                             ("fr-FR", "Bonjour, je suis très content")):
            await harness.conversation(locale=locale).say(text)

    page = await local_only_page(browser, http_credentials={"username": "operator", "password": TOKEN})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{admin_bot}/admin")
    await page.wait_for_selector("body[data-ready='true']")
    await page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)
    assert not errors, errors
    assert "turns in the last hour" in await page.inner_text("#status")
    for plot in PLOTS:
        canvas = page.locator(f"#plot-{plot} canvas")
        assert await canvas.count() == 1, plot
        picture = np.asarray(Image.open(io.BytesIO(await canvas.screenshot())).convert("L"), dtype=float)
        assert picture.var() > 50, f"{plot} looks blank"
    # The language plot drew one line per language, each in its own colour (axes are grey).
    legend = await page.inner_text("#plot-languages .u-legend")
    assert all(code in legend for code in ("en", "es", "fr")), legend
    languages = np.asarray(Image.open(io.BytesIO(await page.locator("#plot-languages canvas").screenshot()))
                           .convert("RGB"), dtype=int)
    strong = languages[(languages.max(axis=2) - languages.min(axis=2)) > 80]
    assert len({tuple(pixel // 32) for pixel in strong}) >= 3, "fewer than three coloured series drawn"
    assert "3 turns in the last hour" in await page.inner_text("#status")
    circuits = await page.inner_text("#circuits")
    assert "language/local: closed" in circuits


async def test_a_browser_with_a_wrong_token_gets_no_page(admin_bot: str, browser) -> None:
    page = await local_only_page(browser, http_credentials={"username": "operator", "password": "wrong-token-123456"})
    response = await page.goto(f"{admin_bot}/admin")
    assert response is not None and response.status == 401
    assert await page.locator("canvas").count() == 0
