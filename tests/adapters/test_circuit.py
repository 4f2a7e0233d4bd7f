"""The circuit breaker: closed -> open -> half-open -> closed, and open again on a failed probe."""

from __future__ import annotations

import pytest

from adapters.circuit import CircuitBreaker, CircuitState


class Clock:
    """A hand-wound clock, so cool-downs pass without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_stays_closed_below_the_failure_threshold(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow()


def test_a_success_resets_the_consecutive_count(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.consecutive_failures == 2


def test_full_cycle_closed_open_half_open_closed(clock: Clock) -> None:
    breaker = CircuitBreaker(2, 10.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == pytest.approx(10.0)

    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow()  # the single probe
    assert not breaker.allow()  # nobody else while the probe is out
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_failed_probe_opens_again_for_a_new_cooldown(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 5.0, clock=clock)
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    clock.now += 5.0
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allow()
    clock.now += 4.0
    assert not breaker.allow()
    clock.now += 1.0
    assert breaker.allow()


def test_released_probe_lets_another_probe_through(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 5.0, clock=clock)
    breaker.record_failure()
    clock.now += 5.0
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


@pytest.mark.parametrize(("threshold", "cooldown"), [(0, 1.0), (1, -1.0)])
def test_rejects_nonsense_settings(threshold: int, cooldown: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold, cooldown)
