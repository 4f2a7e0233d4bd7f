"""The safety chain: every engine is asked, and a message is flagged when any engine flags it.

Unlike the other chains, the first answer does not win: a miss costs far more than a
kind message too many, so the verdicts are combined for recall. An engine that errors,
times out, is unconfigured or has an open circuit is recorded as a skip and can never
hide another engine's flag. The result names every engine that flagged and every skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from adapters import telemetry
from adapters.contracts import SafetyChecker, SafetyFlag, SafetyResult, Skip
from adapters.fallback import ChainPolicy, FallbackChain
from adapters.local_safety import SEVERITY

_CATEGORY_ORDER = (*SEVERITY, "self_harm")


def _severity_rank(category: str) -> int:
    return _CATEGORY_ORDER.index(category) if category in _CATEGORY_ORDER else len(_CATEGORY_ORDER)


class SafetyChain(FallbackChain[SafetyChecker, SafetyResult]):
    """`SafetyChecker` over several engines, combined with OR.

    With a remote engine every engine is asked concurrently (the others run during its
    round trip); local engines alone are asked in order in the caller's task.
    """

    name = "safety"
    capability = "safety"

    def __init__(self, engines: Sequence[SafetyChecker], *, policy: ChainPolicy | None = None) -> None:
        super().__init__(engines, policy=policy)

    @property
    def has_remote_engine(self) -> bool:
        """True when an engine answers over the network (its round trip is worth starting early)."""
        return "azure" in self.engine_names

    async def check(self, text: str, *, language: str, only_local: bool = False) -> SafetyResult:
        """Every engine's verdict on `text`, combined; `only_local` leaves the remote ones out
        (for a second reading, e.g. of the translation, that must not cost another round trip)."""

        async def ask(engine: SafetyChecker, batch: list[str]) -> list[SafetyResult]:
            return [await engine.check(batch[0], language=language)]

        slots = [slot for slot in self._slots if not (only_local and slot.name == "azure")]
        if any(slot.name == "azure" for slot in slots):  # a round trip: everything else runs meanwhile
            outcomes = await asyncio.gather(*(self._attempt(slot, ask, [text], None) for slot in slots))
        else:
            # Local engines compute on this process's one event loop: asked one after the other
            # (in the same order a gather would start them), without a task and its loop turns each.
            outcomes = [await self._attempt(slot, ask, [text], None) for slot in slots]
        answers: list[SafetyResult] = []
        skipped: list[Skip] = []
        for slot, outcome in zip(slots, outcomes, strict=True):
            if isinstance(outcome, Skip):
                skipped.append(outcome)
                slot.counters.record_skip(outcome.reason)
                telemetry.record_fallback(self.capability, slot.name, outcome.reason.value)
            else:
                answers.append(outcome[0])
        return combine(answers, tuple(skipped))


def combine(answers: Sequence[SafetyResult], skipped: tuple[Skip, ...] = ()) -> SafetyResult:
    """One verdict from several: flagged if any flagged; the most severe category leads."""
    flagged = [answer for answer in answers if answer.flagged]
    engines = "+".join(answer.engine for answer in answers) or "none"
    if not flagged:
        best = max((answer.score for answer in answers), default=0.0)
        return SafetyResult(False, engines, score=best, skipped=skipped)
    flagged.sort(key=lambda answer: _severity_rank(answer.category))
    lead = flagged[0]
    matched = tuple(dict.fromkeys(phrase for answer in flagged for phrase in answer.matched))
    severities = [answer.severity for answer in flagged if answer.severity is not None]
    return SafetyResult(
        True,
        "+".join(answer.engine for answer in flagged),
        lead.category,
        matched,
        score=max(answer.score for answer in flagged),
        severity=max(severities) if severities else None,
        flags=tuple(
            SafetyFlag(answer.engine, answer.category, answer.score, answer.severity) for answer in flagged
        ),
        skipped=skipped,
        about_someone_else=any(answer.about_someone_else for answer in flagged),
    )
