"""Mounts the Web Chat page, its token route and (locally) the Direct Line endpoint on the app.

Local mode (no `DIRECT_LINE_SECRET`, `BOT_DIRECT_LINE_LOCAL` on, the default only without
`MicrosoftAppId`): the page talks to the bot's own Direct Line endpoint. Azure mode: the page
gets a token from `POST /api/directline/token`, which exchanges the secret server-side, and
talks to Azure Direct Line. In Azure mode, or with `BOT_DIRECT_LINE_LOCAL=off`, the local
endpoint's routes are not mounted at all.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.channels.webchat.azure import SecretExchanger, TokenExchangeError
from bot.channels.webchat.directline import (
    API,
    CONNECTOR,
    NO_STORE,
    DirectLineEndpoint,
    add_directline_routes,
    enforce_rate_limit,
)
from bot.channels.webchat.gateway import BotGateway
from bot.channels.webchat.generate_auth import GeneratePolicy
from bot.channels.webchat.ratelimit import RateLimiter
from bot.channels.webchat.store import ConversationStore
from bot.channels.webchat.tokens import TokenIssuer
from bot.node_assets import find_node_asset
from bot.settings import Settings

log = logging.getLogger("bot.channels.webchat")

STATIC_DIR = Path(__file__).parent / "static"
WEBCHAT_VERSION = "4.18.1"
WEBCHAT_CDN = f"https://cdn.botframework.com/botframework-webchat/{WEBCHAT_VERSION}/webchat.js"
WEBCHAT_BUNDLE = Path("node_modules") / "botframework-webchat" / "dist" / "webchat.js"
BOT_NAME = "Showcase Bot"
# Every response under these gets `X-Content-Type-Options: nosniff` (a JSON reason is never a page).
_NOSNIFF_PREFIXES = (API, CONNECTOR, "/api/directline/", "/api/webchat/", "/static/")

# The adapter and bot Direct Line turns run on, asked for per turn (they exist once the app started).
TurnTarget = Callable[[], tuple[CloudAdapter, Bot]]

ENDPOINT = web.AppKey("webchat_directline", DirectLineEndpoint)
EXCHANGER = web.AppKey("webchat_exchanger", SecretExchanger)


def find_webchat_bundle(roots: list[Path] | None = None) -> Path | None:
    """The botframework-webchat bundle installed by `npm ci`, if there is one."""
    return find_node_asset(WEBCHAT_BUNDLE, roots)


def add_webchat_routes(app: web.Application, settings: Settings, turn_target: TurnTarget) -> None:
    """Serve `/`, `/static/...`, `/api/webchat/config`, `/api/directline/token` and Direct Line."""
    azure_mode = bool(settings.direct_line_secret)
    local_mode = not azure_mode and settings.direct_line_local
    mode = "azure" if azure_mode else "local" if local_mode else "off"
    bundle = find_webchat_bundle()
    bot_account = {"id": settings.app_id or "showcase-bot", "name": BOT_NAME, "role": "bot"}
    # One budget per client address for every route that mints a token (page and tokens/generate).
    limiter = RateLimiter(settings.direct_line_tokens_per_minute)

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def config(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mode": mode,
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
        if not azure_mode and not local_mode:
            return web.json_response(
                {"error": "the local Direct Line endpoint is off (BOT_DIRECT_LINE_LOCAL=off, or MicrosoftAppId "
                          "is set without BOT_DIRECT_LINE_LOCAL=on); set DIRECT_LINE_SECRET to use Azure Direct Line"},
                status=404, headers=NO_STORE,
            )
        enforce_rate_limit(limiter, request)
        if azure_mode:
            try:
                granted = await request.app[EXCHANGER].token()
            except TokenExchangeError as error:
                log.error("direct line token exchange failed: %s", error)
                return web.json_response(
                    {"error": "could not get a Direct Line token"}, status=502, headers=NO_STORE
                )
            return web.json_response(
                {"token": granted.token, "conversationId": granted.conversation_id,
                 "expires_in": granted.expires_in, "domain": granted.domain},
                headers=NO_STORE,
            )
        endpoint = request.app[ENDPOINT]
        conversation, issued = endpoint.new_conversation()
        return web.json_response(
            {"token": issued, "conversationId": conversation.id, "expires_in": endpoint.tokens.lifetime_s,
             "domain": f"{request.scheme}://{request.host}{API}"},
            headers=NO_STORE,
        )

    async def nosniff(request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith(_NOSNIFF_PREFIXES) or request.path == "/":
            response.headers.setdefault("X-Content-Type-Options", "nosniff")

    app.on_response_prepare.append(nosniff)
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
    if not local_mode:
        return

    gateway = BotGateway(settings.app_id)

    async def run_turn(activity: Activity) -> None:
        adapter, bot = turn_target()
        await gateway.run_turn(adapter, bot, activity)

    store = ConversationStore(
        conversation_bytes=settings.direct_line_conversation_bytes,
        total_bytes=settings.direct_line_total_bytes,
        idle_s=settings.direct_line_idle_s,
    )
    # With a Bot Service registration, minting a token is for trusted servers holding the secret.
    policy = GeneratePolicy(settings.direct_line_local_secret, secret_required=bool(settings.app_id))
    endpoint = DirectLineEndpoint(store, TokenIssuer(), gateway, run_turn, bot_account,
                                  generate_policy=policy, limiter=limiter)
    app[ENDPOINT] = endpoint

    async def endpoint_context(app: web.Application) -> AsyncIterator[None]:
        yield
        await endpoint.close()

    app.cleanup_ctx.append(endpoint_context)
    app.on_shutdown.append(endpoint.shutdown)
    add_directline_routes(app, endpoint)

