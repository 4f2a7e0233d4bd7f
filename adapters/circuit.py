"""A per-engine circuit breaker, so a failing service is left alone for a cool-down.

Closed: calls go through and consecutive failures are counted. Open (after
`failure_threshold` consecutive failures): calls are refused until `cooldown_s`
has passed. Half-open: exactly one probe call is let through; its success closes
the circuit, its failure opens it again for another cool-down. `on_change`, when set,
hears every change of state (the chain reports it to telemetry and the log).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one engine and decides whether to call it."""

    def __init__(
        self,
        failure_threshold: int = 3,
        cooldown_s: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if cooldown_s < 0:
            raise ValueError(f"cooldown_s must be >= 0, got {cooldown_s}")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        self.on_change: Callable[[str], None] | None = None

    def _moved(self, before: CircuitState) -> None:
        if self.on_change is not None and self._state is not before:
            self.on_change(self._state.value)

    @property
    def state(self) -> CircuitState:
        """The state as seen now: an open circuit whose cool-down ended reads half-open."""
        if self._state is CircuitState.OPEN and self._cooldown_over():
            return CircuitState.HALF_OPEN
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a probe through (0 when it would now)."""
        if self._state is not CircuitState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self._clock())

    def allow(self) -> bool:
        """Whether to call the engine now; in half-open, only the single probe is allowed."""
        if self._state is CircuitState.CLOSED:
            return True
        if self._state is CircuitState.OPEN:
            if not self._cooldown_over():
                return False
            self._state = CircuitState.HALF_OPEN
            self._probe_in_flight = False
            self._moved(CircuitState.OPEN)
        if self._probe_in_flight:
            return False
        self._probe_in_flight = True
        return True

    def record_success(self) -> None:
        """The engine answered: close the circuit and forget past failures."""
        before, self._state = self._state, CircuitState.CLOSED
        self._moved(before)
        self._failures = 0
        self._probe_in_flight = False

    def record_failure(self) -> None:
        """The engine failed: a failed probe, or one failure too many, opens the circuit."""
        self._failures += 1
        self._probe_in_flight = False
        if self._state is CircuitState.HALF_OPEN or self._failures >= self.failure_threshold:
            before, self._state = self._state, CircuitState.OPEN
            self._opened_at = self._clock()
            self._moved(before)

    def release(self) -> None:
        """The call ended with no verdict (cancelled): let another probe through later."""
        self._probe_in_flight = False

    def _cooldown_over(self) -> bool:
        return self._clock() - self._opened_at >= self.cooldown_s
