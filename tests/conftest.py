"""Shared fixtures: test settings, a bot served on a real port, the Emulator harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from adapters.config import EngineConfig
from adapters.engines import Engines, build_engines
from adapters.fakes import FakeEngines
from bot.app import create_app
from bot.settings import Settings, load_settings
from tests.harness import Harness
from tests.storage.azurite import AzuriteNotInstalledError, AzuriteServer

FAKE_ONLY = EngineConfig(
    language_engines=("fake",), sentiment_engines=("fake",), translation_engines=("fake",),
    safety_engines=("fake",),  # the scripted fake when a test sets one, else the lexicon alone
)


def make_settings(**env: str) -> Settings:
    """Settings as the bot would read them, from an explicit environment only."""
    return load_settings({"BOT_STORAGE": "memory", **env}, dotenv=False)


@pytest.fixture
def settings() -> Settings:
    return make_settings()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def offline_bot_at() -> AsyncIterator[tuple[Harness, str]]:
    """The app on the real offline engines (the `make run` default, memory state) and its base URL."""
    settings = make_settings()
    engines = build_engines(settings.engines)
    await engines.warm_up()
    runner, url = await serve(create_app(settings, engines=engines))
    try:
        async with Harness(f"{url}/api/messages") as harness:
            yield harness, url
    finally:
        await runner.cleanup()


@pytest.fixture
def fakes() -> FakeEngines:
    """Scriptable fake engines; tests assert on what they were asked."""
    return FakeEngines()


@pytest.fixture
def engines(fakes: FakeEngines) -> Engines:
    return build_engines(FAKE_ONLY, fakes=fakes)


@pytest.fixture
async def bot_url(settings: Settings, engines: Engines) -> AsyncIterator[str]:
    runner, url = await serve(create_app(settings, engines=engines))
    yield url
    await runner.cleanup()


@pytest.fixture
async def harness(bot_url: str) -> AsyncIterator[Harness]:
    async with Harness(f"{bot_url}/api/messages") as harness:
        yield harness


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteServer]:
    """A real Azurite blob service on a free loopback port, one for the whole test session."""
    server = AzuriteServer()
    try:
        server.start()
    except AzuriteNotInstalledError as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
async def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.async_api import async_playwright

    from tests.channels.conftest import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
