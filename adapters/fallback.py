"""Fallback chains: ordered engines behind one capability Protocol, so callers never care which answered.

Each chain call tries its engines in order. An engine is skipped (and the reason
recorded on the result) when its circuit is open, it raises, it runs past the
per-call time budget, it does not support the language, or its confidence is below
the capability's threshold. Low confidence is judged per text: only the unsure
texts of a batch go on to the next engine. When every engine answers unsurely,
the most confident answer is returned with all the skips recorded (so a caller
sees both the answer and that nobody was sure). When no engine answers at all,
language detection returns `und` with score 0, sentiment returns an uncertain
neutral, and translation returns the original text with `translated=False`, all
with engine "none"/"passthrough": a turn is never lost to the engines.

Language detection adds a second opinion: when the accepted answer is below
`sure_confidence` and another engine can be asked, the two are combined:

* agreement: ``score = 1 - (1 - s1) * (1 - s2)`` (noisy-OR: both would have to be
  wrong), which is never lower than either score;
* disagreement: the more confident answer wins (the earlier engine on a tie) and
  ``score = s_win * (1 - s_lose / 2)``: the dissent costs up to half the winner's
  confidence, and the losing language is added to the alternatives.

Nothing here knows about bots.

Over 300 lines on purpose: the three chains share the skip rules, the circuit and the
telemetry of an engine call; each capability's chain is a short class at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from adapters import telemetry
from adapters.circuit import CircuitBreaker
from adapters.contracts import (
    EngineError,
    EngineMetrics,
    LanguageCandidate,
    LanguageDetector,
    LanguageResult,
    SecondOpinion,
    SentimentAnalyzer,
    SentimentLabel,
    SentimentResult,
    SentimentScores,
    Skip,
    SkipReason,
    TranslationResult,
    Translator,
    UnsupportedLanguageError,
)
from adapters.metrics import EngineCounters

log = logging.getLogger(__name__)

NO_ENGINE = "none"
PASSTHROUGH = "passthrough"
UNDETERMINED = "und"


class _Named(Protocol):
    name: str

    async def close(self) -> None: ...


E = TypeVar("E", bound=_Named)
R = TypeVar("R")
Call = Callable[[E, list[str]], Awaitable[Sequence[R]]]


@dataclass(frozen=True)
class ChainPolicy:
    """How patient and how demanding a chain is.

    `timeout_s` bounds each engine call; `budget_s`, when set, bounds one whole
    chain call (engines left when it is spent are skipped with reason timeout).
    """

    timeout_s: float = 2.0
    budget_s: float | None = None
    failure_threshold: int = 3
    cooldown_s: float = 30.0
    min_confidence: float = 0.0
    clock: Callable[[], float] = time.monotonic


@dataclass
class _Slot(Generic[E]):
    name: str
    engine: E
    breaker: CircuitBreaker
    counters: EngineCounters


@dataclass
class _Routed(Generic[R]):
    """Per text: the accepted (slot index, result), the skips, and every answer seen."""

    chosen: list[tuple[int, R] | None]
    skips: list[list[Skip]]
    answers: list[list[tuple[int, R]]]
    deadline: float | None


def _unique_names(engines: Sequence[_Named]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for engine in engines:
        base = engine.name
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return names


def _with_skips(result: R, skips: list[Skip]) -> R:
    if not skips:
        return result
    return dataclasses.replace(result, skipped=(*skips, *result.skipped))  # type: ignore[type-var]


class FallbackChain(Generic[E, R]):
    """The engine-agnostic core: ordered slots, breakers, budgets, metrics."""

    name = "chain"
    capability = "chain"  # the telemetry label of every engine call of this chain

    def __init__(self, engines: Sequence[E], *, policy: ChainPolicy | None = None) -> None:
        if not engines:
            raise ValueError("a fallback chain needs at least one engine")
        self.policy = policy or ChainPolicy()
        self._slots: list[_Slot[E]] = [
            _Slot(
                name=name,
                engine=engine,
                breaker=CircuitBreaker(
                    self.policy.failure_threshold,
                    self.policy.cooldown_s,
                    clock=self.policy.clock,
                ),
                counters=EngineCounters(name),
            )
            for name, engine in zip(_unique_names(engines), engines, strict=True)
        ]
        for slot in self._slots:
            slot.breaker.on_change = self._circuit_reporter(slot.name)
            telemetry.watch_circuit(self.capability, slot.name, slot.breaker)

    def _circuit_reporter(self, engine: str) -> Callable[[str], None]:
        def report(state: str) -> None:
            telemetry.record_circuit_change(self.capability, engine, state)
            log.info("circuit_changed capability=%s engine=%s state=%s", self.capability, engine, state)

        return report

    @property
    def engine_names(self) -> tuple[str, ...]:
        return tuple(slot.name for slot in self._slots)

    def engine(self, name: str) -> E | None:
        """The named engine itself, for callers that want a quick first look (or None)."""
        return next((slot.engine for slot in self._slots if slot.name == name), None)

    def breaker(self, engine: str) -> CircuitBreaker:
        """The circuit breaker of the named engine (for health checks and tests)."""
        for slot in self._slots:
            if slot.name == engine:
                return slot.breaker
        raise KeyError(engine)

    def metrics(self) -> list[EngineMetrics]:
        """A snapshot of every engine's counters and circuit state, in chain order."""
        return [slot.counters.snapshot(slot.breaker.state.value) for slot in self._slots]

    async def close(self) -> None:
        """Close every engine; one failing close does not keep the others open."""
        for slot in self._slots:
            try:
                await slot.engine.close()
            except Exception:  # closing is best effort: log it and close the rest
                log.exception("engine_close_failed engine=%s", slot.name)

    async def _attempt(
        self, slot: _Slot[E], call: Call[E, R], batch: list[str], deadline: float | None
    ) -> list[R] | Skip:
        """One guarded engine call: its results, or the Skip that explains why not."""
        timeout = self.policy.timeout_s
        if deadline is not None:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return Skip(slot.name, SkipReason.TIMEOUT, "chain time budget spent")
            timeout = min(timeout, remaining)
        if not slot.breaker.allow():
            waiting = slot.breaker.retry_in()
            detail = f"retry in {waiting:.1f}s" if waiting > 0 else "probe in progress"
            return Skip(slot.name, SkipReason.CIRCUIT_OPEN, detail)
        with telemetry.engine_call(self.capability, slot.name) as traced:
            started = time.perf_counter()
            outcome: list[R] | Skip
            try:
                async with asyncio.timeout(timeout):
                    results = list(await call(slot.engine, batch))
            except asyncio.CancelledError:
                slot.breaker.release()
                raise
            except TimeoutError:
                outcome = Skip(slot.name, SkipReason.TIMEOUT, f"no answer within {timeout:.3g}s")
            except UnsupportedLanguageError as exc:
                outcome = Skip(slot.name, SkipReason.UNSUPPORTED_LANGUAGE, exc.language)
            except EngineError as exc:
                outcome = Skip(slot.name, SkipReason.ERROR, str(exc))
            except Exception as exc:  # an engine bug must cost a fallback, never the turn
                log.exception("engine_crashed engine=%s", slot.name)
                outcome = Skip(slot.name, SkipReason.ERROR, f"{type(exc).__name__}: {exc}")
            else:
                if len(results) == len(batch):
                    outcome = results
                else:
                    outcome = Skip(
                        slot.name,
                        SkipReason.ERROR,
                        f"{len(results)} results for {len(batch)} texts",
                    )
            latency_ms = (time.perf_counter() - started) * 1000
            failed = isinstance(outcome, Skip) and outcome.reason in (
                SkipReason.ERROR,
                SkipReason.TIMEOUT,
            )
            if failed:
                slot.breaker.record_failure()
            else:  # an answer, or a clean "unsupported language": the service is healthy
                slot.breaker.record_success()
            traced.finish(
                "ok" if not isinstance(outcome, Skip) else outcome.reason.value,
                latency_ms,
                failed=failed,
                texts=len(batch),
            )
        slot.counters.record_call(latency_ms, failed=failed)
        if isinstance(outcome, Skip):
            log.info(
                "engine_skipped engine=%s reason=%s latency_ms=%.1f detail=%s",
                slot.name,
                outcome.reason.value,
                latency_ms,
                outcome.detail,
            )
        return outcome

    async def _route(
        self,
        texts: list[str],
        call: Call[E, R],
        confidence: Callable[[R], float] | None,
    ) -> _Routed[R]:
        """Walk the engines in order until every text has an answer sure enough."""
        n = len(texts)
        routed: _Routed[R] = _Routed(
            chosen=[None] * n,
            skips=[[] for _ in range(n)],
            answers=[[] for _ in range(n)],
            deadline=(
                asyncio.get_running_loop().time() + self.policy.budget_s
                if self.policy.budget_s is not None
                else None
            ),
        )
        threshold = self.policy.min_confidence
        pending = list(range(n))
        for index, slot in enumerate(self._slots):
            if not pending:
                break
            outcome = await self._attempt(slot, call, [texts[i] for i in pending], routed.deadline)
            if isinstance(outcome, Skip):
                slot.counters.record_skip(outcome.reason)
                telemetry.record_fallback(self.capability, slot.name, outcome.reason.value)
                for i in pending:
                    routed.skips[i].append(outcome)
                continue
            unsure: list[int] = []
            for i, result in zip(pending, outcome, strict=True):
                routed.answers[i].append((index, result))
                score = confidence(result) if confidence is not None else 1.0
                if score >= threshold:
                    routed.chosen[i] = (index, result)
                else:
                    routed.skips[i].append(
                        Skip(
                            slot.name,
                            SkipReason.LOW_CONFIDENCE,
                            f"confidence {score:.2f} < {threshold:.2f}",
                        )
                    )
                    unsure.append(i)
            if unsure:
                slot.counters.record_skip(SkipReason.LOW_CONFIDENCE)
                telemetry.record_fallback(self.capability, slot.name, SkipReason.LOW_CONFIDENCE.value)
            pending = unsure
        if confidence is not None:
            for i in pending:
                if routed.answers[i]:  # nobody was sure: the best unsure answer
                    routed.chosen[i] = max(routed.answers[i], key=lambda a: confidence(a[1]))
        return routed


