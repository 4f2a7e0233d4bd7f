"""Servers the turn benchmark compares against: the floor and the stock echo bot.

Run as `python -m bench.targets floor|stock-echo|hosting-echo --port N`; each answers every
message with one reply to the activity's serviceUrl, like a Bot Framework channel.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from bot.settings import Settings


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
            url = (
                f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/"
                f"{activity['conversation']['id']}/activities/{activity['id']}"
            )
            reply = {
                "type": "message",
                "text": f"Echo: {activity.get('text', '')}",
                "conversation": activity["conversation"],
                "from": activity["recipient"],
                "recipient": activity["from"],
                "replyToId": activity["id"],
            }
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=("floor", "stock-echo", "hosting-echo"))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.target == "hosting-echo":  # as `python -m bot` serves: its loop, log level and access log
        from bot.channels.webchat.access_log import SafeAccessLogger
        from bot.event_loop import new_event_loop
        from bot.log_setup import configure_logging
        from bot.settings import load_settings

        settings = load_settings(dotenv=False)
        configure_logging(settings.log_level)
        web.run_app(hosting_echo_app(settings), host="127.0.0.1", port=args.port, print=None,
                    access_log_class=SafeAccessLogger, loop=new_event_loop(settings.event_loop))
        return
    app = floor_app() if args.target == "floor" else stock_echo_app()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
