"""This bot as the conversation-testing kit's bot under test (`conversation_bot = bot.conversation_bot:showcase_bot`).

It plugs into chatscripts the way any user's bot would: a factory that builds the real
runtime (bot/runtime.py, as the app builds it) for one conversation, on fake engines the
script's `engine:` lines drive (adapters/fakes.py), or on the app's own engines for
`engines: app` conversations and recorded transcripts.
"""

from __future__ import annotations

from dataclasses import replace

from botbuilder.core import MemoryStorage

from adapters.contracts import SUPPORTED_LANGUAGES
from adapters.engines import build_engines
from adapters.fakes import FakeEngines, FakeSafetyChecker, engine_error
from adapters.locales import primary_language
from bot.runtime import build_runtime
from bot.settings import Settings, load_settings
from chatscripts.inprocess import BotUnderTest
from chatscripts.model import Conversation, EngineStep

FAKE_ONLY = ("fake",)
# A replay checks what the bot says, not how fast: a slow (cold, or busy) machine must not
# turn an engine's answer into a timeout fallback and change the conversation.
PATIENT = {"BOT_ENGINE_TIMEOUT_MS": "60000", "BOT_TURN_BUDGET_MS": "120000"}


def test_settings() -> Settings:
    """The app's defaults from an empty environment (no .env, memory storage, no recording)."""
    return load_settings({"BOT_STORAGE": "memory", **PATIENT}, dotenv=False)


async def showcase_bot(conversation: Conversation) -> BotUnderTest:
    """The real runtime (every middleware, dialogs, error handler) for one conversation."""
    engines = fake_engines_for(conversation) if conversation.engines == "fake" else None
    return await build_bot_under_test(engines)


async def build_bot_under_test(engines: FakeEngines | None) -> BotUnderTest:
    """The runtime on the given fakes, or with `None` on the engines its settings choose
    (the offline local engines by default), which is how recorded transcripts replay faithfully."""
    settings = test_settings()
    built = None
    if engines is not None:
        config = replace(
            settings.engines,
            language_engines=FAKE_ONLY,
            sentiment_engines=FAKE_ONLY,
            translation_engines=FAKE_ONLY,
            safety_engines=FAKE_ONLY,  # the script's scripted checker, else the lexicon alone
        )
        settings = replace(settings, engines=config)
        built = build_engines(config, fakes=engines)
    runtime = await build_runtime(settings, storage=MemoryStorage(), engines=built)
    return BotUnderTest(
        logic=runtime.bot.on_turn,
        # The adapter's whole middleware set, in the app's order (it is itself a Middleware).
        middleware=(runtime.adapter._middleware,),
        on_turn_error=runtime.adapter.on_turn_error,
        close=runtime.close,
        script_engine=_engine_scripter(engines),
        on_user_locale=(lambda locale: apply_user_language(engines, locale)) if engines is not None else None,
    )


def _engine_scripter(engines: FakeEngines | None):
    def script_engine(step: EngineStep) -> str | None:
        if engines is None:
            return "ignored: this conversation runs on the app's engines (engines: app)"
        apply_engine_step(engines, step)
        return None

    return script_engine


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
    language = primary_language(locale)
    if language in SUPPORTED_LANGUAGES:
        engines.language.default_language = language
