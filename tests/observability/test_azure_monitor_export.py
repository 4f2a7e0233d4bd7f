"""`python -m bot` with APPLICATIONINSIGHTS_CONNECTION_STRING: the Azure Monitor distro sends the
turn and engine telemetry to the ingestion endpoint (here a local one), without message text."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from tests.harness import Harness, wait_until_ready
from tests.observability.conftest import ROOT, free_port
from tests.processes import terminate

TEXTS = ("Hola, estoy encantado con el servicio", "Bonjour, le colis est arrivé cassé",
         "I really love the quick answers")


class Ingestion:
    """The Application Insights ingestion API's /v2.1/track, keeping every envelope."""

    def __init__(self) -> None:
        self.envelopes: list[dict] = []
        self.raw: list[str] = []

    async def track(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        text = body.decode()
        self.raw.append(text)
        items = json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines()]
        self.envelopes.extend(items)
        return web.json_response({"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []})


async def test_turns_reach_application_insights_without_text(tmp_path: Path) -> None:
    ingestion = Ingestion()
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/v2.1/track", ingestion.track)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ingest_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    port = free_port()
    env = {
        **os.environ, "PORT": str(port), "BOT_STATE_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING",
        "APPLICATIONINSIGHTS_CONNECTION_STRING":
            f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={ingest_url}",
        "OTEL_METRIC_EXPORT_INTERVAL": "500", "OTEL_BSP_SCHEDULE_DELAY": "200", "TMPDIR": str(tmp_path),
    }
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}/readyz", timeout_s=60)
        async with Harness(f"http://127.0.0.1:{port}/api/messages") as harness:
            conversation = harness.conversation()
            for text in TEXTS:
                assert await conversation.say(text)

        def kinds() -> set[str]:
            return {envelope.get("name", "") for envelope in ingestion.envelopes}

        for _ in range(300):  # up to 60 s: the exporter's batches are slow on a loaded machine
            names = {e["data"]["baseData"].get("name") for e in ingestion.envelopes
                     if e.get("data", {}).get("baseType") in ("RequestData", "RemoteDependencyData")}
            if {"turn", "engine language", "POST /api/messages"} <= names:
                break
            await asyncio.sleep(0.2)
        names = {e["data"]["baseData"].get("name") for e in ingestion.envelopes
                 if e.get("data", {}).get("baseType") in ("RequestData", "RemoteDependencyData")}
        assert "turn" in names and "engine language" in names, (kinds(), names)
        assert "POST /api/messages" in names
        everything = "\n".join(ingestion.raw)
        assert "showcase.engine" in everything
        for text in TEXTS:
            assert text not in everything
        for word in ("encantado", "cassé", "quick answers"):
            assert word not in everything
    finally:
        await asyncio.to_thread(terminate, process)  # its last export needs this loop to answer
        await runner.cleanup()
        stderr = process.stderr.read() if process.stderr else b""
        assert b"Traceback" not in stderr, stderr.decode()
