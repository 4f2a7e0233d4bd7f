"""Everything one bot process holds, built once at start-up and closed at shutdown."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from botbuilder.core import Storage
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.engines import Engines, build_engines, build_safety
from adapters.safety_chain import SafetyChain
from bot import storage as storage_factory
from bot.channels.teams.mentions import MentionMiddleware
from bot.hosting import ReusingAuthentication, create_authentication, install_turn_error_handler
from bot.observability.turn_middleware import TurnTelemetryMiddleware
from bot.pipeline import PipelineMiddleware, pipeline_options
from bot.settings import Settings
from bot.showcase_bot import ShowcaseBot
from bot.text_limit import TextLimitMiddleware
from bot.transcripts import install_transcript_logging
from bot.turn_guard import HoldingCloudAdapter, TurnCapture, TurnGuard, key_of_conversation
from bot.warm_up import warm_up_runtime
from dialogs.checkin import CheckinPolicy
from dialogs.state import BotState, Eraser

log = logging.getLogger("bot.runtime")


@dataclass
class Runtime:
    settings: Settings
    adapter: CloudAdapter
    bot: ShowcaseBot
    storage: Storage
    state: BotState
    engines: Engines | None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        """Close clients and sessions in reverse order of creation."""
        for close in reversed(self.closers):
            try:
                await close()
            except Exception as error:  # one failing close must not keep the others open
                log.warning("close failed: %s", type(error).__name__)
        self.closers.clear()


def create_storage(settings: Settings) -> Storage:
    """The configured store: SQLite file by default, memory for tests, Azure Blob."""
    return storage_factory.create_storage(
        settings.storage,
        path=settings.state_dir,
        blob_connection_string=settings.blob_connection_string or None,
        blob_account_url=settings.blob_account_url or None,
        blob_container=settings.blob_container,
    )


async def build_runtime(
    settings: Settings, *, storage: Storage | None = None, engines: Engines | None = None
) -> Runtime:
    """Build the adapter, state, engines, pipeline and bot from settings (or given parts)."""
    authentication = create_authentication(settings)
    adapter = HoldingCloudAdapter(authentication)
    owns_storage = storage is None
    warm_up = engines is None  # a process of its own (python -m bot); tests bring their engines
    storage = storage if storage is not None else create_storage(settings)
    state = BotState.over(storage)
    if engines is None and settings.analysis:
        engines = build_engines(settings.engines)
        await engines.warm_up()
    # With every engine off (BOT_ANALYSIS=off) the safety chain still runs on every message.
    safety = build_safety(settings.engines) if engines is None else None
    if settings.transcript_dir is not None:
        # Before TurnGuard: records each reply once, as finally sent after a successful save.
        transcripts = install_transcript_logging(adapter, settings.transcript_dir)
        state.add_eraser(transcripts.erase)  # "delete my data" deletes the recording too
    safety_checker = safety if safety is not None else engines.safety if engines is not None else None
    forget_embeddings = _embedding_eraser(safety_checker)
    if forget_embeddings is not None:
        state.add_eraser(forget_embeddings)  # "delete my data": the conversation's cached embeddings too
    adapter.use(TurnTelemetryMiddleware())  # the turn span around all the rest; a no-op when telemetry is off
    adapter.use(TurnGuard(safety=safety_checker))  # then: one turn at a time, retried on a lost state race
    adapter.use(
        TextLimitMiddleware(state, settings.max_text_chars, settings.languages, settings.working_language)
    )
    adapter.use(MentionMiddleware())  # Teams: drop the bot's @mention before any analysis
    adapter.use(PipelineMiddleware(engines, state, pipeline_options(settings), safety=safety))
    adapter.use(TurnCapture(state))  # holds the replies until state is saved
    bot = ShowcaseBot(
        state, settings.languages, settings.working_language,
        checkin=CheckinPolicy(settings.checkin_window, settings.checkin_negative),
    )
    install_turn_error_handler(adapter, reset_dialogs=state.reset_dialogs)
    runtime = Runtime(settings, adapter, bot, storage, state, engines)
    if warm_up:
        learned = safety.engine("learned") if safety is not None else None
        if learned is not None and hasattr(learned, "warm_up"):
            await learned.warm_up()  # BOT_ANALYSIS=off: the safety head's own encoder
        await warm_up_runtime(runtime)
    if isinstance(authentication, ReusingAuthentication):
        runtime.closers.append(authentication.close)
    if engines is not None:
        runtime.closers.append(engines.close)
    if safety is not None:
        runtime.closers.append(safety.close)
    if owns_storage and hasattr(storage, "close"):
        runtime.closers.append(storage.close)
    return runtime


def _embedding_eraser(safety: SafetyChain | None) -> Eraser | None:
    """An eraser dropping a conversation's cached embeddings (adapters/embedding_cache.py), if any are kept."""
    learned = safety.engine("learned") if safety is not None else None
    cache = getattr(learned, "cache", None)
    if cache is None:
        return None

    async def forget(channel_id: str, conversation_id: str, user_id: str) -> None:
        cache.forget(key_of_conversation(channel_id, conversation_id))  # the scope TurnGuard gave its turns

    return forget
