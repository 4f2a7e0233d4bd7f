"""`add_observability(app, settings)`: exporters, request spans, /metrics and the /admin page.

/metrics (Prometheus text) exists only with BOT_PROMETHEUS=on and answers only to
`Authorization: Bearer <BOT_METRICS_TOKEN>`. /admin exists only with BOT_ADMIN_TOKEN and
answers to that token as a bearer token or as the password of HTTP Basic auth (so a
browser can ask for it); its plots read /admin/data. Tokens are compared in constant time
and never logged; every response is small and bounded.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.node_assets import find_node_asset
from bot.observability.http_spans import request_span_middleware
from bot.observability.providers import Observability, start_observability
from bot.settings import Settings

OBSERVABILITY = web.AppKey("observability", Observability)
STATIC_DIR = Path(__file__).parent / "static"
UPLOT_DIR = Path("node_modules") / "uplot" / "dist"
ADMIN_FILES = {  # name -> (path, content type); nothing else is served under /admin/static
    "admin.js": (STATIC_DIR / "admin.js", "text/javascript"),
    "admin.css": (STATIC_DIR / "admin.css", "text/css"),
    "uPlot.iife.min.js": (UPLOT_DIR / "uPlot.iife.min.js", "text/javascript"),  # under node_modules
    "uPlot.min.css": (UPLOT_DIR / "uPlot.min.css", "text/css"),
}
MAX_AUTHORIZATION_CHARS = 1024
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'",
}
BASIC_REALM = 'Basic realm="Showcase Bot operator page", charset="UTF-8"'


def add_observability(app: web.Application, settings: Settings) -> None:
    """Start what the settings ask for (nothing by default) and add its routes."""
    observability = start_observability(settings)
    if observability is None:
        return
    app[OBSERVABILITY] = observability
    if observability.tracing:
        app.middlewares.append(request_span_middleware(observability.tracer_provider))

    async def shutdown(app: web.Application) -> None:
        observability.shutdown()

    app.on_cleanup.append(shutdown)
    if observability.prometheus is not None:
        app.router.add_get("/metrics", _metrics_handler(settings.metrics_token, observability))
    if observability.rolling is not None:
        _add_admin_routes(app, settings.admin_token, observability)


def _presented_token(request: web.Request, *, basic: bool) -> str | None:
    """The bearer token (or Basic password) the request carries, or None."""
    header = request.headers.get("Authorization", "")
    if not header or len(header) > MAX_AUTHORIZATION_CHARS:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if basic and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def _authorized(request: web.Request, token: str, *, basic: bool) -> bool:
    presented = _presented_token(request, basic=basic)
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


def _unauthorized(*, basic: bool) -> web.Response:
    challenge = BASIC_REALM if basic else 'Bearer realm="metrics"'
    return web.json_response(
        {"error": "unauthorized", "reason": "a valid token is needed"},
        status=401,
        headers={"WWW-Authenticate": challenge, **SECURITY_HEADERS},
    )


def _metrics_handler(token: str, observability: Observability):
    async def metrics(request: web.Request) -> web.Response:
        if not _authorized(request, token, basic=False):
            return _unauthorized(basic=False)
        body = generate_latest(observability.prometheus)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, **SECURITY_HEADERS})

    return metrics


def _add_admin_routes(app: web.Application, token: str, observability: Observability) -> None:
    rolling = observability.rolling
    assert rolling is not None
    page = (STATIC_DIR / "admin.html").read_bytes()

    def guard(request: web.Request) -> web.Response | None:
        return None if _authorized(request, token, basic=True) else _unauthorized(basic=True)

    async def admin(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        return web.Response(body=page, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)

    async def data(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        return web.Response(
            text=json.dumps(rolling.snapshot(), separators=(",", ":")),
            content_type="application/json",
            headers=SECURITY_HEADERS,
        )

    async def static(request: web.Request) -> web.StreamResponse:
        if (denied := guard(request)) is not None:
            return denied
        entry = ADMIN_FILES.get(request.match_info["name"])
        if entry is None:
            raise web.HTTPNotFound(text="no such file")
        relative, content_type = entry
        path = relative if relative.is_absolute() else find_node_asset(relative)
        if path is None or not path.is_file():
            raise web.HTTPNotFound(text="chart library missing: run `make node-deps`")
        return web.Response(body=path.read_bytes(), content_type=content_type, headers=SECURITY_HEADERS)

    app.router.add_get("/admin", admin)
    app.router.add_get("/admin/data", data)
    app.router.add_get("/admin/static/{name}", static)
