"""The safety chain combines for recall: any flag wins, and a failing engine never hides one."""

from __future__ import annotations

import asyncio

from adapters.contracts import EngineError, SafetyResult, SkipReason
from adapters.fakes import FakeSafetyChecker
from adapters.fallback import ChainPolicy
from adapters.local_safety import LexiconSafetyChecker
from adapters.safety_chain import SafetyChain


class Broken:
    name = "azure"

    async def check(self, text: str, *, language: str) -> SafetyResult:
        raise EngineError("azure", "503 from the service")

    async def close(self) -> None:
        pass


class Slow:
    name = "slow"

    async def check(self, text: str, *, language: str) -> SafetyResult:
        await asyncio.sleep(5)
        return SafetyResult(False, self.name)

    async def close(self) -> None:
        pass


class Scored:
    """Flags with a category and severity, like Azure Content Safety."""

    name = "azure"

    async def check(self, text: str, *, language: str) -> SafetyResult:
        return SafetyResult(True, self.name, "self_harm", score=4 / 7, severity=4)

    async def close(self) -> None:
        pass


async def test_a_flag_from_a_later_engine_wins_over_an_earlier_clear() -> None:
    fake = FakeSafetyChecker().flag("je ne vois plus d'issue")
    chain = SafetyChain([LexiconSafetyChecker(), fake])
    result = await chain.check("je ne vois plus d'issue", language="fr")
    assert result.flagged and result.engine == "fake"
    assert [flag.engine for flag in result.flags] == ["fake"]


async def test_every_flagging_engine_is_named_with_its_verdict() -> None:
    chain = SafetyChain([LexiconSafetyChecker(), Scored()])
    result = await chain.check("I want to kill myself", language="en")
    assert result.engine == "lexicon+azure"
    assert {(flag.engine, flag.category) for flag in result.flags} == {
        ("lexicon", "suicidal_ideation"), ("azure", "self_harm")}
    assert result.category == "suicidal_ideation"  # the most severe leads
    assert result.severity == 4


async def test_an_engine_that_errors_or_times_out_never_hides_a_flag() -> None:
    chain = SafetyChain([Broken(), Slow(), LexiconSafetyChecker()], policy=ChainPolicy(timeout_s=0.05))
    result = await chain.check("I want to die", language="en")
    assert result.flagged and result.engine == "lexicon"
    assert {(skip.engine, skip.reason) for skip in result.skipped} == {
        ("azure", SkipReason.ERROR), ("slow", SkipReason.TIMEOUT)}


async def test_an_open_circuit_is_a_skip_with_its_reason() -> None:
    chain = SafetyChain([Broken(), LexiconSafetyChecker()], policy=ChainPolicy(failure_threshold=1))
    await chain.check("hello", language="en")
    result = await chain.check("I want to die", language="en")
    assert result.flagged
    assert [(skip.engine, skip.reason) for skip in result.skipped] == [("azure", SkipReason.CIRCUIT_OPEN)]


async def test_nothing_flagged_reports_who_answered_and_who_was_skipped() -> None:
    chain = SafetyChain([Broken(), LexiconSafetyChecker()])
    result = await chain.check("what a lovely day", language="en")
    assert not result.flagged and result.engine == "lexicon"
    assert [skip.engine for skip in result.skipped] == ["azure"]


async def test_a_local_only_reading_leaves_the_remote_engine_out() -> None:
    """The translation's second reading must not cost another round trip to the service."""
    chain = SafetyChain([Scored(), LexiconSafetyChecker()])
    assert chain.has_remote_engine
    result = await chain.check("I want to die", language="en", only_local=True)
    assert result.engine == "lexicon" and result.skipped == ()
    assert not SafetyChain([LexiconSafetyChecker()]).has_remote_engine


class Where:
    """Records the task each check ran in and the order of the checks."""

    def __init__(self, name: str, log: list[tuple[str, asyncio.Task | None]], flag: bool = False) -> None:
        self.name = name
        self._log = log
        self._flag = flag

    async def check(self, text: str, *, language: str) -> SafetyResult:
        self._log.append((self.name, asyncio.current_task()))
        await asyncio.sleep(0)  # an engine may await: the next one must still be asked
        return SafetyResult(self._flag, self.name, "distress" if self._flag else None)

    async def close(self) -> None:
        pass


async def test_local_engines_are_asked_in_order_in_the_callers_task_with_the_same_verdict() -> None:
    log: list[tuple[str, asyncio.Task | None]] = []
    chain = SafetyChain([Where("lexicon", log), Where("learned", log, flag=True)])
    result = await chain.check("anything", language="en")
    assert [name for name, _ in log] == ["lexicon", "learned"]
    assert all(task is asyncio.current_task() for _, task in log)
    assert result.flagged and result.engine == "learned" and result.category == "distress"


async def test_with_a_remote_engine_every_engine_runs_in_its_own_task_meanwhile() -> None:
    log: list[tuple[str, asyncio.Task | None]] = []
    chain = SafetyChain([Where("azure", log), Where("lexicon", log)])
    result = await chain.check("anything", language="en")
    assert [name for name, _ in log] == ["azure", "lexicon"]
    assert all(task is not asyncio.current_task() for _, task in log)
    assert not result.flagged and result.engine == "azure+lexicon"
