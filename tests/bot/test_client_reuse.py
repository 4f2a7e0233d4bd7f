"""Hosting reuses connector clients per serviceUrl and makes user-token clients lazily."""

from __future__ import annotations

from aiohttp import web

from bot.app import RUNTIME, create_app
from bot.hosting import ReusingAuthentication
from tests.conftest import serve
from tests.harness import Harness


async def test_one_connector_client_serves_many_turns_and_is_closed_at_shutdown(settings, engines) -> None:
    app = create_app(settings, engines=engines)
    runner, url = await serve(app)
    try:
        async with Harness(f"{url}/api/messages") as harness:
            for _ in range(3):
                conversation = harness.conversation()
                await conversation.join()
                await conversation.say("hello there")
        authentication = app[RUNTIME].adapter.bot_framework_authentication
        assert isinstance(authentication, ReusingAuthentication)
        assert authentication.cached_connector_count == 1
    finally:
        await runner.cleanup()
    assert authentication.cached_connector_count == 0


async def test_user_token_client_is_not_built_for_an_ordinary_turn(settings, engines, monkeypatch) -> None:
    built: list[object] = []
    app: web.Application = create_app(settings, engines=engines)
    runner, url = await serve(app)
    try:
        inner = app[RUNTIME].adapter.bot_framework_authentication._inner
        original = inner.create_user_token_client

        async def counting(identity):
            built.append(identity)
            return await original(identity)

        monkeypatch.setattr(inner, "create_user_token_client", counting)
        async with Harness(f"{url}/api/messages") as harness:
            await harness.conversation().say("hello")
    finally:
        await runner.cleanup()
    assert built == []


async def test_the_connector_cache_is_bounded_whatever_serviceurls_clients_send(
    settings, engines, monkeypatch
) -> None:
    """With auth off a client chooses the serviceUrl: a flood of distinct ones must not grow memory."""
    import bot.hosting

    monkeypatch.setattr(bot.hosting, "MAX_CONNECTORS", 3)
    monkeypatch.setattr(bot.hosting, "EVICTED_CLOSE_DELAY_S", 0.0)
    app = create_app(settings, engines=engines)
    runner, url = await serve(app)
    try:
        async with Harness(f"{url}/api/messages") as harness:
            channel_url = harness.channel.url
            for slashes in range(1, 7):
                conversation = harness.conversation()
                # The same harness channel under six spellings of its URL: six cache keys.
                await conversation.say("hello there", serviceUrl=f"{channel_url}{'/' * slashes}")
        authentication = app[RUNTIME].adapter.bot_framework_authentication
        assert authentication.cached_connector_count == 3
    finally:
        await runner.cleanup()


async def test_replies_carry_no_cookie_a_channel_set() -> None:
    """The reply session is shared by every conversation: a Set-Cookie must not come back on later replies."""
    seen: list[str | None] = []

    async def channel(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        response = web.json_response({"id": "1"})
        response.set_cookie("session", "from-channel")
        return response

    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities", channel)
    runner, url = await serve(app)
    url = url.replace("127.0.0.1", "localhost")  # aiohttp's jar keeps no cookie of a bare IP address
    authentication = ReusingAuthentication(inner=None)  # the session needs nothing from the inner authentication
    try:
        session = authentication.session()
        for conversation in ("a", "b"):
            async with session.post(f"{url}/v3/conversations/{conversation}/activities", json={}) as response:
                assert response.cookies["session"].value == "from-channel"
    finally:
        await authentication.session().close()
        await runner.cleanup()
    assert seen == [None, None]
