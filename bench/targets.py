"""Servers the turn benchmark compares against: the floor and the stock echo bot.

Run as `python -m bench.targets floor|stock-echo --port N`; each answers every
message with one reply to the activity's serviceUrl, like a Bot Framework channel.
"""

from __future__ import annotations

import argparse

import aiohttp
from aiohttp import web


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=("floor", "stock-echo"))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = floor_app() if args.target == "floor" else stock_echo_app()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
