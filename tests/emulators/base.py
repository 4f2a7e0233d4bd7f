"""The HTTP plumbing both emulators share: a loopback server on an OS-chosen port,
a log of every request, key checking, and fault injection before the real answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.emulators.faults import FaultPlan, apply_fault

Handler = Callable[[web.Request, Any], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RecordedRequest:
    """What the emulator received, for tests to assert on."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def kind(self) -> str | None:
        return self.body.get("kind") if isinstance(self.body, dict) else None


class EmulatorServer:
    """Start with `async with`, point an SDK client at `.url`, inspect `.requests`."""

    key_header = "Ocp-Apim-Subscription-Key"

    def __init__(self, *, key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.key = key
        self.host = host
        self.port = port
        self.faults = FaultPlan()
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self._inflight: set[asyncio.Task] = set()
        self.url = ""

    # --- subclass API ---------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path, handler) triples; the handler gets (request, parsed JSON body)."""
        raise NotImplementedError

    def error_body(self, status: int, code: str, message: str) -> dict:
        """The service's JSON error envelope for a failed request."""
        raise NotImplementedError

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        for method, path, handler in self.routes():
            app.router.add_route(method, path, self._wrap(handler))
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        # Handlers held by an injected delay would keep shutdown waiting: end them now.
        for task in list(self._inflight):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    @property
    def open_connections(self) -> int:
        """Client connections that served a request and are still open."""
        return sum(not t.is_closing() for t in self._transports)

    # --- request handling -----------------------------------------------------

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            if request.transport is not None and request.transport not in self._transports:
                self._transports.append(request.transport)
            raw = await request.read()
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            recorded = RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
            )
            self.requests.append(recorded)
            fault = self.faults.take(request.path, recorded.kind)
            if fault is not None:
                task = asyncio.current_task()
                if task is not None:
                    self._inflight.add(task)
                try:
                    answer = await apply_fault(
                        fault, request, self.error_body(fault.status, str(fault.status), "Injected")
                    )
                finally:
                    if task is not None:
                        self._inflight.discard(task)
                if answer is not None:
                    return answer
            if self.key is not None and request.headers.get(self.key_header) != self.key:
                return web.json_response(
                    self.error_body(401, "401", "Access denied due to invalid subscription key."),
                    status=401,
                )
            if body is None:
                return web.json_response(
                    self.error_body(400, "InvalidRequestBodyFormat", "Request body is not JSON."),
                    status=400,
                )
            return await handler(request, body)

        return handle
