"""The default bot under test: this project's bot, built by bot/runtime.py as the app builds it."""

from __future__ import annotations

from dataclasses import replace

from botbuilder.core import MemoryStorage

from adapters.engines import build_engines
from adapters.fakes import FakeEngines
from bot.conversations.inprocess import BotUnderTest
from bot.runtime import build_runtime
from bot.settings import Settings, load_settings

FAKE_ONLY = ("fake",)
# A replay checks what the bot says, not how fast: a slow (cold, or busy) machine must not
# turn an engine's answer into a timeout fallback and change the conversation.
PATIENT = {"BOT_ENGINE_TIMEOUT_MS": "60000", "BOT_TURN_BUDGET_MS": "120000"}


def test_settings() -> Settings:
    """The app's defaults from an empty environment (no .env, memory storage, no recording)."""
    return load_settings({"BOT_STORAGE": "memory", **PATIENT}, dotenv=False)


async def showcase_bot(engines: FakeEngines | None) -> BotUnderTest:
    """The real runtime (pipeline middleware, dialogs, error handler) on the given fakes.

    With `engines=None` the runtime builds the engines its settings choose (the offline
    local engines by default), which is how recorded transcripts replay faithfully.
    """
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
    )
