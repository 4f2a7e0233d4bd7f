"""A server span per HTTP request, parent of the turn and engine spans it leads to.

Our own few lines instead of opentelemetry-instrumentation-aiohttp-server: that one records
the full URL, and here query strings carry Direct Line stream tokens and paths carry
conversation ids. This records the method, the route *template* and the status only.
Installed only when traces are exported, so it costs nothing otherwise.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def request_span_middleware(tracer_provider: trace.TracerProvider) -> Middleware:
    tracer = tracer_provider.get_tracer("showcase_bot.http")

    @web.middleware
    async def request_span(request: web.Request, handler: Handler) -> web.StreamResponse:
        method = request.method if request.method in _METHODS else "_OTHER"
        route = _route(request)
        parent = propagate.extract(request.headers)  # a caller's W3C traceparent, if any
        span = tracer.start_span(
            f"{method} {route}", context=parent, kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route, "url.scheme": request.scheme},
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            otel_context.detach(token)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()

    return request_span
