"""What telemetry costs a turn: off (nothing configured, the `make run` default) against on.

    python -m bench.telemetry [--turns 200] [--rounds 2] [--calls 2000]

Two tables, one run, same machine:

1. *Calls*: the exact telemetry calls one turn makes (a turn scope, its engine-call scopes,
   the record functions), timed alone: off = no providers installed; on = the SDK with a
   batch span processor into an in-memory exporter and an in-memory metric reader.
2. *Turns*: sequential turns over HTTP into the in-process app as `make run` builds it
   (SQLite state, offline engines): off, then on with OTLP/HTTP to a local receiver (its
   own process) + /admin's rolling aggregate + the Prometheus reader, alternated `rounds`
   times. Per-turn means drift by more than the difference; table 1 is the precise figure.

Writes bench/results/telemetry.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters import telemetry

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "telemetry.json"
MESSAGES = (
    "I really love how quickly this bot answers my questions!",
    "Este servicio es terrible, nadie me ayuda con mi pedido.",
    "Le produit est arrivé hier et il fonctionne très bien.",
)
# A message turn on the offline engines: language, sentiment, translation (when not English),
# two safety engines on the original, and the local ones again on a translation.
ENGINE_CALLS_PER_TURN = (
    ("language", "local"), ("sentiment", "local"), ("translation", "local"),
    ("safety", "lexicon"), ("safety", "learned"), ("safety", "lexicon"), ("safety", "learned"),
)


def one_turn_of_calls() -> None:
    with telemetry.turn("webchat", "message") as turn:
        for capability, engine in ENGINE_CALLS_PER_TURN:
            with telemetry.engine_call(capability, engine) as call:
                call.finish("ok", 1.5, texts=1)
        telemetry.record_analysis("es", "negative")
        turn.annotate(language="es", sentiment="negative", safety_flagged=False)


def time_calls(calls: int) -> float:
    """Microseconds per turn's worth of telemetry calls (best of 5 batches)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            one_turn_of_calls()
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def time_middleware(calls: int) -> float:
    """Microseconds the turn middleware adds when off: awaiting the turn through it vs directly."""
    from bot.observability.turn_middleware import TurnTelemetryMiddleware

    middleware = TurnTelemetryMiddleware()

    async def logic() -> None:
        return None

    async def run() -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(calls):
                await logic()
            bare = time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(calls):
                await middleware.on_turn(None, logic)  # type: ignore[arg-type]
            best = min(best, (time.perf_counter() - started - bare) / calls * 1e6)
        return best

    return asyncio.run(run())


def calls_table(calls: int) -> dict[str, float]:
    telemetry.uninstall()
    off_us = time_calls(calls) + time_middleware(calls * 10)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(spans))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()], exemplar_filter=AlwaysOffExemplarFilter())
    telemetry.install(tracer_provider, meter_provider)
    try:
        on_us = time_calls(calls)
    finally:
        telemetry.uninstall()
        tracer_provider.shutdown()
        meter_provider.shutdown()
    return {"off_us_per_turn": round(off_us, 2), "on_us_per_turn": round(on_us, 2),
            "engine_calls_per_turn": len(ENGINE_CALLS_PER_TURN)}


async def time_turns(env: dict[str, str], turns: int) -> list[float]:
    """Milliseconds per sequential turn (post -> last reply) into a fresh in-process app."""
    from adapters.engines import build_engines
    from bot.app import create_app
    from bot.settings import load_settings
    from tests.conftest import serve
    from tests.harness import Harness

    settings = load_settings(env, dotenv=False)
    engines = build_engines(settings.engines)
    await engines.warm_up()
    runner, url = await serve(create_app(settings, engines=engines))
    latencies = []
    try:
        async with Harness(f"{url}/api/messages") as harness:
            conversation = harness.conversation()
            for i in range(10):  # warm: first dialogs, first SQLite pages
                await conversation.say(MESSAGES[i % len(MESSAGES)])
            for i in range(turns):
                started = time.perf_counter()
                await conversation.say(MESSAGES[i % len(MESSAGES)])
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await runner.cleanup()
    return latencies


def start_receiver(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.observability.otlp_receiver", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def turns_table(turns: int, rounds: int) -> dict[str, object]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    receiver = start_receiver(port)
    results: dict[str, list[float]] = {"off": [], "on": []}
    try:
        with tempfile.TemporaryDirectory() as state:
            base = {"BOT_STORAGE": "sqlite", "BOT_STATE_DIR": state, "LOG_LEVEL": "WARNING"}
            on = {**base, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                  "BOT_ADMIN_TOKEN": "bench-admin-token-0123456789",
                  "BOT_PROMETHEUS": "on", "BOT_METRICS_TOKEN": "bench-metrics-token-0123456789"}
            for _ in range(rounds):
                results["off"] += await time_turns(base, turns)
                results["on"] += await time_turns(on, turns)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    summary: dict[str, object] = {}
    for name, values in results.items():
        ordered = sorted(values)
        summary[name] = {"turns": len(values), "mean_ms": round(statistics.fmean(values), 3),
                         "p50_ms": round(ordered[len(ordered) // 2], 3),
                         "p95_ms": round(ordered[int(len(ordered) * 0.95)], 3)}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)

    calls = calls_table(args.calls)
    print(f"1. Telemetry calls of one turn ({calls['engine_calls_per_turn']} engine calls), best of 5 x {args.calls}")
    print(f"   off (nothing configured; + the middleware) {calls['off_us_per_turn']:8.2f} µs per turn")
    print(f"   on  (SDK, batch spans, in-memory export)   {calls['on_us_per_turn']:8.2f} µs per turn")
    turns = asyncio.run(turns_table(args.turns, args.rounds))
    print(f"2. Sequential turns over HTTP, in-process app (SQLite, offline engines), {args.rounds} rounds")
    print(f"   {'config':<58} {'turns':>6} {'mean ms':>8} {'p50 ms':>8} {'p95 ms':>8}")
    labels = {"off": "off (make run default: nothing configured)",
              "on": "on (OTLP/HTTP to a local receiver + /admin + /metrics)"}
    for name, row in turns.items():
        print(f"   {labels[name]:<58} {row['turns']:>6} {row['mean_ms']:>8.3f} {row['p50_ms']:>8.3f} "
              f"{row['p95_ms']:>8.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "calls": calls, "turns": turns,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