async def _detect(engine: LanguageDetector, batch: list[str]) -> list[LanguageResult]:
    return await engine.detect(batch)


class LanguageChain(FallbackChain[LanguageDetector, LanguageResult]):
    """A LanguageDetector that falls back, and asks a second engine when unsure."""

    capability = "language"

    def __init__(
        self,
        engines: Sequence[LanguageDetector],
        *,
        policy: ChainPolicy | None = None,
        sure_confidence: float = 0.9,
        second_opinion: bool = True,
    ) -> None:
        super().__init__(engines, policy=policy)
        self.sure_confidence = sure_confidence
        self.second_opinion = second_opinion

    async def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        texts = list(texts)
        if not texts:
            return []
        routed = await self._route(texts, _detect, lambda r: r.score)
        opinions = await self._second_opinions(texts, routed) if self.second_opinion else {}
        results: list[LanguageResult] = []
        for i, pick in enumerate(routed.chosen):
            if pick is None:
                result = LanguageResult(language=UNDETERMINED, score=0.0, engine=NO_ENGINE)
            elif i in opinions:
                result = self._combine(pick, opinions[i])
            else:
                result = pick[1]
            results.append(_with_skips(result, routed.skips[i]))
        return results

    async def _second_opinions(
        self, texts: list[str], routed: _Routed[LanguageResult]
    ) -> dict[int, tuple[int, LanguageResult]]:
        """Another engine's answer for every unsure text: one already seen, or one asked for."""
        opinions: dict[int, tuple[int, LanguageResult]] = {}
        to_consult: dict[int, list[int]] = {}
        for i, pick in enumerate(routed.chosen):
            if pick is None or pick[1].score >= self.sure_confidence:
                continue
            others = [a for a in routed.answers[i] if a[0] != pick[0]]
            if others:
                opinions[i] = max(others, key=lambda a: a[1].score)
            elif pick[0] + 1 < len(self._slots):
                to_consult.setdefault(pick[0] + 1, []).append(i)
        for index, indices in to_consult.items():
            slot = self._slots[index]
            outcome = await self._attempt(slot, _detect, [texts[i] for i in indices], routed.deadline)
            if isinstance(outcome, Skip):
                continue  # no second opinion to be had; the first answer stands
            slot.counters.second_opinions += 1
            for i, result in zip(indices, outcome, strict=True):
                opinions[i] = (index, result)
        return opinions

    def _combine(self, pick: tuple[int, LanguageResult], other: tuple[int, LanguageResult]) -> LanguageResult:
        """Merge two engines' answers by the formulas in the module docstring."""
        (pick_index, first), (other_index, second) = pick, other
        if first.language == second.language:
            score = 1.0 - (1.0 - first.score) * (1.0 - second.score)
            opinion = SecondOpinion(self._slots[other_index].name, second.language, second.score, agrees=True)
            return dataclasses.replace(first, score=min(1.0, score), second_opinion=opinion)
        if first.score >= second.score:
            winner, loser, loser_index = first, second, other_index
        else:
            winner, loser, loser_index = second, first, pick_index
        alternatives = winner.alternatives
        if all(c.language != loser.language for c in alternatives):
            alternatives = (*alternatives, LanguageCandidate(loser.language, loser.score))
        return dataclasses.replace(
            winner,
            score=max(0.0, winner.score * (1.0 - loser.score / 2.0)),
            alternatives=alternatives,
            second_opinion=SecondOpinion(
                self._slots[loser_index].name, loser.language, loser.score, agrees=False
            ),
        )


