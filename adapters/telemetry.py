"""Traces and metrics of the turn analysis and the engines, free of any framework or exporter.

The host installs OpenTelemetry providers once (`install`); until then every function here
returns at its first line, so telemetry costs next to nothing when it is off. Exporters are
the host's business (bot/observability/); this module only names the instruments.

Never recorded: message text, user or conversation ids. Every attribute value comes from a
closed set (capabilities, engine names, outcomes, skip reasons, labels, categories) or is a
language code checked by `_code`, so a hostile message can neither leak nor explode
cardinality.

Over 300 lines on purpose: every instrument's name, unit and allowed attributes stay in one
file, so what the bot can ever record is read in one place.
"""

from __future__ import annotations

import contextlib
import re
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

if TYPE_CHECKING:
    from adapters.circuit import CircuitBreaker

SCOPE = "showcase_bot"
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_NAME = re.compile(r"[a-z0-9_#+.-]{1,40}")

# Bot Framework channel ids and activity types: anything else a client sends is "other".
CHANNELS = frozenset({
    "msteams", "webchat", "directline", "directlinespeech", "emulator", "test", "slack", "facebook",
    "telegram", "sms", "email", "skype", "skypeforbusiness", "kik", "line", "groupme", "alexa",
    "omnichannel", "outlook", "m365extensions", "cortana", "twilio-sms", "console",
})
ACTIVITY_TYPES = frozenset({
    "message", "conversationupdate", "contactrelationupdate", "typing", "endofconversation", "event",
    "invoke", "invokeresponse", "deleteuserdata", "messageupdate", "messagedelete", "installationupdate",
    "messagereaction", "suggestion", "trace", "handoff", "command", "commandresult",
})

# Milliseconds: an offline engine answers in ~1 ms, Azure in ~50-500 ms, a turn within its 5 s budget.
LATENCY_BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


def _code(value: str | None) -> str:
    """A language code as given, or "other" for anything that does not look like one."""
    return value if value and len(value) <= 16 and _CODE.fullmatch(value) else "other"


def _name(value: str | None) -> str:
    """An engine/label/category name as given, or "other" when it is not a short plain name."""
    return value if value and _NAME.fullmatch(value) else "other"


@dataclass
class _Instruments:
    """The providers' tracer and every instrument, made once at `install`."""

    tracer: trace.Tracer
    turns: Any
    turn_duration: Any
    engine_calls: Any
    engine_duration: Any
    engine_errors: Any
    fallbacks: Any
    circuit_transitions: Any
    languages: Any
    sentiments: Any
    safety_replies: Any
    handoffs: Any
    corrections: Any
    opt_outs: Any
    deletions: Any


_on: _Instruments | None = None
# (capability, engine) -> breaker, read by the circuit-state gauge; weak so old chains go away.
_circuits: dict[tuple[str, str], weakref.ref[CircuitBreaker]] = {}


