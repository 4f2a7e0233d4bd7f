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
    assert os.sched_getaffinity(0) == allowed  # the driver's CPUs are given back


def test_the_cleared_messages_take_turns() -> None:
    assert [paired.cleared_text(0, turn) for turn in range(5)] == [*paired.CLEARED, paired.CLEARED[0]]
    assert paired.cleared_text(1, 0) == paired.CLEARED[1]
