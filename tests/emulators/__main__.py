"""Run the emulators until interrupted, for trying the bot or a bench by hand.

    python -m tests.emulators --language-port 5010 --translator-port 5011 \\
        --content-safety-port 5012 --latency 0.05
    python -m tests.emulators --latency 0.1 --faults ok,latency:1,429:1,500,503,drop:0.5 \\
        --control-port 0

--faults rotates through its list, one entry per request and per emulator ("ok" answers
normally after --latency). --control-port serves GET /log (every request received, with
its arrival time) and GET /counts, so a bench can count round trips per turn; the
counts are also printed to stderr when the process is stopped (SIGINT or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter
from typing import Any

from aiohttp import web

from tests.emulators.base import EmulatorServer, RecordedRequest
from tests.emulators.content_safety import ContentSafetyEmulator
from tests.emulators.faults import Fault, FaultPlan
from tests.emulators.language import LanguageEmulator
from tests.emulators.translator import TranslatorEmulator


class FaultSpecError(ValueError):
    """A --faults entry is not one of the accepted forms."""


def parse_fault(spec: str) -> Fault | None:
    """One --faults entry -> a Fault, or None for "ok" (answer normally)."""
    name, _, value = spec.strip().partition(":")
    name = name.lower()
    try:
        if name == "ok":
            return None
        if name in ("latency", "slow"):
            return Fault.latency(float(value))
        if name == "429":
            return Fault.rate_limited(float(value) if value else 1)
        if name.isdigit() and 500 <= int(name) <= 599:
            return Fault.server_error(int(name))
        if name == "drop":
            return Fault.drop(float(value))
        if name == "reset":
            return Fault.reset()
        if name == "malformed":
            return Fault.malformed()
    except ValueError:
        pass
    raise FaultSpecError(
        f"--faults entry {spec!r}: accepted ok, latency:S, 429[:S], 5xx, drop:S, reset, malformed"
    )


class RotatingFaultPlan(FaultPlan):
    """A FaultPlan that, after its queued faults, hands out `cycle` entries in turn."""

    def __init__(self, cycle: list[Fault | None], latency: Fault | None) -> None:
        super().__init__()
        self._cycle = cycle
        self._latency = latency
        self._next = 0

    def take(self, path: str, kind: str | None) -> Fault | None:
        if self.queued:
            return super().take(path, kind)
        fault = self._cycle[self._next % len(self._cycle)]
        self._next += 1
        fault = fault if fault is not None else self._latency
        if fault is not None:
            self.injected.append(fault)
        return fault


class StampedLog(list):
    """The emulator's request list, with the arrival time of each request beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: RecordedRequest) -> None:  # type: ignore[override]
        self.times.append(time.monotonic())
        super().append(item)


def _size(request: RecordedRequest) -> int:
    """Documents (Language), inputs (Translator) or texts (Content Safety) in one request."""
    body = request.body
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if isinstance(body.get("text"), str):
            return 1
        documents = (body.get("analysisInput") or {}).get("documents")
        if isinstance(documents, list):
            return len(documents)
        inputs = body.get("inputs")
        if isinstance(inputs, list):
            return len(inputs)
    return 0


def request_log(servers: dict[str, EmulatorServer]) -> list[dict[str, Any]]:
    """Every request the emulators received, oldest first."""
    rows = []
    for service, server in servers.items():
        times = getattr(server.requests, "times", [])
        for stamp, request in zip(times, server.requests, strict=False):
            rows.append({
                "t": stamp, "service": service, "path": request.path,
                "kind": request.kind or request.path, "items": _size(request),
            })
    rows.sort(key=lambda row: row["t"])
    return rows


def counts(servers: dict[str, EmulatorServer]) -> dict[str, Any]:
    """Requests per service and kind, and faults injected per service."""
    per_kind = Counter(f"{row['service']} {row['kind']}" for row in request_log(servers))
    return {
        "total": sum(per_kind.values()),
        "requests": dict(per_kind),
        "faults": {
            name: dict(Counter(f"{f.kind}{f.status or ''}" for f in server.faults.injected))
            for name, server in servers.items()
        },
    }


async def _start_control(servers: dict[str, EmulatorServer], host: str, port: int) -> web.AppRunner:
    async def log(_: web.Request) -> web.Response:
        return web.json_response(request_log(servers))

    async def count(_: web.Request) -> web.Response:
        return web.json_response(counts(servers))

    app = web.Application()
    app.router.add_get("/log", log)
    app.router.add_get("/counts", count)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulators", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--language-port", type=int, default=0)
    parser.add_argument("--translator-port", type=int, default=0)
    parser.add_argument("--content-safety-port", type=int, default=0)
    parser.add_argument("--key", default=None, help="require this subscription key")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument(
        "--faults", default="",
        help="comma-separated faults handed out in turn, one per request: "
        "ok, latency:S, 429[:retry-after S], 500..599, drop:S, reset, malformed",
    )
    parser.add_argument(
        "--control-port", type=int, default=None,
        help="serve GET /log and GET /counts on this port (0: any free port)",
    )
    args = parser.parse_args(argv)
    try:
        args.fault_cycle = [parse_fault(spec) for spec in args.faults.split(",") if spec.strip()]
    except FaultSpecError as error:
        parser.error(str(error))
    return args


async def _serve(args: argparse.Namespace) -> None:
    language = LanguageEmulator(key=args.key, host=args.host, port=args.language_port)
    translator = TranslatorEmulator(key=args.key, host=args.host, port=args.translator_port)
    content_safety = ContentSafetyEmulator(key=args.key, host=args.host, port=args.content_safety_port)
    servers: dict[str, EmulatorServer] = {
        "language": language, "translator": translator, "content_safety": content_safety,
    }
    latency = Fault.latency(args.latency) if args.latency > 0 else None
    for server in servers.values():
        server.requests = StampedLog()
        if args.fault_cycle:
            server.faults = RotatingFaultPlan(args.fault_cycle, latency)
        elif latency is not None:
            server.faults.always(latency)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    control: web.AppRunner | None = None
    async with language, translator, content_safety:
        print(f"AZURE_LANGUAGE_ENDPOINT={language.url}", flush=True)
        print(f"AZURE_TRANSLATOR_ENDPOINT={translator.url}", flush=True)
        print(f"AZURE_CONTENT_SAFETY_ENDPOINT={content_safety.url}", flush=True)
        if args.control_port is not None:
            control = await _start_control(servers, args.host, args.control_port)
            host, port = control.addresses[0][:2]
            print(f"EMULATOR_CONTROL_URL=http://{host}:{port}", flush=True)
        try:
            await stop.wait()
        finally:
            if control is not None:
                await control.cleanup()
            print(f"emulator requests: {counts(servers)}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
