"""The turn bench's machinery works end to end: servers start, turns are counted, none lost.

Figures are not asserted (the machine is shared); only counts that could be wrong.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import aiohttp
import pytest

from bench import turns
from bench.emulators_process import EmulatorProcess, EmulatorSpec, round_trips, sequential_waves
from tests.emulators.__main__ import FaultSpecError, RotatingFaultPlan, parse_fault
from tests.emulators.faults import Fault, FaultKind


def test_floor_and_analysis_off_rows_lose_no_turn(tmp_path: Path) -> None:
    turns.main([
        "--conversations", "1", "--concurrency", "1", "--turns", "1",
        "--only", "floor", "ANALYSIS=off", "--results", str(tmp_path),
    ])

    report = json.loads((tmp_path / "turns.json").read_text())
    rows = {row["name"]: row for row in report["rows"]}
    assert set(rows) == {"floor: bare aiohttp", "floor: this bot's hosting, echo",
                         "floor: safety + store, no botbuilder", "showcase, BOT_ANALYSIS=off, sqlite",
                         "extra: showcase, BOT_ANALYSIS=off, sqlite, asyncio loop",
                         "extra: showcase, BOT_ANALYSIS=off, memory"}
    for row in rows.values():
        assert row["turns"] == 1
        assert row["lost"] == 0
        assert row["errors"] == 0
        # One thread of the process. /proc counts in clock ticks, and the kernel rounds a thread's
        # time and the process's separately, so over one turn they may differ by a tick or so.
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        assert 0 <= row["loop_cpu_ms_per_turn"] <= row["cpu_ms_per_turn"] + 2 * tick_ms


def test_repeat_runs_every_row_in_turn_and_keeps_its_median_run(tmp_path: Path) -> None:
    turns.main([
        "--conversations", "1", "--concurrency", "1", "--turns", "2", "--repeat", "3",
        "--only", "bare aiohttp", "--results", str(tmp_path),
    ])

    (row,) = json.loads((tmp_path / "turns.json").read_text())["rows"]
    assert len(row["runs_turns_per_s"]) == 3
    assert row["turns_per_s"] == sorted(row["runs_turns_per_s"])[1]
    assert row["turns"] == 2 and row["lost"] == 0


def test_the_median_run_is_the_middle_one_by_turns_per_second() -> None:
    def result(rate: float) -> turns.RowResult:
        return turns.RowResult("row", 10, 1.0, rate, 1.0, 1.0, 1.0, 0, 0, 1.0)

    picked = turns.median_run([result(3.0), result(1.0), result(2.0)])
    assert picked.turns_per_s == 2.0 and picked.runs_turns_per_s == [3.0, 1.0, 2.0]
    assert turns.median_run([result(4.0), result(1.0)]).turns_per_s == 1.0  # the lower middle
    assert turns.median_run([result(5.0)]).runs_turns_per_s is None


def test_azure_rows_point_the_bot_at_the_emulators_azure_first() -> None:
    rows = {row.name: row for row in turns.default_rows()}
    slow = rows["showcase, Azure emulators +100 ms, memory"]
    failing = rows["showcase, Azure emulators failing, memory"]

    assert slow.emulator == EmulatorSpec(latency_s=0.1)
    assert failing.emulator is not None and failing.emulator.faults
    for row in (slow, failing):
        assert row.env["BOT_LANGUAGE_ENGINES"] == "azure,local"
        assert row.env["BOT_TRANSLATION_ENGINES"] == "azure,local"
    assert failing.env["BOT_TURN_BUDGET_MS"] == str(failing.budget_ms)
    # Every --faults entry of the failing row parses.
    assert all(parse_fault(spec) is not None or spec == "ok" for spec in failing.emulator.faults.split(","))


def test_fault_specs_parse_to_faults() -> None:
    assert parse_fault("ok") is None
    assert parse_fault("latency:1.5") == Fault.latency(1.5)
    assert parse_fault("429:2") == Fault.rate_limited(2)
    assert parse_fault("503") == Fault.server_error(503)
    assert parse_fault("drop:0.4").kind is FaultKind.RESET
    with pytest.raises(FaultSpecError):
        parse_fault("404")
    with pytest.raises(FaultSpecError):
        parse_fault("latency:soon")


def test_rotating_plan_cycles_and_answers_ok_with_the_latency() -> None:
    latency = Fault.latency(0.1)
    plan = RotatingFaultPlan([None, Fault.server_error(500)], latency)

    taken = [plan.take("/translate", None) for _ in range(4)]

    assert taken == [latency, Fault.server_error(500), latency, Fault.server_error(500)]


def test_sequential_waves_split_where_a_request_waited_for_an_answer() -> None:
    log = [
        {"t": 0.000, "service": "language", "kind": "LanguageDetection", "items": 1},
        {"t": 0.004, "service": "translator", "kind": "/translate", "items": 1},
        {"t": 0.105, "service": "translator", "kind": "/translate", "items": 8},
    ]

    waves = sequential_waves(log, gap_s=0.06)

    assert [len(wave) for wave in waves] == [2, 1]
    assert round_trips(log).per_kind == {"language LanguageDetection": 1, "translator /translate": 2}


async def test_emulator_process_logs_requests_and_rotates_faults() -> None:
    spec = EmulatorSpec(latency_s=0.0, faults="ok,503")
    body = {"inputs": [{"text": "hola", "targets": [{"language": "en"}]}]}
    async with EmulatorProcess(spec, turns.ROOT) as emulators, aiohttp.ClientSession() as session:
        url = f"{emulators.bot_env['AZURE_TRANSLATOR_ENDPOINT']}/translate?api-version=2026-06-06"
        headers = {"Ocp-Apim-Subscription-Key": emulators.bot_env["AZURE_TRANSLATOR_KEY"]}
        statuses = []
        for _ in range(2):
            async with session.post(url, json=body, headers=headers) as response:
                statuses.append(response.status)
        log = await emulators.log()
        faults = await emulators.faults()

    assert statuses == [200, 503]
    assert [(entry["service"], entry["kind"], entry["items"]) for entry in log] == [
        ("translator", "/translate", 1), ("translator", "/translate", 1),
    ]
    assert faults["translator"] == {"status503": 1}


async def test_first_turn_bench_times_a_fresh_bot_from_ready() -> None:
    from bench import first_turn

    report = await first_turn.measure(1, {"BOT_ANALYSIS": "off", "BOT_LANGUAGES": "en,es"})
    [run] = report["runs"]
    assert set(run) == {"ready_s", "welcome_ms", "first_message_ms", "second_message_ms"}
    assert all(value > 0 for value in run.values())


async def test_curve_bench_measures_each_level_on_one_server(tmp_path: Path) -> None:
    from bench import curve

    [off] = [config for config in curve.configs() if "ANALYSIS=off" in config.name]
    points = await curve.curve_of(off, [1, 3], 6)
    assert [p.concurrency for p in points] == [1, 3]
    assert all(p.lost == 0 and p.errors == 0 and p.turns >= 6 for p in points)
    assert curve.plot(points, tmp_path / "curve.png") and (tmp_path / "curve.png").stat().st_size > 0


def test_distinct_texts_never_repeat_and_stay_one_sentence() -> None:
    from adapters.local_sentiment import split_sentences

    texts = [turns.message_text(index, turn, True) for index in range(5) for turn in range(10)]
    assert len(set(texts)) == len(texts)
    assert all(len(split_sentences(text)) == 1 for text in texts)
    assert turns.message_text(1, 2, False) == turns.MESSAGES[3]  # repeated texts are the four sentences
