"""Mounts the Web Chat page, its token route and (locally) the Direct Line endpoint on the app.

Local mode (no `DIRECT_LINE_SECRET`): the page talks to the bot's own Direct Line endpoint.
Azure mode: the page gets a token from `POST /api/directline/token`, which exchanges the
secret server-side, and talks to Azure Direct Line; the local endpoint is not served.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web
from botbuilder.schema import Activity

from bot.settings import Settings
from bot.webchat.azure import SecretExchanger, TokenExchangeError
from bot.webchat.directline import API, DirectLineEndpoint, add_directline_routes
from bot.webchat.gateway import BotGateway
from bot.webchat.store import ConversationStore
from bot.webchat.tokens import TokenIssuer

log = logging.getLogger("bot.webchat")

STATIC_DIR = Path(__file__).parent / "static"
WEBCHAT_VERSION = "4.18.1"
WEBCHAT_CDN = f"https://cdn.botframework.com/botframework-webchat/{WEBCHAT_VERSION}/webchat.js"
WEBCHAT_BUNDLE = Path("node_modules") / "botframework-webchat" / "dist" / "webchat.js"
BOT_NAME = "Showcase Bot"

ENDPOINT = web.AppKey("webchat_directline", DirectLineEndpoint)
EXCHANGER = web.AppKey("webchat_exchanger", SecretExchanger)


def find_webchat_bundle(roots: list[Path] | None = None) -> Path | None:
    """The botframework-webchat bundle installed by `npm ci`, if there is one."""
    candidates = roots if roots is not None else [Path.cwd(), Path(__file__).resolve().parents[2]]
    for root in candidates:
        bundle = root / WEBCHAT_BUNDLE
        if bundle.is_file():
            return bundle
    return None


def add_webchat_routes(app: web.Application, settings: Settings) -> None:
    """Serve `/`, `/static/...`, `/api/webchat/config`, `/api/directline/token` and Direct Line."""
    azure_mode = bool(settings.direct_line_secret)
    bundle = find_webchat_bundle()
    bot_account = {"id": settings.app_id or "showcase-bot", "name": BOT_NAME, "role": "bot"}

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def config(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mode": "azure" if azure_mode else "local",
                "botName": BOT_NAME,
                "languages": list(settings.languages),
                "webchatUrl": "/static/webchat/webchat.js" if bundle else WEBCHAT_CDN,
            }
        )

    async def webchat_bundle(request: web.Request) -> web.StreamResponse:
        if bundle is None:
            raise web.HTTPFound(WEBCHAT_CDN)
        return web.FileResponse(bundle, headers={"Content-Type": "application/javascript"})

    async def token(request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-store"}
        if azure_mode:
            try:
                granted = await request.app[EXCHANGER].token()
            except TokenExchangeError as error:
                log.error("direct line token exchange failed: %s", error)
                return web.json_response(
                    {"error": "could not get a Direct Line token"}, status=502, headers=headers
                )
            return web.json_response(
                {"token": granted.token, "conversationId": granted.conversation_id,
                 "expires_in": granted.expires_in, "domain": granted.domain},
                headers=headers,
            )
        endpoint = request.app[ENDPOINT]
        conversation, issued = endpoint.new_conversation()
        return web.json_response(
            {"token": issued, "conversationId": conversation.id, "expires_in": endpoint.tokens.lifetime_s,
             "domain": f"{request.scheme}://{request.host}{API}"},
            headers=headers,
        )

    app.router.add_get("/", index)
    app.router.add_get("/api/webchat/config", config)
    app.router.add_post("/api/directline/token", token)
    app.router.add_get("/static/webchat/webchat.js", webchat_bundle)
    app.router.add_static("/static/app", STATIC_DIR, show_index=False)

    if azure_mode:
        async def exchanger_context(app: web.Application) -> AsyncIterator[None]:
            async with aiohttp.ClientSession() as session:
                app[EXCHANGER] = SecretExchanger(settings.direct_line_endpoint, settings.direct_line_secret,
                                                 session)
                yield

        app.cleanup_ctx.append(exchanger_context)
        return

    gateway = BotGateway(settings.app_id)

    async def run_turn(activity: Activity) -> None:
        runtime = _runtime(app)
        await gateway.run_turn(runtime.adapter, runtime.bot, activity)

    endpoint = DirectLineEndpoint(ConversationStore(), TokenIssuer(), gateway, run_turn, bot_account)
    app[ENDPOINT] = endpoint

    async def endpoint_context(app: web.Application) -> AsyncIterator[None]:
        yield
        await endpoint.close()

    app.cleanup_ctx.append(endpoint_context)
    app.on_shutdown.append(endpoint.shutdown)
    add_directline_routes(app, endpoint)


def _runtime(app: web.Application):
    """The app's Runtime; imported here because bot.app imports this module."""
    from bot.app import RUNTIME

    return app[RUNTIME]
