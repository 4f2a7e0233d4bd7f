"""Servers the turn benchmark compares against: the floor and the stock echo bot.

Run as `python -m bench.targets floor|stock-echo|hosting-echo|lean --port N`; each answers every
message with one reply to the activity's serviceUrl, like a Bot Framework channel.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from bot.settings import Settings


def reply_to(activity: dict, text: str) -> tuple[str, dict]:
    """The Bot Connector URL and body of a one-message reply to `activity`, as a channel expects it."""
    url = (
        f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/"
        f"{activity['conversation']['id']}/activities/{activity['id']}"
    )
    reply = {
        "type": "message",
        "text": text,
        "conversation": activity["conversation"],
        "from": activity["recipient"],
        "recipient": activity["from"],
        "replyToId": activity["id"],
    }
    return url, reply


def floor_app() -> web.Application:
    """A bare aiohttp handler that answers each activity with one HTTP reply: the floor."""
    app = web.Application()
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def session_context(app: web.Application):
        app[session_key] = aiohttp.ClientSession()
        yield
        await app[session_key].close()

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        if activity.get("type") == "message":
            url, reply = reply_to(activity, f"Echo: {activity.get('text', '')}")
            async with request.app[session_key].post(url, json=reply) as response:
                await response.read()
        return web.Response(status=201)

    app.cleanup_ctx.append(session_context)
    app.router.add_post("/api/messages", messages)
    return app


def stock_echo_app() -> web.Application:
    """The stock botbuilder 4.17.1 echo bot: plain CloudAdapter, nothing else."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    class Config:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def hosting_echo_app(settings: Settings) -> web.Application:
    """This bot's hosting (its reader, adapter, reused connectors and reply copy) around an echo.

    botbuilder's CloudAdapter and TurnContext as `python -m bot` runs them, without the
    middleware, state, dialogs and engines: what a turn costs before the bot does anything.
    """
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext

    from bot.hosting import create_authentication
    from bot.messages import messages_handler
    from bot.turn_guard import HoldingCloudAdapter

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    adapter = HoldingCloudAdapter(create_authentication(settings))
    handler = messages_handler(adapter, EchoBot(), settings.max_body_bytes)
    app = web.Application(client_max_size=settings.max_body_bytes + 1024)
    app.router.add_post("/api/messages", handler)
    return app


LEAN_TRANSCRIPT = 40  # lines kept per conversation, as the bot keeps (dialogs/state.py)


def lean_app(settings: Settings) -> web.Application:
    """This bot's safety engines, store and reply on a bare aiohttp handler: no botbuilder at all.

    A reference point, not a bot: the same activity checks, the safety chain as
    `BOT_ANALYSIS=off` runs it, one read of the conversation and user records and one
    eTag-checked write of a small profile with a bounded transcript (SQLite by default), the
    turn's log line and one JSON reply; no adapter, TurnContext, middleware, state layer or
    dialogs. What is left of a turn's cost when botbuilder's turn machinery is gone.
    """
    import json
    import logging

    from adapters.embedding_cache import cache_scope
    from adapters.engines import build_safety
    from bot.activity_schema import InvalidActivity, check_activity
    from bot.heap import settle_heap_on_startup
    from bot.runtime import create_storage
    from bot.storage.codec import CREATE_ONLY_ETAG, ETAG_FIELD

    log = logging.getLogger("bench.lean")
    safety = build_safety(settings.engines)
    storage = create_storage(settings)
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def session_context(app: web.Application):
        app[session_key] = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        await safety.check("warming up", language="en")
        yield
        await app[session_key].close()
        await safety.close()
        await storage.close()

    async def messages(request: web.Request) -> web.Response:
        try:
            activity = json.loads(await request.read())
            check_activity(activity, max_body_text=settings.max_body_bytes)
        except (ValueError, InvalidActivity) as error:
            return web.Response(status=400, text=str(error))
        if activity["type"] != "message":
            return web.Response(status=201)
        conversation = activity["conversation"]["id"]
        text = activity.get("text") or ""
        keys = [f"{activity['channelId']}/conversations/{conversation}",
                f"{activity['channelId']}/users/{activity['from']['id']}"]
        found = await storage.read(keys)
        record = found.get(keys[0]) or {ETAG_FIELD: CREATE_ONLY_ETAG, "profile": {"turns": 0, "transcript": []}}
        with cache_scope(conversation):  # embeddings cached per conversation, as the bot does (privacy)
            verdict = await safety.check(text, language=(activity.get("locale") or "en")[:2])
        answer = "I'm here with you." if verdict.flagged else f"You said: {text}"
        profile = record["profile"]
        profile["turns"] += 1
        profile["transcript"] = [*profile["transcript"], {"role": "user", "text": text[:1000]},
                                 {"role": "bot", "text": answer}][-LEAN_TRANSCRIPT:]
        await storage.write({keys[0]: record})
        log.info("turn conversation=%s safety=%s", conversation, verdict.engine)
        url, reply = reply_to(activity, answer)
        reply.update(channelId=activity["channelId"], serviceUrl=activity["serviceUrl"])  # as the bot's replies carry
        async with request.app[session_key].post(url, json=reply) as response:
            await response.read()
        return web.Response(status=201)

    app = web.Application(client_max_size=settings.max_body_bytes + 1024)
    app.cleanup_ctx.append(session_context)
    app.on_startup.append(settle_heap_on_startup)  # after the warm-up, as `python -m bot` does
    app.router.add_post("/api/messages", messages)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=("floor", "stock-echo", "hosting-echo", "lean"))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.target in ("hosting-echo", "lean"):  # as `python -m bot` serves: its loop, log level and access log
        from bot.channels.webchat.access_log import SafeAccessLogger
        from bot.event_loop import new_event_loop
        from bot.log_setup import configure_logging
        from bot.settings import load_settings

        settings = load_settings(dotenv=False)
        configure_logging(settings.log_level)
        app = hosting_echo_app(settings) if args.target == "hosting-echo" else lean_app(settings)
        web.run_app(app, host="127.0.0.1", port=args.port, print=None,
                    access_log_class=SafeAccessLogger, loop=new_event_loop(settings.event_loop))
        return
    app = floor_app() if args.target == "floor" else stock_echo_app()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
