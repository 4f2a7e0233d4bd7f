"""A local OTLP/HTTP receiver: what an OpenTelemetry collector would get, decoded for asserting.

Accepts protobuf (optionally gzip) on /v1/traces and /v1/metrics as the OTLP/HTTP spec
says and keeps the decoded requests. `python -m tests.observability.otlp_receiver [PORT]`
runs it alone and prints each span and metric, for checking `make run` by hand.
"""

from __future__ import annotations

import asyncio
import gzip
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiohttp import web
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, object]
    status_message: str
    event_names: tuple[str, ...]


@dataclass(frozen=True)
class ReceivedPoint:
    metric: str
    attributes: dict[str, object]
    value: float  # sum/gauge value, or a histogram's count


def _value(value: AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def _attributes(pairs) -> dict[str, object]:
    return {kv.key: _value(kv.value) for kv in pairs}


@dataclass
class OtlpReceiver:
    traces: list[ExportTraceServiceRequest] = field(default_factory=list)
    metrics: list[ExportMetricsServiceRequest] = field(default_factory=list)
    on_receive: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> OtlpReceiver:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_post("/v1/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    async def _body(request: web.Request) -> bytes:
        if request.content_type != "application/x-protobuf":
            raise web.HTTPUnsupportedMediaType(text="OTLP/HTTP protobuf only")
        body = await request.read()
        return gzip.decompress(body) if request.headers.get("Content-Encoding") == "gzip" else body

    async def _traces(self, request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest.FromString(await self._body(request))
        self.traces.append(message)
        self.on_receive.set()
        return web.Response(body=ExportTraceServiceResponse().SerializeToString(),
                            content_type="application/x-protobuf")

    async def _metrics(self, request: web.Request) -> web.Response:
        message = ExportMetricsServiceRequest.FromString(await self._body(request))
        self.metrics.append(message)
        self.on_receive.set()
        return web.Response(body=ExportMetricsServiceResponse().SerializeToString(),
                            content_type="application/x-protobuf")

    def spans(self) -> list[ReceivedSpan]:
        return [
            ReceivedSpan(
                span.name, span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(),
                _attributes(span.attributes), span.status.message, tuple(e.name for e in span.events),
            )
            for request in self.traces
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def points(self) -> list[ReceivedPoint]:
        found = []
        for request in self.metrics:
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            if kind == "histogram":
                                value = float(point.count)
                            else:
                                value = point.as_double if point.WhichOneof("value") == "as_double" else point.as_int
                            found.append(ReceivedPoint(metric.name, _attributes(point.attributes), float(value)))
        return found

    def strings(self) -> Iterator[str]:
        """Every string a collector would store: names, attribute keys and values, resources."""
        for request in self.traces:
            for resource_spans in request.resource_spans:
                yield from _strings(_attributes(resource_spans.resource.attributes))
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        yield span.name
                        yield span.status.message
                        yield from _strings(_attributes(span.attributes))
                        for event in span.events:
                            yield event.name
                            yield from _strings(_attributes(event.attributes))
                        for link in span.links:
                            yield from _strings(_attributes(link.attributes))
        for point in self.points():
            yield point.metric
            yield from _strings(point.attributes)
        for request in self.metrics:
            for resource_metrics in request.resource_metrics:
                yield from _strings(_attributes(resource_metrics.resource.attributes))
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        yield metric.description
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            for exemplar in getattr(point, "exemplars", ()):
                                yield from _strings(_attributes(exemplar.filtered_attributes))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


async def _main(port: int) -> None:
    receiver = await OtlpReceiver().start(port)
    print(f"OTLP/HTTP receiver on {receiver.url} (OTEL_EXPORTER_OTLP_ENDPOINT={receiver.url})", flush=True)
    seen_spans = seen_points = 0
    while True:
        await receiver.on_receive.wait()
        receiver.on_receive.clear()
        spans, points = receiver.spans(), receiver.points()
        for span in spans[seen_spans:]:
            print(f"span {span.name} {span.attributes}", flush=True)
        for point in points[seen_points:]:
            print(f"metric {point.metric} {point.attributes} {point.value}", flush=True)
        seen_spans, seen_points = len(spans), len(points)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 4318))