def install(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    """Start recording into these providers (the host calls this once telemetry is configured)."""
    global _on
    meter = meter_provider.get_meter(SCOPE)
    counter = meter.create_counter
    _on = _Instruments(
        tracer=tracer_provider.get_tracer(SCOPE),
        turns=counter("showcase.turns", "{turn}", "Turns handled, by channel, activity type and outcome"),
        turn_duration=meter.create_histogram(
            "showcase.turn.duration", "ms", "Time from a turn's start to its replies being released",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_MS,
        ),
        engine_calls=counter("showcase.engine.calls", "{call}", "Engine calls by capability, engine, outcome"),
        engine_duration=meter.create_histogram(
            "showcase.engine.duration", "ms", "Latency of one engine call",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_MS,
        ),
        engine_errors=counter("showcase.engine.errors", "{call}", "Engine calls that failed or timed out"),
        fallbacks=counter("showcase.fallbacks", "{fallback}", "Times a chain moved past an engine, by reason"),
        circuit_transitions=counter(
            "showcase.circuit.transitions", "{transition}", "Circuit breaker state changes, by new state"
        ),
        languages=counter("showcase.languages", "{message}", "Detected language of each analysed message"),
        sentiments=counter("showcase.sentiment", "{message}", "Sentiment label of each analysed message"),
        safety_replies=counter(
            "showcase.safety.replies", "{reply}", "Supportive safety replies, by category and language"
        ),
        handoffs=counter("showcase.handoffs", "{handoff}", "Conversations handed to a person"),
        corrections=counter("showcase.corrections", "{correction}", "Sentiment readings corrected by users"),
        opt_outs=counter("showcase.opt_outs", "{opt_out}", "Users who opted out of analysis"),
        deletions=counter("showcase.deletions", "{deletion}", "Users who deleted their data"),
    )
    meter.create_observable_gauge(
        "showcase.circuit.state", [_observe_circuits], "1",
        "Circuit state per engine: 0 closed, 1 half-open, 2 open",
    )


def uninstall() -> None:
    """Stop recording (tests, shutdown): back to the free no-op path."""
    global _on
    _on = None


def enabled() -> bool:
    return _on is not None


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Record nothing inside: the host's synthetic start-up turns (bot/warm_up.py) are not traffic."""
    global _on
    saved, _on = _on, None
    try:
        yield
    finally:
        _on = saved


# Engines and circuits (adapters/fallback.py, adapters/circuit.py) --------------------------------


class _NoCall:
    """The engine-call scope when telemetry is off: every method does nothing."""

    __slots__ = ()

    def __enter__(self) -> _NoCall:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def finish(self, outcome: str, latency_ms: float, *, failed: bool = False, texts: int = 0) -> None:
        return None


_NO_CALL = _NoCall()


class _EngineCall:
    """One engine call's span, current while the call runs so the Azure SDK's spans nest under it."""

    __slots__ = ("_capability", "_engine", "_ins", "_span", "_token")

    def __init__(self, ins: _Instruments, capability: str, engine: str) -> None:
        self._ins, self._capability, self._engine = ins, capability, _name(engine)

    def __enter__(self) -> _EngineCall:
        self._span = self._ins.tracer.start_span(
            f"engine {self._capability}",
            kind=SpanKind.INTERNAL,
            attributes={"showcase.capability": self._capability, "showcase.engine": self._engine},
        )
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        return self

    def finish(self, outcome: str, latency_ms: float, *, failed: bool = False, texts: int = 0) -> None:
        """Record the call: `outcome` is "ok" or a skip reason; `texts` only counts them."""
        attributes = {"showcase.capability": self._capability, "showcase.engine": self._engine,
                      "showcase.outcome": outcome}
        self._span.set_attributes({**attributes, "showcase.latency_ms": round(latency_ms, 3),
                                   "showcase.texts": texts})
        if failed:  # the outcome only: an exception's message could quote the input
            self._span.set_status(Status(StatusCode.ERROR, outcome))
        self._ins.engine_calls.add(1, attributes)
        self._ins.engine_duration.record(latency_ms, attributes)
        if failed:
            self._ins.engine_errors.add(1, attributes)

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        otel_context.detach(self._token)
        if exc_type is not None:  # cancelled (the turn's budget): no verdict, but the span is kept
            self._span.set_attribute("showcase.outcome", "cancelled")
        self._span.end()


def engine_call(capability: str, engine: str) -> _EngineCall | _NoCall:
    """A scope around one engine call: `with engine_call(...) as call: ...; call.finish(...)`."""
    ins = _on
    return _NO_CALL if ins is None else _EngineCall(ins, capability, engine)


def record_fallback(capability: str, engine: str, reason: str) -> None:
    """The chain moved past `engine` (error, timeout, open circuit, unsupported, low confidence)."""
    if (ins := _on) is not None:
        ins.fallbacks.add(1, {"showcase.capability": capability, "showcase.engine": _name(engine),
                              "showcase.reason": reason})


def watch_circuit(capability: str, engine: str, breaker: CircuitBreaker) -> None:
    """Report this breaker's state on the circuit-state gauge (even if telemetry starts later)."""
    _circuits[(capability, _name(engine))] = weakref.ref(breaker)


def record_circuit_change(capability: str, engine: str, state: str) -> None:
    if (ins := _on) is not None:
        ins.circuit_transitions.add(1, {"showcase.capability": capability, "showcase.engine": _name(engine),
                                        "showcase.state": state})


def _observe_circuits(options: CallbackOptions) -> Iterable[Observation]:
    for (capability, engine), ref in list(_circuits.items()):
        breaker = ref()
        if breaker is None:
            _circuits.pop((capability, engine), None)
            continue
        yield Observation(
            CIRCUIT_VALUES.get(breaker.state.value, 0),
            {"showcase.capability": capability, "showcase.engine": engine},
        )


# Turns (the bot's turn middleware) -------------------------------------------------------------


class _NoTurn:
    __slots__ = ()

    def __enter__(self) -> _NoTurn:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def annotate(self, **attributes: str | bool) -> None:
        return None


_NO_TURN = _NoTurn()


class _Turn:
    """A turn's span (current while the turn runs) plus the turns counter and latency histogram."""

    __slots__ = ("_attributes", "_ins", "_span", "_started", "_token")

    def __init__(self, ins: _Instruments, channel: str | None, activity_type: str | None) -> None:
        self._ins = ins
        kind = activity_type.lower() if activity_type else ""
        self._attributes: dict[str, str | bool] = {
            "showcase.channel": channel if channel in CHANNELS else "other",
            "showcase.activity_type": kind if kind in ACTIVITY_TYPES else "other",
        }

    def __enter__(self) -> _Turn:
        self._span = self._ins.tracer.start_span("turn", kind=SpanKind.INTERNAL, attributes=self._attributes)
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        self._started = _now_ms()
        return self

    def annotate(self, **attributes: str | bool) -> None:
        """Add closed-set facts to the span (language, sentiment, safety_flagged...); never text."""
        self._span.set_attributes({
            f"showcase.{key}": value if isinstance(value, bool) else _name(value)
            for key, value in attributes.items()
        })

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        latency_ms = _now_ms() - self._started
        outcome = "ok" if exc_type is None else "error"
        otel_context.detach(self._token)
        if exc_type is not None:
            self._span.set_status(Status(StatusCode.ERROR, exc_type.__name__))
        self._span.set_attribute("showcase.outcome", outcome)
        self._span.end()
        metric = {**self._attributes, "showcase.outcome": outcome}
        self._ins.turns.add(1, metric)
        self._ins.turn_duration.record(latency_ms, metric)


def turn(channel: str | None, activity_type: str | None) -> _Turn | _NoTurn:
    """A scope around one turn: `with turn(channel, type) as t: ...; t.annotate(language="fr")`."""
    ins = _on
    return _NO_TURN if ins is None else _Turn(ins, channel, activity_type)


def _now_ms() -> float:
    return time.perf_counter() * 1000


# What a turn found and what the dialogs did: one call each --------------------------------------


def record_analysis(language: str | None, sentiment: str | None) -> None:
    """One analysed message: its detected language and sentiment label (None when not run)."""
    if (ins := _on) is None:
        return
    if language is not None:
        ins.languages.add(1, {"showcase.language": _code(language)})
    if sentiment is not None:
        ins.sentiments.add(1, {"showcase.label": _name(sentiment)})


def record_safety_reply(category: str | None, language: str | None) -> None:
    if (ins := _on) is not None:
        ins.safety_replies.add(1, {"showcase.category": _name(category or "unspecified"),
                                   "showcase.language": _code(language)})


def record_handoff() -> None:
    if (ins := _on) is not None:
        ins.handoffs.add(1)


def record_correction(label: str, *, changed: bool = True) -> None:
    """A user told how they feel (`label`); counted when it differs from what was read."""
    if changed and (ins := _on) is not None:
        ins.corrections.add(1, {"showcase.label": _name(label)})


def record_opt_out() -> None:
    if (ins := _on) is not None:
        ins.opt_outs.add(1)


def record_deletion() -> None:
    if (ins := _on) is not None:
        ins.deletions.add(1)
