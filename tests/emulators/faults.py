"""Scriptable faults for the service emulators: latency, 429, 5xx, broken bodies, resets.

A FaultPlan holds a FIFO queue of one-shot faults and a list of standing rules; each
request takes the first queued fault that matches it (by path or analysis kind), else
the first matching rule, else none.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum

from aiohttp import web


class FaultKind(StrEnum):
    LATENCY = "latency"
    STATUS = "status"
    MALFORMED = "malformed"
    RESET = "reset"


@dataclass(frozen=True)
class Fault:
    """One thing to do wrong. Build with the class methods."""

    kind: FaultKind
    delay_s: float = 0.0
    status: int = 0
    retry_after: str | None = None
    match: str | None = None  # a path ("/translate") or a kind ("SentimentAnalysis")

    @classmethod
    def latency(cls, seconds: float, *, match: str | None = None) -> Fault:
        """Answer normally, but only after `seconds`."""
        return cls(FaultKind.LATENCY, delay_s=seconds, match=match)

    @classmethod
    def rate_limited(cls, retry_after: float | str = 1, *, match: str | None = None) -> Fault:
        """429 with a Retry-After header (seconds, or any string to test odd values)."""
        value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        return cls(FaultKind.STATUS, status=429, retry_after=value, match=match)

    @classmethod
    def server_error(cls, status: int = 500, *, match: str | None = None) -> Fault:
        """A 5xx with the service's error body."""
        return cls(FaultKind.STATUS, status=status, match=match)

    @classmethod
    def malformed(cls, *, match: str | None = None) -> Fault:
        """200 with a body that is not valid JSON."""
        return cls(FaultKind.MALFORMED, match=match)

    @classmethod
    def reset(cls, *, match: str | None = None) -> Fault:
        """Close the connection without answering."""
        return cls(FaultKind.RESET, match=match)

    @classmethod
    def drop(cls, after_s: float, *, match: str | None = None) -> Fault:
        """Hold the request for `after_s`, then close the connection without answering."""
        return cls(FaultKind.RESET, delay_s=after_s, match=match)

    def applies_to(self, path: str, kind: str | None) -> bool:
        return self.match is None or self.match in (path, kind)


@dataclass
class FaultPlan:
    """The faults still to inject, in order, and the rules that always apply."""

    queued: list[Fault] = field(default_factory=list)
    rules: list[Fault] = field(default_factory=list)
    injected: list[Fault] = field(default_factory=list)

    def push(self, *faults: Fault) -> None:
        """Queue one-shot faults: the next matching requests get them, in order."""
        self.queued.extend(faults)

    def always(self, fault: Fault) -> None:
        """Apply `fault` to every matching request until clear()."""
        self.rules.append(fault)

    def clear(self) -> None:
        self.queued.clear()
        self.rules.clear()

    def take(self, path: str, kind: str | None) -> Fault | None:
        """The fault for this request, consuming it if it was queued."""
        for index, fault in enumerate(self.queued):
            if fault.applies_to(path, kind):
                del self.queued[index]
                self.injected.append(fault)
                return fault
        for fault in self.rules:
            if fault.applies_to(path, kind):
                self.injected.append(fault)
                return fault
        return None


async def apply_fault(
    fault: Fault, request: web.Request, error_body: dict
) -> web.StreamResponse | None:
    """Carry out `fault`; a response means "answer with this", None means "answer normally"."""
    if fault.kind is FaultKind.LATENCY:
        await asyncio.sleep(fault.delay_s)
        return None
    if fault.kind is FaultKind.STATUS:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return web.json_response(error_body, status=fault.status, headers=headers)
    if fault.kind is FaultKind.MALFORMED:
        return web.Response(
            status=200, text='{"kind": "truncated", "results": {"documents": [',
            content_type="application/json",
        )
    # RESET: drop the socket so the client sees the connection die mid-request.
    if fault.delay_s > 0:
        await asyncio.sleep(fault.delay_s)
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=500)  # never reaches the client: the socket is gone
