"""OpenTelemetry providers and exporters, chosen by the standard configuration.

OTLP/HTTP when an `OTEL_EXPORTER_OTLP_*ENDPOINT` is set, Azure Monitor (the
azure-monitor-opentelemetry distro) when `APPLICATIONINSIGHTS_CONNECTION_STRING` is
set, a Prometheus reader when `BOT_PROMETHEUS=on`, and the operator page's rolling
aggregate when `BOT_ADMIN_TOKEN` is set. With none of them nothing is built, nothing
is installed, and adapters/telemetry.py stays on its free no-op path.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry

from adapters import telemetry
from bot.observability.rolling import RollingAggregate, RollingExporter
from bot.settings import Settings

log = logging.getLogger("bot.observability")

# The distro's other instrumentations (web frameworks, HTTP clients, databases) are not for this app.
_DISTRO_OFF = ("django", "fastapi", "flask", "psycopg2", "requests", "urllib", "urllib3")
ROLLING_INTERVAL_MS = 5000


@dataclass
class Observability:
    """What one app exports to; `shutdown` flushes and stops it."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    tracing: bool
    prometheus: CollectorRegistry | None = None
    rolling: RollingAggregate | None = None
    readers: list[MetricReader] = field(default_factory=list)

    def shutdown(self) -> None:
        telemetry.uninstall()
        for provider in (self.meter_provider, self.tracer_provider):
            try:
                provider.shutdown()
            except Exception as error:  # an exporter failing at exit must not hide the others
                log.warning("telemetry_shutdown_failed error=%s", type(error).__name__)


def observability_wanted(settings: Settings) -> bool:
    return bool(
        settings.otlp_traces_endpoint
        or settings.otlp_metrics_endpoint
        or settings.appinsights_connection_string
        or settings.prometheus
        or settings.admin_token
    )


def start_observability(settings: Settings) -> Observability | None:
    """Build the providers the settings ask for and install them; None when nothing is asked."""
    if not observability_wanted(settings):
        return None
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", "showcase-bot")})
    processors: list[SpanProcessor] = []
    readers: list[MetricReader] = []
    if settings.otlp_traces_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint)))
    if settings.otlp_metrics_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=settings.otlp_metrics_endpoint)))
    registry = None
    if settings.prometheus:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        registry = CollectorRegistry()
        readers.append(PrometheusMetricReader(registry=registry))
    rolling = None
    if settings.admin_token:
        rolling = RollingAggregate()
        reader = PeriodicExportingMetricReader(RollingExporter(rolling), export_interval_millis=ROLLING_INTERVAL_MS)
        rolling.attach(reader)
        readers.append(reader)

    if settings.appinsights_connection_string:
        tracer_provider, meter_provider = _azure_monitor(settings, resource, processors, readers)
        tracing = True
    else:
        tracer_provider = TracerProvider(resource=resource)
        for processor in processors:
            tracer_provider.add_span_processor(processor)
        # No exemplars: they cost ~10% of a recording and nothing here needs a sample span per point.
        meter_provider = MeterProvider(resource=resource, metric_readers=readers,
                                       exemplar_filter=AlwaysOffExemplarFilter())
        tracing = bool(processors)
        if tracing:
            _make_global(tracer_provider, meter_provider)
    telemetry.install(tracer_provider, meter_provider)
    log.info(
        "telemetry_on otlp_traces=%s otlp_metrics=%s azure_monitor=%s prometheus=%s admin=%s",
        bool(settings.otlp_traces_endpoint), bool(settings.otlp_metrics_endpoint),
        bool(settings.appinsights_connection_string), settings.prometheus, bool(settings.admin_token),
    )
    return Observability(tracer_provider, meter_provider, tracing, registry, rolling, readers)


def _make_global(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    """Let the Azure SDKs' spans (azure-core tracing) reach the same exporters, once per process."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):  # OpenTelemetry allows one, ever
        trace.set_tracer_provider(tracer_provider)
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        metrics.set_meter_provider(meter_provider)
    from azure.core.settings import settings as azure_settings
    from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan

    azure_settings.tracing_implementation = OpenTelemetrySpan


def _azure_monitor(
    settings: Settings, resource: Resource, processors: list[SpanProcessor], readers: list[MetricReader]
) -> tuple[TracerProvider, MeterProvider]:
    """The distro builds (and makes global) the providers; ours ride along as extra processors/readers."""
    from azure.monitor.opentelemetry import configure_azure_monitor

    # Logs stay local unless the operator asks (OTEL_LOGS_EXPORTER): with BOT_LOG_TEXT they hold text.
    os.environ.setdefault("OTEL_LOGS_EXPORTER", "none")
    # The SDK's own usage reports to Microsoft ("statsbeat") only when the operator opts in.
    os.environ.setdefault("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    # Each export is an HTTP request the Azure SDK logs at INFO: one line a second is noise.
    for name in ("azure.core.pipeline.policies.http_logging_policy", "azure.monitor.opentelemetry.exporter"):
        logging.getLogger(name).setLevel(logging.WARNING)
    configure_azure_monitor(
        connection_string=settings.appinsights_connection_string,
        resource=resource,
        span_processors=processors,
        metric_readers=readers,
        enable_live_metrics=False,
        enable_performance_counters=False,
        instrumentation_options={
            **{name: {"enabled": False} for name in _DISTRO_OFF},
            "azure_sdk": {"enabled": True},
        },
    )
    tracer_provider = trace.get_tracer_provider()
    meter_provider = metrics.get_meter_provider()
    if not isinstance(tracer_provider, TracerProvider) or not isinstance(meter_provider, MeterProvider):
        raise RuntimeError("Azure Monitor did not install the OpenTelemetry SDK providers")
    return tracer_provider, meter_provider
