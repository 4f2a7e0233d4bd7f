"""`python -m bot` with OTEL_EXPORTER_OTLP_ENDPOINT: a real conversation's spans and metrics
reach a local OTLP/HTTP receiver, with engine names and without a word the user wrote."""

from __future__ import annotations

import asyncio

from tests.harness import Harness
from tests.observability.otlp_receiver import OtlpReceiver

# Ten turns in three languages; each text is also searched for in everything exported.
SCRIPT = (
    ("en-US", "Hello there, I would like to analyze a text"),
    ("en-US", "I really love how quickly this team answered my question"),
    ("en-US", "The delivery was late and the box was crushed"),
    ("es-ES", "Hola, estoy muy contento con el servicio de hoy"),
    ("es-ES", "El paquete llegó roto y nadie me responde"),
    ("es-ES", "Gracias por la ayuda, fue muy amable"),
    ("fr-FR", "Bonjour, je suis très satisfait de votre application"),
    ("fr-FR", "Le service client ne répond jamais à mes messages"),
    ("fr-FR", "Merci beaucoup pour votre patience"),
    ("en-US", "I don't want to live anymore, I want to end my life tonight"),
)
# Words from the script that no metric, attribute or route name contains.
DISTINCT_WORDS = ("quickly", "crushed", "delivery", "contento", "paquete", "amable", "satisfait",
                  "patience", "tonight", "répond")


async def _wait_for(receiver: OtlpReceiver, ready, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not ready():
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, "the receiver did not get the expected telemetry in time"
        receiver.on_receive.clear()
        try:
            await asyncio.wait_for(receiver.on_receive.wait(), min(remaining, 1.0))
        except TimeoutError:
            pass


async def test_a_scripted_conversation_arrives_at_an_otlp_receiver_without_text(
    exporting_bot: str, otlp_receiver: OtlpReceiver
) -> None:
    async with Harness(f"{exporting_bot}/api/messages") as harness:
        conversations = {}
        for locale, text in SCRIPT:
            conversation = conversations.get(locale)
            if conversation is None:
                conversation = conversations[locale] = harness.conversation(locale=locale)
            assert await conversation.say(text)

    def engine_calls() -> float:
        return sum(p.value for p in otlp_receiver.points() if p.metric == "showcase.engine.calls")

    def requests_seen() -> int:
        return sum(span.name == "POST /api/messages" for span in otlp_receiver.spans())

    def turns() -> float:
        return sum(p.value for p in otlp_receiver.points() if p.metric == "showcase.turns")

    await _wait_for(otlp_receiver, lambda: engine_calls() >= 10 and requests_seen() >= len(SCRIPT)
                    and turns() >= len(SCRIPT))

    spans = otlp_receiver.spans()
    engine_spans = [span for span in spans if span.name.startswith("engine ")]
    engines = {(span.attributes["showcase.capability"], span.attributes["showcase.engine"]) for span in engine_spans}
    assert ("language", "local") in engines
    assert ("sentiment", "local") in engines
    assert any(capability == "safety" for capability, _ in engines)
    requests = [span for span in spans if span.name == "POST /api/messages"]
    assert len(requests) >= len(SCRIPT)
    assert all(span.attributes["http.response.status_code"] in (200, 201) for span in requests)
    by_id = {span.span_id: span for span in spans}
    # request -> turn -> engine calls, in one trace each.
    turn_spans = [span for span in spans if span.name == "turn"]
    assert len(turn_spans) >= len(SCRIPT)
    assert all(by_id[span.parent_span_id].name == "POST /api/messages" for span in turn_spans)
    for span in engine_spans:
        parent = by_id[span.parent_span_id]
        assert parent.name == "turn", span
    message_turns = [span for span in turn_spans if span.attributes["showcase.activity_type"] == "message"]
    assert {span.attributes["showcase.language"] for span in message_turns} >= {"en", "es", "fr"}
    assert sum(span.attributes["showcase.safety_flagged"] is True for span in message_turns) == 1

    points = otlp_receiver.points()
    languages = {p.attributes["showcase.language"] for p in points if p.metric == "showcase.languages"}
    assert {"en", "es", "fr"} <= languages
    labels = {p.attributes["showcase.label"] for p in points if p.metric == "showcase.sentiment"}
    assert labels & {"positive", "negative"}
    safety = [p for p in points if p.metric == "showcase.safety.replies"]
    assert safety and safety[-1].attributes["showcase.language"] == "en"
    assert safety[-1].attributes["showcase.category"] != "unspecified"
    assert {"showcase.turn.duration"} <= {p.metric for p in points}

    metric_names = {point.metric for point in otlp_receiver.points()}
    assert {"showcase.engine.calls", "showcase.engine.duration", "showcase.circuit.state"} <= metric_names

    exported = list(otlp_receiver.strings())
    assert "showcase-bot-test" in exported  # the search below does see resource attributes
    for needle in [text for _, text in SCRIPT] + list(DISTINCT_WORDS):
        leaked = [value for value in exported if needle.lower() in value.lower()]
        assert not leaked, (needle, leaked)
