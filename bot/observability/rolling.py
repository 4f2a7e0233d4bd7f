"""The operator page's memory: the last hour of the bot's metrics, per minute, in-process.

A metric exporter like any other (delta temporality, read every few seconds), so /admin
shows exactly what OTLP, Azure Monitor and Prometheus receive. Bounded: `MINUTES`
buckets, at most `MAX_SERIES` series per plot (the rest summed as "other").
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
)

MINUTES = 60
MAX_SERIES = 24
FLUSH_AT_MOST_EVERY_S = 1.0


def _all(attributes: Mapping[str, object]) -> str:
    return "all"


def _key(*names: str) -> Callable[[Mapping[str, object]], str]:
    return lambda attributes: "/".join(str(attributes.get(name, "?")) for name in names)


# plot -> (metric name, series key); counters and histograms (count) sum per minute.
PLOTS: dict[str, tuple[str, Callable[[Mapping[str, object]], str]]] = {
    "turns": ("showcase.turns", _key("showcase.outcome")),
    "languages": ("showcase.languages", _key("showcase.language")),
    "sentiment": ("showcase.sentiment", _key("showcase.label")),
    "fallbacks": ("showcase.fallbacks", _key("showcase.capability", "showcase.engine", "showcase.reason")),
    "safety": ("showcase.safety.replies", _key("showcase.category")),
    "handoffs": ("showcase.handoffs", _all),
    "corrections": ("showcase.corrections", _all),
    "opt_outs": ("showcase.opt_outs", _all),
    "deletions": ("showcase.deletions", _all),
    "engine_errors": ("showcase.engine.errors", _key("showcase.capability", "showcase.engine")),
}
CIRCUIT_NAMES = {value: name for name, value in {"closed": 0, "half_open": 1, "open": 2}.items()}


class RollingAggregate:
    """Per-minute sums of the plotted metrics and the latest circuit states; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # minute (epoch // 60) -> plot -> series -> value
        self._minutes: dict[int, dict[str, dict[str, float]]] = {}
        self._turn_ms: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])  # minute -> [sum, count]
        self._circuits: dict[str, str] = {}
        self._reader: MetricReader | None = None
        self._flushed_at = 0.0

    def attach(self, reader: MetricReader) -> None:
        """The reader to flush when the page asks, so a fresh turn shows without waiting."""
        self._reader = reader

    def add(self, data: MetricsData) -> None:
        minute = int(self._clock() // 60)
        with self._lock:
            bucket = self._minutes.setdefault(minute, {})
            for resource in data.resource_metrics:
                for scope in resource.scope_metrics:
                    for metric in scope.metrics:
                        self._add_metric(minute, bucket, metric)
            for old in [m for m in self._minutes if m <= minute - MINUTES]:
                del self._minutes[old]
            for old in [m for m in self._turn_ms if m <= minute - MINUTES]:
                del self._turn_ms[old]

    def _add_metric(self, minute: int, bucket: dict[str, dict[str, float]], metric: object) -> None:
        name = metric.name  # type: ignore[attr-defined]
        points = metric.data.data_points  # type: ignore[attr-defined]
        if name == "showcase.circuit.state":
            for point in points:
                key = _key("showcase.capability", "showcase.engine")(point.attributes)
                if key in self._circuits or len(self._circuits) < MAX_SERIES:
                    self._circuits[key] = CIRCUIT_NAMES.get(int(point.value), "closed")
            return
        if name == "showcase.turn.duration":
            for point in points:
                self._turn_ms[minute][0] += point.sum
                self._turn_ms[minute][1] += point.count
            return
        for plot, (metric_name, key) in PLOTS.items():
            if metric_name != name:
                continue
            series = bucket.setdefault(plot, {})
            for point in points:
                label = key(point.attributes)
                if label not in series and len(series) >= MAX_SERIES:
                    label = "other"
                series[label] = series.get(label, 0.0) + float(point.value)

    def snapshot(self) -> dict[str, object]:
        """The last `MINUTES` minutes as dense arrays, for the page's plots."""
        self._flush()
        now = int(self._clock() // 60)
        minutes = list(range(now - MINUTES + 1, now + 1))
        with self._lock:
            plots: dict[str, dict[str, list[float]]] = {}
            for plot in PLOTS:
                labels = sorted({label for m in minutes for label in self._minutes.get(m, {}).get(plot, {})})
                plots[plot] = {
                    label: [self._minutes.get(m, {}).get(plot, {}).get(label, 0.0) for m in minutes]
                    for label in labels[: MAX_SERIES + 1]
                }
            mean_ms = [
                round(self._turn_ms[m][0] / self._turn_ms[m][1], 2) if self._turn_ms.get(m, [0, 0])[1] else None
                for m in minutes
            ]
            circuits = dict(sorted(self._circuits.items()))
        return {"minutes": [m * 60 for m in minutes], "plots": plots, "turn_mean_ms": mean_ms,
                "circuits": circuits}

    def _flush(self) -> None:
        now = time.monotonic()
        if self._reader is None or now - self._flushed_at < FLUSH_AT_MOST_EVERY_S:
            return
        self._flushed_at = now
        self._reader.force_flush(timeout_millis=2000)


class RollingExporter(MetricExporter):
    """Feeds a RollingAggregate; asks for deltas so each export is just this interval's counts."""

    def __init__(self, aggregate: RollingAggregate) -> None:
        delta = AggregationTemporality.DELTA
        super().__init__(preferred_temporality={
            Counter: delta, UpDownCounter: AggregationTemporality.CUMULATIVE, Histogram: delta,
            ObservableCounter: delta, ObservableUpDownCounter: AggregationTemporality.CUMULATIVE,
            ObservableGauge: AggregationTemporality.CUMULATIVE,
        })
        self._aggregate = aggregate

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object) -> MetricExportResult:
        self._aggregate.add(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        return None
