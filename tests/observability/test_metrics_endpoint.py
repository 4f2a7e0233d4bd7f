"""GET /metrics: off by default, behind its bearer token when on, and parseable by Prometheus."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.engines import build_engines
from bot.app import create_app
from tests.conftest import make_settings, serve
from tests.harness import Harness

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
async def scraped_bot() -> AsyncIterator[str]:
    settings = make_settings(BOT_PROMETHEUS="on", BOT_METRICS_TOKEN=TOKEN)
    engines = build_engines(settings.engines)
    await engines.warm_up()
    runner, url = await serve(create_app(settings, engines=engines))
    yield url
    await runner.cleanup()


async def test_metrics_is_not_served_by_default(bot_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot_url}/metrics") as response:
        assert response.status == 404


async def test_metrics_needs_the_bearer_token(scraped_bot: str) -> None:
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                        {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer " + "x" * 5000}):
            async with session.get(f"{scraped_bot}/metrics", headers=headers) as response:
                assert response.status == 401, headers
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert TOKEN not in await response.text()


async def test_metrics_parse_as_prometheus_text_with_engine_labels(scraped_bot: str) -> None:
    async with Harness(f"{scraped_bot}/api/messages") as harness:
        conversation = harness.conversation(locale="es-ES")
        await conversation.say("Hola, estoy muy contento con el servicio")
        await conversation.say("Bonjour, merci beaucoup pour votre aide")
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get(f"{scraped_bot}/metrics", headers=headers) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            body = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(body)}
    calls = families["showcase_engine_calls"]
    engines = {(s.labels["showcase_capability"], s.labels["showcase_engine"]) for s in calls.samples
               if s.name == "showcase_engine_calls_total"}
    assert ("language", "local") in engines and ("sentiment", "local") in engines
    assert sum(s.value for s in calls.samples if s.name == "showcase_engine_calls_total") >= 4
    assert "showcase_engine_duration_milliseconds" in families
    circuits = families["showcase_circuit_state"]
    assert all(sample.value == 0 for sample in circuits.samples)  # all closed
    assert "contento" not in body and "Bonjour" not in body
