"""The paired bench runs two trees side by side and counts a burst per round for each; figures not asserted."""

from __future__ import annotations

import os
from pathlib import Path

from bench import paired

ROOT = Path(__file__).resolve().parents[2]


def test_two_servers_each_get_one_burst_a_round_with_every_turn_answered(capsys) -> None:
    allowed = os.sched_getaffinity(0)
    old, new = paired.main([str(ROOT), str(ROOT), "--rounds", "2", "--conversations", "1", "--pin"])
    assert len(old.bursts) == len(new.bursts) == 2
    assert all(value >= 0 for value in old.bursts + new.bursts)
    out = capsys.readouterr().out
    assert "paired by round" in out and "load average" in out
    assert "(old started first)" in out and "(new started first)" in out and "both start orders" in out
    assert os.sched_getaffinity(0) == allowed  # the driver's CPUs are given back


def test_the_cleared_messages_take_turns() -> None:
    assert [paired.cleared_text(0, turn) for turn in range(5)] == [*paired.CLEARED, paired.CLEARED[0]]
    assert paired.cleared_text(1, 0) == paired.CLEARED[1]


def test_both_start_orders_cancel_a_start_order_effect_of_one_tree_against_itself(monkeypatch, capsys) -> None:
    async def second_started_costs_more(first: Path, second: Path, rounds: int, *args: object, **_: object) -> tuple:
        return (paired.Server(first, None, "", None, [1.0] * rounds),
                paired.Server(second, None, "", None, [1.1] * rounds))

    monkeypatch.setattr(paired, "compare", second_started_costs_more)
    old, new = paired.main([str(ROOT), str(ROOT), "--rounds", "4"])
    out = capsys.readouterr().out
    assert "(old started first)" in out and "(new started first)" in out
    assert "geometric mean of their medians): 1.000" in out
    assert sorted(old.bursts) == sorted(new.bursts) == [1.0, 1.0, 1.1, 1.1]


def test_new_env_goes_to_the_new_server_in_both_start_orders(monkeypatch, capsys) -> None:
    calls: list[tuple] = []

    async def recording(first: Path, second: Path, rounds: int, *args: object, envs: tuple = ({}, {})) -> tuple:
        calls.append(envs)
        return (paired.Server(first, None, "", None, [1.0] * rounds), paired.Server(second, None, "", None, [1.0] * rounds))

    monkeypatch.setattr(paired, "compare", recording)
    paired.main([str(ROOT), str(ROOT), "--rounds", "2", "--new-env", "BOT_EVENT_LOOP=asyncio"])
    assert calls == [({}, {"BOT_EVENT_LOOP": "asyncio"}), ({"BOT_EVENT_LOOP": "asyncio"}, {})]


def test_the_engine_texts_repeat_or_never_repeat() -> None:
    repeated = [paired.TEXTS["bench"](0, turn) for turn in range(8)]
    distinct = [paired.TEXTS["distinct"](0, turn) for turn in range(8)]
    assert len(set(repeated)) == 4
    assert len(set(distinct)) == 8


def test_a_tree_that_cannot_start_leaves_no_server_running_and_gives_the_cpus_back(tmp_path: Path) -> None:
    allowed = os.sched_getaffinity(0)
    started: list[paired.Server] = []
    real_start = paired.start

    def recording_start(tree: Path, cpu: int | None = None, **options: bool) -> paired.Server:
        server = real_start(tree, cpu, **options)
        started.append(server)
        return server

    paired.start, missing = recording_start, tmp_path / "missing"
    try:
        try:
            paired.main([str(ROOT), str(missing), "--rounds", "1", "--conversations", "1", "--pin"])
        except FileNotFoundError:
            pass
        else:
            raise AssertionError("a missing tree must fail")
    finally:
        paired.start = real_start
        for server in started:  # clean up whatever the bench left behind
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()
                server.state_dir.cleanup()
                raise AssertionError(f"{server.tree}'s server was left running")
    assert len(started) == 1
    assert os.sched_getaffinity(0) == allowed
