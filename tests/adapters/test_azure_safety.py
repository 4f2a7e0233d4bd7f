"""AzureContentSafetyChecker driving the real ContentSafetyClient against the Content Safety emulator.

Faults are injected on the wire; retry choices are conftest's FAST_OPTIONS (one retry
for 5xx, a 429 retried only when Retry-After <= 0.5 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.azure_clients import AzureCallOptions, RateLimitedError
from adapters.azure_safety import MAX_TEXT_CHARS, AzureContentSafetyChecker, content_safety_client
from adapters.config import AzureContentSafetyConfig
from adapters.contracts import EngineError, SafetyChecker
from adapters.text_limits import split_text
from tests.adapters.conftest import FAST_OPTIONS
from tests.emulators import TEXT_ANALYZE_PATH, ContentSafetyEmulator, Fault

SAFETY_KEY = "content-safety-test-key"
HARMLESS = "The weather is lovely and I am going for a walk."
SUICIDAL = "I want to kill myself."


@pytest.fixture
async def safety_emulator() -> AsyncIterator[ContentSafetyEmulator]:
    async with ContentSafetyEmulator(key=SAFETY_KEY) as emulator:
        yield emulator


@pytest.fixture
def safety_config(safety_emulator: ContentSafetyEmulator) -> AzureContentSafetyConfig:
    return AzureContentSafetyConfig(endpoint=safety_emulator.url, key=SAFETY_KEY)


@pytest.fixture
async def checker(safety_config: AzureContentSafetyConfig) -> AsyncIterator[AzureContentSafetyChecker]:
    engine = AzureContentSafetyChecker(safety_config, options=FAST_OPTIONS)
    yield engine
    await engine.close()


async def _wait_until_closed(emulator: ContentSafetyEmulator) -> int:
    for _ in range(200):
        if emulator.open_connections == 0:
            break
        await asyncio.sleep(0.01)
    return emulator.open_connections


# --- answers --------------------------------------------------------------------


async def test_self_harm_text_is_flagged(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    result = await checker.check(SUICIDAL, language="en")

    assert result.flagged is True
    assert (result.engine, result.category, result.severity) == ("azure", "self_harm", 6)
    assert result.score == pytest.approx(6 / 7)
    [sent] = safety_emulator.requests_to(TEXT_ANALYZE_PATH)
    assert sent.query["api-version"] == "2023-10-01"
    assert sent.body == {
        "text": SUICIDAL, "categories": ["SelfHarm"], "outputType": "FourSeverityLevels",
    }


async def test_spanish_self_harm_text_is_flagged(checker: AzureContentSafetyChecker) -> None:
    result = await checker.check("Ya no aguanto, quiero hacerme daño.", language="es")

    assert (result.flagged, result.severity) == (True, 4)


async def test_harmless_text_is_not_flagged(checker: AzureContentSafetyChecker) -> None:
    result = await checker.check(HARMLESS, language="en")

    assert result.flagged is False
    assert (result.engine, result.category, result.severity, result.score) == ("azure", "", 0, 0.0)


async def test_sends_the_key_header(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    await checker.check(HARMLESS, language="en")

    assert safety_emulator.requests[0].headers["Ocp-Apim-Subscription-Key"] == SAFETY_KEY


async def test_wrong_key_is_an_engine_error(safety_emulator: ContentSafetyEmulator) -> None:
    engine = AzureContentSafetyChecker(
        AzureContentSafetyConfig(endpoint=safety_emulator.url, key="wrong"), options=FAST_OPTIONS
    )
    try:
        with pytest.raises(EngineError, match="authentication failed"):
            await engine.check(HARMLESS, language="en")
    finally:
        await engine.close()


async def test_blank_text_costs_no_request(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    result = await checker.check("   \n", language="en")

    assert (result.flagged, result.severity) == (False, 0)
    assert safety_emulator.requests == []


def test_is_a_safety_checker() -> None:
    engine = AzureContentSafetyChecker(AzureContentSafetyConfig("https://cs.example.invalid", "k"))

    assert isinstance(engine, SafetyChecker)
    assert engine.name == "azure"


# --- threshold ------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "flagged"), [(1, True), (2, True), (3, False), (4, False)])
async def test_threshold_is_respected(
    safety_emulator: ContentSafetyEmulator,
    safety_config: AzureContentSafetyConfig,
    threshold: int,
    flagged: bool,
) -> None:
    safety_emulator.script("I feel low today.", severity=2)
    engine = AzureContentSafetyChecker(safety_config, severity_threshold=threshold, options=FAST_OPTIONS)
    try:
        result = await engine.check("I feel low today.", language="en")
    finally:
        await engine.close()

    assert result.severity == 2
    assert result.flagged is flagged
    assert result.category == ("self_harm" if flagged else "")


async def test_default_threshold_is_two(checker: AzureContentSafetyChecker) -> None:
    result = await checker.check("Some days I feel I cannot go on.", language="en")

    assert checker.severity_threshold == 2
    assert (result.flagged, result.severity) == (True, 2)  # eight-level 3 arrives as 2


async def test_eight_level_answers_are_read_as_they_come(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.script_body(
        "odd", {"blocklistsMatch": [], "categoriesAnalysis": [{"category": "SelfHarm", "severity": 5}]}
    )

    result = await checker.check("odd", language="en")

    assert (result.flagged, result.severity) == (True, 5)
    assert result.score == pytest.approx(5 / 7)


@pytest.mark.parametrize("threshold", [0, 8, -1])
def test_threshold_outside_the_scale_is_refused(threshold: int) -> None:
    with pytest.raises(ValueError, match="severity_threshold"):
        AzureContentSafetyChecker(
            AzureContentSafetyConfig("https://cs.example.invalid", "k"), severity_threshold=threshold
        )


# --- the 10,000-character limit ---------------------------------------------------


async def test_emulator_rejects_text_over_the_limit(safety_emulator: ContentSafetyEmulator) -> None:
    from azure.ai.contentsafety.aio import ContentSafetyClient
    from azure.ai.contentsafety.models import AnalyzeTextOptions
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import HttpResponseError

    async with ContentSafetyClient(safety_emulator.url, AzureKeyCredential(SAFETY_KEY)) as client:
        with pytest.raises(HttpResponseError) as raised:
            await client.analyze_text(AnalyzeTextOptions(text="a" * (MAX_TEXT_CHARS + 1)))

    assert raised.value.status_code == 400
    assert raised.value.error is not None and raised.value.error.code == "InvalidRequestBody"


async def test_long_text_is_split_and_flagged_when_only_the_last_part_flags(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    text = ("The cat sat on the mat and looked at the garden. " * 500) + SUICIDAL  # ~25,000 chars

    result = await checker.check(text, language="en")

    assert (result.flagged, result.severity, result.category) == (True, 6, "self_harm")
    sent = [request.body["text"] for request in safety_emulator.requests_to(TEXT_ANALYZE_PATH)]
    assert len(sent) == 3
    assert all(0 < len(part) <= MAX_TEXT_CHARS for part in sent)
    pieces = [piece.text for piece in split_text(text, MAX_TEXT_CHARS)]
    assert "".join(pieces) == text and sorted(sent) == sorted(pieces)
    assert [SUICIDAL in piece for piece in pieces] == [False, False, True]


async def test_long_harmless_text_is_not_flagged(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    result = await checker.check("word " * 4_100, language="en")  # 20,500 chars

    assert (result.flagged, result.severity) == (False, 0)
    assert len(safety_emulator.requests) == 3


async def test_a_flagged_part_wins_over_a_failed_one(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    first = "Nothing to see here, just some words. " * 263  # 9,994 chars: the first part
    text = first + SUICIDAL
    safety_emulator.script_body(first, {"unexpected": True})

    result = await checker.check(text, language="en")

    assert (result.flagged, result.severity) == (True, 6)
    assert len(safety_emulator.requests) == 2


async def test_a_failed_part_without_a_flag_is_an_engine_error(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    first = "Nothing to see here, just some words. " * 263
    safety_emulator.script_body(first, {"unexpected": True})

    with pytest.raises(EngineError, match="malformed"):
        await checker.check(first + HARMLESS, language="en")


# --- faults -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
async def test_one_server_error_is_retried(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator, status: int
) -> None:
    safety_emulator.faults.push(Fault.server_error(status))

    assert (await checker.check(SUICIDAL, language="en")).flagged is True
    assert len(safety_emulator.requests) == 2


@pytest.mark.parametrize("status", [500, 503])
async def test_repeated_server_errors_are_engine_errors(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator, status: int
) -> None:
    safety_emulator.faults.always(Fault.server_error(status))

    with pytest.raises(EngineError, match=f"HTTP {status}"):
        await checker.check(SUICIDAL, language="en")
    assert len(safety_emulator.requests) == 2  # the first try and one retry


async def test_short_retry_after_is_honoured(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.push(Fault.rate_limited(0.05))

    assert (await checker.check(SUICIDAL, language="en")).flagged is True
    assert len(safety_emulator.requests) == 2


async def test_retry_after_beyond_the_budget_fails_at_once(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.always(Fault.rate_limited(30))

    with pytest.raises(RateLimitedError) as raised:
        await checker.check(SUICIDAL, language="en")
    assert raised.value.retry_after_s == 30
    assert len(safety_emulator.requests) == 1


async def test_malformed_body_is_an_engine_error(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.push(Fault.malformed())

    with pytest.raises(EngineError, match="malformed"):
        await checker.check(SUICIDAL, language="en")


@pytest.mark.parametrize(
    "body",
    [
        {"blocklistsMatch": []},
        {"categoriesAnalysis": "SelfHarm"},
        {"categoriesAnalysis": [{"category": "Hate", "severity": 6}]},
        {"categoriesAnalysis": [{"category": "SelfHarm"}]},
        {"categoriesAnalysis": [{"category": "SelfHarm", "severity": "high"}]},
        {"categoriesAnalysis": [{"category": "SelfHarm", "severity": 9}]},
        {"categoriesAnalysis": ["SelfHarm"]},
        [1, 2, 3],
    ],
)
async def test_wrongly_shaped_body_is_an_engine_error(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator, body: object
) -> None:
    safety_emulator.script_body(SUICIDAL, body)

    with pytest.raises(EngineError, match="malformed"):
        await checker.check(SUICIDAL, language="en")


async def test_connection_reset_is_an_engine_error(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.push(Fault.reset())

    with pytest.raises(EngineError):
        await checker.check(SUICIDAL, language="en")
    # The engine keeps working once the service is back.
    assert (await checker.check(SUICIDAL, language="en")).flagged is True


async def test_dropped_connection_is_an_engine_error(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.push(Fault.drop(0.05))

    with pytest.raises(EngineError):
        await checker.check(SUICIDAL, language="en")
    assert len(safety_emulator.requests) == 1


async def test_answer_slower_than_the_read_timeout_is_an_engine_error(
    safety_emulator: ContentSafetyEmulator, safety_config: AzureContentSafetyConfig
) -> None:
    options = AzureCallOptions(retry_total=0, read_timeout_s=0.2)
    engine = AzureContentSafetyChecker(safety_config, options=options)
    safety_emulator.faults.push(Fault.latency(5))
    try:
        with pytest.raises(EngineError, match=r"response failed: ServiceResponse(Timeout)?Error"):
            await engine.check(SUICIDAL, language="en")
        assert (await engine.check(SUICIDAL, language="en")).flagged is True
    finally:
        await engine.close()


async def test_latency_is_left_to_the_callers_budget(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.push(Fault.latency(5))

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(checker.check(SUICIDAL, language="en"), timeout=0.2)
    assert (await checker.check(SUICIDAL, language="en")).flagged is True


async def test_small_latency_still_answers(
    checker: AzureContentSafetyChecker, safety_emulator: ContentSafetyEmulator
) -> None:
    safety_emulator.faults.push(Fault.latency(0.05))

    assert (await checker.check(SUICIDAL, language="en")).flagged is True
    assert safety_emulator.faults.injected[0].delay_s == 0.05


# --- lifecycle --------------------------------------------------------------------


async def test_one_connection_reused_and_closed_by_close(
    safety_emulator: ContentSafetyEmulator, safety_config: AzureContentSafetyConfig
) -> None:
    engine = AzureContentSafetyChecker(safety_config, options=FAST_OPTIONS)
    for _ in range(3):
        await engine.check(HARMLESS, language="en")
    assert safety_emulator.open_connections == 1
    sdk_client = engine._client.get()  # held, so only close() (not GC) can end the connection

    await engine.close()

    assert await _wait_until_closed(safety_emulator) == 0
    del sdk_client
    with pytest.raises(RuntimeError, match="closed"):
        await engine.check(HARMLESS, language="en")


async def test_keyless_engine_builds_its_client_with_a_token_credential_and_closes_it() -> None:
    from azure.identity.aio import DefaultAzureCredential

    engine = AzureContentSafetyChecker(AzureContentSafetyConfig("https://cs.example.invalid"))
    engine._client.get()  # builds the client; no request is made
    credential = engine._client._credential
    assert isinstance(credential, DefaultAzureCredential)

    await engine.close()

    assert engine._client.closed and engine._client._credential is None


async def test_close_before_any_call_is_harmless() -> None:
    engine = AzureContentSafetyChecker(AzureContentSafetyConfig("https://cs.example.invalid", "k"))

    await engine.close()


async def test_a_shared_client_is_closed_by_its_last_user(
    safety_emulator: ContentSafetyEmulator, safety_config: AzureContentSafetyConfig
) -> None:
    shared = content_safety_client(safety_config, FAST_OPTIONS)
    first = AzureContentSafetyChecker(safety_config, client=shared)
    second = AzureContentSafetyChecker(safety_config, severity_threshold=4, client=shared)
    await first.check(HARMLESS, language="en")

    await first.close()
    assert (await second.check(SUICIDAL, language="en")).flagged is True
    await second.close()

    assert shared.closed
