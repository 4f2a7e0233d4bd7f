"""The framework-free turn analysis, driven directly: no TurnContext, no botbuilder."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from adapters.analysis.insights import LanguageDecision
from adapters.analysis.turn_analysis import AnalysisOptions, KnownLanguage, TurnAnalyzer
from adapters.contracts import SentimentLabel
from adapters.engines import Engines, build_engines
from adapters.fakes import FakeEngines, FakeSafetyChecker, engine_error
from tests.conftest import FAKE_ONLY

OPTIONS = AnalysisOptions(languages=("en", "es", "fr", "de", "ja"))
NOTHING_KNOWN = KnownLanguage()


@pytest.fixture
def fakes() -> FakeEngines:
    return FakeEngines(safety=FakeSafetyChecker())


@pytest.fixture
def engines(fakes: FakeEngines) -> Engines:
    return build_engines(FAKE_ONLY, fakes=fakes)


def test_the_analysis_core_runs_without_botbuilder_loaded():
    assert "adapters.analysis.turn_analysis" in sys.modules
    loaded_by_core = [name for name in sys.modules if name.startswith("adapters.analysis")]
    assert loaded_by_core  # the check below reads the modules that were really imported
    for name in loaded_by_core:
        source = sys.modules[name].__file__ or ""
        assert "import botbuilder" not in open(source, encoding="utf-8").read()
        assert "from botbuilder" not in open(source, encoding="utf-8").read()


async def test_a_spanish_message_is_detected_translated_scored_and_checked(fakes, engines):
    fakes.language.script("me encanta este servicio", language="es", score=0.97)
    fakes.translation.script("me encanta este servicio", to="en", translation="I love this service")
    fakes.sentiment.script("me encanta este servicio", label="positive", score=0.9)
    insights = await TurnAnalyzer(engines, OPTIONS).analyze("me encanta este servicio", NOTHING_KNOWN)
    assert insights.user_language == "es"
    assert insights.language_decision is LanguageDecision.DETECTED
    assert insights.text == "I love this service" and insights.translated
    assert insights.sentiment is not None and insights.sentiment.label is SentimentLabel.POSITIVE
    assert insights.safety is not None and not insights.distressed
    assert {step.capability for step in insights.steps} == {"language", "translation", "sentiment"}
    assert {step.engine for step in insights.steps} == {"fake"}


async def test_a_known_language_is_kept_for_a_short_reply(fakes, engines):
    fakes.language.script("ok", language="de", score=0.99)
    insights = await TurnAnalyzer(engines, OPTIONS).analyze("ok", KnownLanguage("fr"))
    assert insights.user_language == "fr"
    assert insights.language_decision is LanguageDecision.KEPT


async def test_one_of_the_bots_own_buttons_never_sets_another_language(fakes, engines):
    fakes.language.script("Help", language="de", score=0.99)
    analyzer = TurnAnalyzer(engines, OPTIONS, own_phrase=lambda language, text: (language, text) == ("en", "Help"))
    insights = await analyzer.analyze("Help", NOTHING_KNOWN)
    assert insights.user_language == "en"
    assert insights.notes[0] == "language: one of my own buttons or phrases"


async def test_with_analysis_off_nothing_reaches_an_engine_but_distress_is_still_caught(fakes, engines):
    assert fakes.safety is not None
    fakes.safety.flag("I can't go on")
    fakes.language.fail_with(engine_error("fake", "must not be called"))
    insights = await TurnAnalyzer(engines, OPTIONS).analyze("I can't go on", NOTHING_KNOWN, enabled=False)
    assert not insights.analysis_enabled
    assert insights.distressed
    assert insights.steps == () and insights.sentiment is None


async def test_a_failing_translator_leaves_the_text_as_written_and_says_so(fakes, engines):
    fakes.language.script("bonjour tout le monde", language="fr", score=0.99)
    fakes.translation.fail_with(engine_error("fake", "down"))
    insights = await TurnAnalyzer(engines, OPTIONS).analyze("bonjour tout le monde", NOTHING_KNOWN)
    assert insights.user_language == "fr"
    assert insights.text == "bonjour tout le monde" and not insights.translated
    assert "no translator available: the text was read as written" in insights.notes


async def test_the_turn_budget_bounds_a_slow_engine(fakes):
    engines = build_engines(replace(FAKE_ONLY, call_timeout_s=10.0), fakes=fakes)
    fakes.language.script("bonjour tout le monde", language="fr")
    fakes.sentiment.script("bonjour tout le monde", label="positive", delay=5.0)
    analyzer = TurnAnalyzer(engines, replace(OPTIONS, turn_budget_s=0.2))
    insights = await analyzer.analyze("bonjour tout le monde", NOTHING_KNOWN)
    assert any("turn budget" in note for note in insights.notes)


async def test_replies_are_translated_in_one_call_with_protected_spans_kept(fakes, engines):
    fakes.translation.script("Write to [[0]] today", to="es", translation="Escribe a [[0]] hoy")
    analyzer = TurnAnalyzer(engines, OPTIONS)
    translated = await analyzer.translate_replies(["Write to ana@example.com today", "Unknown"], to="es")
    assert translated[0] == "Escribe a ana@example.com hoy"
    assert len(fakes.translation.calls) == 1


async def test_replies_stay_as_written_when_the_translator_fails(fakes, engines):
    fakes.translation.fail_with(engine_error("fake", "down"))
    translated = await TurnAnalyzer(engines, OPTIONS).translate_replies(["Hello"], to="es")
    assert translated == [None]


async def test_without_engines_only_the_given_safety_chain_runs():
    from adapters.engines import build_safety

    safety = build_safety(FAKE_ONLY)
    try:
        analyzer = TurnAnalyzer(None, OPTIONS, safety=safety)
        insights = await analyzer.analyze("I want to end my life", NOTHING_KNOWN)
    finally:
        await safety.close()
    assert not insights.analysis_enabled
    assert insights.distressed
    assert not analyzer.translates_replies
