"""The framework-free telemetry core: engine spans and metrics from real chains, no text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters import telemetry
from adapters.contracts import EngineError
from adapters.fakes import FakeLanguageDetector, FakeSafetyChecker
from adapters.fallback import ChainPolicy, LanguageChain
from adapters.safety_chain import SafetyChain


class Recorded:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.reader = InMemoryMetricReader()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def points(self, name: str) -> list[tuple[dict, float]]:
        """(attributes, value) of every data point of metric `name`."""
        found = []
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            value = getattr(point, "value", None)
                            found.append((dict(point.attributes), value if value is not None else point.count))
        return found


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    record = Recorded()
    telemetry.install(record.tracer_provider, record.meter_provider)
    yield record
    telemetry.uninstall()
    record.meter_provider.shutdown()
    record.tracer_provider.shutdown()


async def test_engine_calls_become_spans_with_capability_engine_and_outcome(recorded: Recorded) -> None:
    azure = FakeLanguageDetector("azure")
    azure.fail_with(EngineError("azure", "503 while reading 'bonjour tout le monde'"))
    local = FakeLanguageDetector("local", scripts={"bonjour tout le monde": "fr"})
    chain = LanguageChain([azure, local], policy=ChainPolicy(timeout_s=1.0, failure_threshold=5))

    [result] = await chain.detect(["bonjour tout le monde"])

    assert result.language == "fr"
    spans = {span.attributes["showcase.engine"]: span for span in recorded.spans.get_finished_spans()}
    assert set(spans) == {"azure", "local"}
    assert spans["azure"].name == "engine language"
    assert spans["azure"].attributes["showcase.outcome"] == "error"
    assert spans["azure"].status.description == "error"  # never the exception's message
    assert spans["local"].attributes["showcase.outcome"] == "ok"
    assert spans["local"].attributes["showcase.capability"] == "language"
    for span in spans.values():
        values = [str(v) for v in span.attributes.values()] + [span.name, str(span.status.description)]
        assert not any("bonjour" in value for value in values)
    calls = {(a["showcase.engine"], a["showcase.outcome"]): v for a, v in recorded.points("showcase.engine.calls")}
    assert calls == {("azure", "error"): 1, ("local", "ok"): 1}
    fallbacks = recorded.points("showcase.fallbacks")
    assert [(a["showcase.engine"], a["showcase.reason"], v) for a, v in fallbacks] == [("azure", "error", 1)]
    assert [a["showcase.engine"] for a, _ in recorded.points("showcase.engine.errors")] == ["azure"]


async def test_circuit_state_is_observed_and_its_transitions_counted(recorded: Recorded) -> None:
    azure = FakeLanguageDetector("azure")
    azure.fail_with(EngineError("azure", "down"))
    chain = LanguageChain(
        [azure, FakeLanguageDetector("local")], policy=ChainPolicy(timeout_s=1.0, failure_threshold=1)
    )

    await chain.detect(["hello"])

    states = {a["showcase.engine"]: v for a, v in recorded.points("showcase.circuit.state")
              if a["showcase.capability"] == "language"}
    assert states["azure"] == telemetry.CIRCUIT_VALUES["open"]
    assert states["local"] == telemetry.CIRCUIT_VALUES["closed"]
    transitions = recorded.points("showcase.circuit.transitions")
    assert [(a["showcase.engine"], a["showcase.state"]) for a, _ in transitions] == [("azure", "open")]


async def test_safety_engines_are_traced_under_their_own_capability(recorded: Recorded) -> None:
    chain = SafetyChain([FakeSafetyChecker()], policy=ChainPolicy(timeout_s=1.0))

    await chain.check("I feel fine today", language="en")

    [span] = recorded.spans.get_finished_spans()
    assert span.name == "engine safety"
    assert span.attributes["showcase.outcome"] == "ok"


def test_turn_scope_counts_the_turn_and_bounds_hostile_values(recorded: Recorded) -> None:
    with telemetry.turn("webchat", "message") as turn:
        turn.annotate(language="es", sentiment="positive", safety_flagged=False)
        telemetry.record_analysis("es", "positive")
        telemetry.record_analysis("<script>alert(1)</script>", "I hate you, my name is Bob")
    [span] = recorded.spans.get_finished_spans()
    assert span.name == "turn"
    assert span.attributes["showcase.language"] == "es"
    assert span.attributes["showcase.safety_flagged"] is False
    [(attributes, count)] = recorded.points("showcase.turns")
    assert attributes == {"showcase.channel": "webchat", "showcase.activity_type": "message",
                          "showcase.outcome": "ok"}
    assert count == 1
    languages = {a["showcase.language"]: v for a, v in recorded.points("showcase.languages")}
    assert languages == {"es": 1, "other": 1}
    labels = {a["showcase.label"] for a, _ in recorded.points("showcase.sentiment")}
    assert labels == {"positive", "other"}
    with telemetry.turn("my-own-channel-with-a-name", "<b>boom</b>"):
        pass
    made_up = [a for a, _ in recorded.points("showcase.turns") if a["showcase.channel"] == "other"]
    assert made_up == [{"showcase.channel": "other", "showcase.activity_type": "other", "showcase.outcome": "ok"}]


def test_nothing_is_recorded_and_nothing_fails_when_off() -> None:
    telemetry.uninstall()
    with telemetry.turn("webchat", "message") as turn, telemetry.engine_call("language", "local") as call:
        turn.annotate(language="en")
        call.finish("ok", 1.0)
        telemetry.record_handoff()
        telemetry.record_safety_reply("self_harm", "en")
    assert not telemetry.enabled()
