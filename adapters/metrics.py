"""Mutable per-engine counters behind the fallback chain's immutable metrics snapshots."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from adapters.contracts import EngineMetrics, SkipReason


@dataclass
class EngineCounters:
    """What one engine of one chain has done since start-up."""

    engine: str
    calls: int = 0
    failures: int = 0
    fallbacks: int = 0
    second_opinions: int = 0
    total_latency_ms: float = 0.0
    skips: Counter[SkipReason] = field(default_factory=Counter)

    def record_call(self, latency_ms: float, *, failed: bool) -> None:
        self.calls += 1
        self.total_latency_ms += latency_ms
        if failed:
            self.failures += 1

    def record_skip(self, reason: SkipReason) -> None:
        """The chain moved past this engine in one chain call (once, however many texts)."""
        self.fallbacks += 1
        self.skips[reason] += 1

    def snapshot(self, circuit: str) -> EngineMetrics:
        extra: dict[str, float] = {f"skip_{reason.value}": float(n) for reason, n in self.skips.items()}
        extra["mean_latency_ms"] = self.total_latency_ms / self.calls if self.calls else 0.0
        extra["second_opinions"] = float(self.second_opinions)
        return EngineMetrics(
            engine=self.engine,
            calls=self.calls,
            failures=self.failures,
            fallbacks=self.fallbacks,
            total_latency_ms=self.total_latency_ms,
            circuit=circuit,
            extra=extra,
        )
