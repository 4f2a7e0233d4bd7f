"""Observability settings: standard OTEL_* resolution, tokens that must be long, and nothing by default."""

from __future__ import annotations

import pytest

from bot.observability.providers import observability_wanted, start_observability
from bot.settings import SettingsError
from tests.conftest import make_settings


def test_nothing_is_exported_or_served_by_default() -> None:
    settings = make_settings()
    assert not observability_wanted(settings)
    assert start_observability(settings) is None


def test_otlp_endpoints_resolve_as_the_specification_says() -> None:
    base = make_settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/")
    assert base.otlp_traces_endpoint == "http://collector:4318/v1/traces"
    assert base.otlp_metrics_endpoint == "http://collector:4318/v1/metrics"
    own = make_settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
                        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="https://traces.example/ingest")
    assert own.otlp_traces_endpoint == "https://traces.example/ingest"
    no_metrics = make_settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318", OTEL_METRICS_EXPORTER="none")
    assert no_metrics.otlp_metrics_endpoint == "" and no_metrics.otlp_traces_endpoint
    disabled = make_settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318", OTEL_SDK_DISABLED="true")
    assert not observability_wanted(disabled)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
         "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({"BOT_ADMIN_TOKEN": "short"}, "BOT_ADMIN_TOKEN"),
        ({"BOT_PROMETHEUS": "on"}, "BOT_METRICS_TOKEN"),
        ({"BOT_PROMETHEUS": "maybe"}, "BOT_PROMETHEUS"),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "not a connection string"}, "APPLICATIONINSIGHTS_CONNECTION_STRING"),
    ],
)
def test_a_bad_observability_setting_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as raised:
        make_settings(**env)
    assert raised.value.variable == variable
    assert "short" not in str(raised.value)  # a token is never echoed


def test_tokens_are_not_in_the_settings_repr() -> None:
    settings = make_settings(BOT_ADMIN_TOKEN="admin-secret-0123456789", BOT_PROMETHEUS="on",
                             BOT_METRICS_TOKEN="metrics-secret-0123456789",
                             APPLICATIONINSIGHTS_CONNECTION_STRING="InstrumentationKey=00000000-key-secret")
    assert "secret" not in repr(settings)
