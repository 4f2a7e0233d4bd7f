"""Every injected fault either retried within budget or surfaced as EngineError.

Each engine is driven through the real SDK client over HTTP; the emulators inject
the fault on the wire. Retry choices (AzureCallOptions in conftest's FAST_OPTIONS):
one retry for 5xx, 429 retried only when Retry-After <= 0.5 s, nothing else retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from adapters.azure_clients import RateLimitedError
from adapters.azure_language import AzureLanguageDetector
from adapters.azure_sentiment import AzureSentimentAnalyzer
from adapters.azure_translation import AzureTranslator
from adapters.contracts import EngineError
from tests.emulators import EmulatorServer, Fault, LanguageEmulator, TranslatorEmulator

Call = Callable[[], Awaitable[object]]


@pytest.fixture(params=["language", "sentiment", "translation"])
def engine_call(
    request: pytest.FixtureRequest,
    azure_detector: AzureLanguageDetector,
    azure_analyzer: AzureSentimentAnalyzer,
    azure_translator: AzureTranslator,
    language_emulator: LanguageEmulator,
    translator_emulator: TranslatorEmulator,
) -> tuple[Call, EmulatorServer]:
    """(a call that succeeds when nothing goes wrong, the emulator that serves it)."""
    if request.param == "language":
        return (lambda: azure_detector.detect(["the cat is on the mat"])), language_emulator
    if request.param == "sentiment":
        return (lambda: azure_analyzer.analyze(["I love it."], language="en")), language_emulator
    return (lambda: azure_translator.translate(["hello"], to="es")), translator_emulator


async def test_no_fault_answers(engine_call: tuple[Call, EmulatorServer]) -> None:
    call, emulator = engine_call

    assert len(await call()) == 1  # type: ignore[arg-type]
    assert len(emulator.requests) == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_one_server_error_is_retried(
    engine_call: tuple[Call, EmulatorServer], status: int
) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.server_error(status))

    assert len(await call()) == 1  # type: ignore[arg-type]
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("status", [500, 503])
async def test_repeated_server_errors_are_engine_errors(
    engine_call: tuple[Call, EmulatorServer], status: int
) -> None:
    call, emulator = engine_call
    emulator.faults.always(Fault.server_error(status))

    with pytest.raises(EngineError, match=f"HTTP {status}"):
        await call()
    assert len(emulator.requests) == 2  # the first try and one retry


async def test_short_retry_after_is_honoured(engine_call: tuple[Call, EmulatorServer]) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.rate_limited(0.05))

    assert len(await call()) == 1  # type: ignore[arg-type]
    assert len(emulator.requests) == 2


async def test_retry_after_beyond_the_budget_fails_at_once(
    engine_call: tuple[Call, EmulatorServer],
) -> None:
    call, emulator = engine_call
    emulator.faults.always(Fault.rate_limited(30))

    with pytest.raises(RateLimitedError) as raised:
        await call()
    assert raised.value.retry_after_s == 30
    assert len(emulator.requests) == 1


async def test_malformed_body_is_an_engine_error(engine_call: tuple[Call, EmulatorServer]) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.malformed())

    with pytest.raises(EngineError, match="malformed"):
        await call()


async def test_connection_reset_is_an_engine_error(
    engine_call: tuple[Call, EmulatorServer],
) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.reset())

    with pytest.raises(EngineError):
        await call()
    # The engine keeps working once the service is back.
    assert len(await call()) == 1  # type: ignore[arg-type]


async def test_dropped_connection_is_an_engine_error(
    engine_call: tuple[Call, EmulatorServer],
) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.drop(0.05))

    with pytest.raises(EngineError):
        await call()
    assert len(emulator.requests) == 1


async def test_latency_is_left_to_the_callers_budget(
    engine_call: tuple[Call, EmulatorServer],
) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.latency(5))

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(call(), timeout=0.2)
    assert len(await call()) == 1  # type: ignore[arg-type]


async def test_small_latency_still_answers(engine_call: tuple[Call, EmulatorServer]) -> None:
    call, emulator = engine_call
    emulator.faults.push(Fault.latency(0.05))

    assert len(await call()) == 1  # type: ignore[arg-type]
    assert emulator.faults.injected[0].delay_s == 0.05


async def test_whole_batch_rejection_is_an_engine_error(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    language_emulator.oversize_status = 400
    language_emulator.faults.push(Fault.server_error(400))

    with pytest.raises(EngineError, match="HTTP 400"):
        await azure_analyzer.analyze(["I love it."], language="en")
    assert len(language_emulator.requests) == 1  # a 400 is never retried
