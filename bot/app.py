"""`create_app(settings)`: the aiohttp application and its routes, nothing global."""

from __future__ import annotations

from aiohttp import web
from botbuilder.core import Storage

from adapters.engines import Engines
from bot.channels.webchat.routes import ENDPOINT, add_webchat_routes
from bot.messages import messages_handler
from bot.observability import add_observability
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings

RUNTIME = web.AppKey("runtime", Runtime)
MESSAGES = web.AppKey("messages", object)


def create_app(
    settings: Settings, *, storage: Storage | None = None, engines: Engines | None = None
) -> web.Application:
    """Build the app; the runtime (adapter, bot, engines, storage) starts with the app."""
    app = web.Application(client_max_size=settings.max_body_bytes + 1024)

    async def runtime_context(app: web.Application):
        runtime = await build_runtime(settings, storage=storage, engines=engines)
        app[RUNTIME] = runtime
        if ENDPOINT in app:  # "delete my data" also forgets the local Direct Line history and uploads
            runtime.state.add_eraser(app[ENDPOINT].erase_user)
        handler = messages_handler(runtime.adapter, runtime.bot, settings.max_body_bytes)
        app[MESSAGES] = handler
        yield
        await runtime.close()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await request.app[MESSAGES](request)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(request: web.Request) -> web.Response:
        runtime = request.app[RUNTIME]
        checks = {
            "storage": await _storage_reachable(runtime.storage),
            "engines": runtime.engines is not None or not runtime.settings.analysis,
        }
        ready = all(checks.values())
        body: dict = {"status": "ready" if ready else "not ready", "checks": checks}
        if runtime.engines is not None:
            body["circuits"] = {
                capability: {metric.engine: metric.circuit for metric in metrics}
                for capability, metrics in runtime.engines.metrics().items()
            }
        return web.json_response(body, status=200 if ready else 503)

    app.cleanup_ctx.append(runtime_context)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_webchat_routes(app, settings, lambda: (app[RUNTIME].adapter, app[RUNTIME].bot))
    add_observability(app, settings)  # nothing unless OTEL_*, APPLICATIONINSIGHTS_*, BOT_PROMETHEUS or BOT_ADMIN_TOKEN
    return app


async def _storage_reachable(storage: Storage) -> bool:
    try:
        await storage.read(["readyz-probe"])
    except Exception:  # any failure to read means not ready; the reason is logged by the store
        return False
    return True