class SentimentChain(FallbackChain[SentimentAnalyzer, SentimentResult]):
    """A SentimentAnalyzer that falls back on errors, unsupported languages and doubt."""

    capability = "sentiment"

    async def analyze(self, texts: Sequence[str], *, language: str) -> list[SentimentResult]:
        texts = list(texts)
        if not texts:
            return []

        async def call(engine: SentimentAnalyzer, batch: list[str]) -> list[SentimentResult]:
            return await engine.analyze(batch, language=language)

        routed = await self._route(texts, call, lambda r: r.confidence)
        results: list[SentimentResult] = []
        for i, pick in enumerate(routed.chosen):
            if pick is None:  # no engine answered: uncertain, never a confident neutral
                third = 1.0 / 3.0
                result = SentimentResult(
                    label=SentimentLabel.NEUTRAL,
                    scores=SentimentScores(third, third, third),
                    engine=NO_ENGINE,
                    language=language,
                )
            else:
                result = pick[1]
            results.append(_with_skips(result, routed.skips[i]))
        return results


class TranslationChain(FallbackChain[Translator, TranslationResult]):
    """A Translator that falls back, ending in an honest passthrough (translated=False)."""

    capability = "translation"

    async def translate(
        self, texts: Sequence[str], *, to: str, source: str | None = None
    ) -> list[TranslationResult]:
        texts = list(texts)
        if not texts:
            return []

        async def call(engine: Translator, batch: list[str]) -> list[TranslationResult]:
            return await engine.translate(batch, to=to, source=source)

        routed = await self._route(texts, call, None)
        results: list[TranslationResult] = []
        for i, pick in enumerate(routed.chosen):
            if pick is None:
                result = TranslationResult(
                    text=texts[i],
                    source_language=source or UNDETERMINED,
                    target_language=to,
                    engine=PASSTHROUGH,
                    translated=False,
                )
            else:
                result = pick[1]
            results.append(_with_skips(result, routed.skips[i]))
        return results
