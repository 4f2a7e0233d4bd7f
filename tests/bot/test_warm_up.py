"""Ready means warm: start-up plays a synthetic conversation that leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from adapters.engines import build_engines
from bot.runtime import build_runtime
from bot.storage.memory_store import InMemoryStorage
from bot.warm_up import play_warm_up_conversation, warm_language_tables
from dialogs import i18n, intents
from tests.conftest import FAKE_ONLY, make_settings


async def test_start_up_warms_through_the_real_store_and_writes_nothing(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    transcripts = tmp_path / "transcripts"
    settings = make_settings(
        BOT_ANALYSIS="off", BOT_STORAGE="sqlite", BOT_STATE_DIR=str(state_dir), BOT_TRANSCRIPT_DIR=str(transcripts)
    )
    runtime = await build_runtime(settings)  # no engines given: a process of its own, so it warms up
    try:
        # The store was opened (the file exists) but holds no record of the synthetic turns.
        with sqlite3.connect(state_dir / "state.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM bot_state").fetchone()[0] == 0
        # The recording of the synthetic conversation was erased like "delete my data" does.
        assert not list(transcripts.rglob("*.transcript"))
        assert runtime.adapter.on_turn_error is not None
    finally:
        await runtime.close()


async def test_the_warm_up_conversation_runs_the_whole_turn_and_sends_nothing() -> None:
    storage = InMemoryStorage()
    engines = build_engines(FAKE_ONLY)
    runtime = await build_runtime(make_settings(), storage=storage, engines=engines)  # tests: no warm-up
    try:
        replies = await play_warm_up_conversation(runtime)
        assert replies >= 3  # the welcome and an answer to each message were made (and dropped)
        assert len(storage) == 0
        # The dialogs ran: the next "real" conversation finds no half-started dialog of it.
    finally:
        await runtime.close()


def test_language_tables_are_loaded_for_every_configured_language() -> None:
    i18n._catalog.cache_clear()
    intents._intent_pattern.cache_clear()
    warm_language_tables(("en", "es", "ja"), "en")
    assert i18n._catalog.cache_info().currsize >= 2
    assert intents._intent_pattern.cache_info().currsize >= 3  # compiled per (language, working) pair


async def test_the_warm_up_conversation_is_not_counted_as_traffic() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from adapters import telemetry
    from bot.warm_up import warm_up_runtime

    spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry.install(tracer_provider, MeterProvider(metric_readers=[metrics]))
    runtime = await build_runtime(make_settings(), storage=InMemoryStorage(), engines=build_engines(FAKE_ONLY))
    try:
        await warm_up_runtime(runtime)
        assert telemetry.enabled()  # back on afterwards
        assert spans.get_finished_spans() == ()
        with telemetry.turn("emulator", "message"):  # the control: a real turn is recorded
            pass
        assert [span.name for span in spans.get_finished_spans()] == ["turn"]
    finally:
        telemetry.uninstall()
        await runtime.close()
