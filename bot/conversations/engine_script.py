"""Applies a script's `engine:` lines to the fake engines (adapters/fakes.py)."""

from __future__ import annotations

from adapters.contracts import SUPPORTED_LANGUAGES
from adapters.fakes import FakeEngines, FakeSafetyChecker, engine_error
from bot.conversations.model import Conversation, EngineStep


def fake_engines_for(conversation: Conversation) -> FakeEngines:
    """Fresh fakes for one conversation; a scripted safety checker only when the script uses one."""
    engines = FakeEngines()
    if any(isinstance(step, EngineStep) and step.capability == "safety" for step in conversation.steps):
        engines.safety = FakeSafetyChecker()
    return engines


def apply_engine_step(engines: FakeEngines, step: EngineStep) -> None:
    """Script one fake from this point of the conversation on."""
    if step.capability == "safety":
        if engines.safety is None:  # fake_engines_for creates it; a caller's own fakes may not
            engines.safety = FakeSafetyChecker()
        engines.safety.flag(step.text or "")
        return
    fake = {"language": engines.language, "sentiment": engines.sentiment, "translate": engines.translation}[
        step.capability
    ]
    if step.text is None:
        fake.fail_with(engine_error(fake.name, "scripted outage") if step.outcome == "down" else None)
    elif step.outcome == "error":
        fake.script(step.text, error=engine_error(fake.name, "scripted failure"))
    elif step.capability == "language":
        engines.language.script(step.text, language=step.outcome, score=step.score or 0.99)
    elif step.capability == "sentiment":
        engines.sentiment.script(step.text, label=step.outcome, score=step.score or 0.95)
    else:
        engines.translation.script(step.text, to=step.target, translation=step.outcome)


def apply_user_language(engines: FakeEngines, locale: str | None) -> None:
    """`language: es` means the user writes Spanish: texts the fakes don't recognise read as Spanish."""
    language = (locale or "").split("-")[0].lower()
    if language in SUPPORTED_LANGUAGES:
        engines.language.default_language = language
