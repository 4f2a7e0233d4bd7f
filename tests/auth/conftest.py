"""Fixtures: a fake Entra ID over TLS, a proxy routing Microsoft's login host to it, bots with auth on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from adapters.engines import Engines
from bot.app import create_app
from tests.auth.background import BackgroundLoop
from tests.auth.certs import make_certificates
from tests.auth.entra import FakeEntraId
from tests.auth.proxy import ConnectProxy
from tests.conftest import make_settings, serve
from tests.harness import EmulatorChannel, Harness

APP_ID = "8f1b3c4e-5a6d-4e7f-9a0b-1c2d3e4f5a6b"
APP_PASSWORD = "test-only-secret~not-a-real-one"


@dataclass
class LocalIdentity:
    """The running fake and how to reach it."""

    fake: FakeEntraId
    url: str  # https://127.0.0.1:PORT, for endpoint settings
    proxy: ConnectProxy
    ca_bundle: str


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIdentity]:
    certificates = make_certificates(tmp_path_factory.mktemp("entra-tls"))
    loop = BackgroundLoop().start()
    fake = FakeEntraId(apps={APP_ID: APP_PASSWORD})

    async def start() -> tuple[web.AppRunner, int, ConnectProxy]:
        runner = web.AppRunner(fake.app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=certificates.server_context()).start()
        port = runner.addresses[0][1]
        fake.served_at = f"127.0.0.1:{port}"
        return runner, port, await ConnectProxy(port).start()

    runner, port, proxy = loop.run(start())
    yield LocalIdentity(fake, f"https://127.0.0.1:{port}", proxy, str(certificates.ca_bundle))
    loop.run(proxy.stop())
    loop.run(runner.cleanup())
    loop.stop()


@pytest.fixture
def offline_login(identity: LocalIdentity, monkeypatch: pytest.MonkeyPatch) -> LocalIdentity:
    """Route `requests` (MSAL, botbuilder) to the fake: Microsoft's host via the proxy, CA trusted."""
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, identity.proxy.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", identity.ca_bundle)
    return identity


@dataclass
class AuthRecordingChannel(EmulatorChannel):
    """The harness's channel, also keeping the Authorization header of every reply."""

    authorizations: list[str | None] = field(default_factory=list)

    async def _receive(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        return await super()._receive(request)


def endpoint_settings(identity: LocalIdentity) -> dict[str, str]:
    """The optional endpoint settings pointed straight at the fake (no proxy involved)."""
    return {
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": f"{identity.url}/common/v2.0/.well-known/openid-configuration",
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": f"{identity.url}/botframework.com",
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
        "VALIDATE_AUTHORITY": "false",
    }


async def serve_harness(env: dict[str, str], engines: Engines) -> AsyncIterator[Harness]:
    runner, url = await serve(create_app(make_settings(**env), engines=engines))
    harness = Harness(f"{url}/api/messages")
    harness.channel = AuthRecordingChannel()
    try:
        async with harness:
            yield harness
    finally:
        await runner.cleanup()


@pytest.fixture(params=["public-cloud", "configured-endpoints"])
async def auth_harness(
    request: pytest.FixtureRequest, offline_login: LocalIdentity, engines: Engines
) -> AsyncIterator[Harness]:
    """A bot with an app id and password, on botbuilder's default endpoints or on settings."""
    env = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD}
    if request.param == "configured-endpoints":
        env |= endpoint_settings(offline_login)
    async for harness in serve_harness(env, engines):
        yield harness
