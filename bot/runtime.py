"""Everything one bot process holds, built once at start-up and closed at shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from botbuilder.core import ConversationState, MemoryStorage, Storage, UserState
from botbuilder.integration.aiohttp import CloudAdapter

from bot.hosting import ReusingAuthentication, create_authentication, install_turn_error_handler
from bot.settings import Settings
from bot.showcase_bot import ShowcaseBot

log = logging.getLogger("bot.runtime")


@dataclass
class Runtime:
    settings: Settings
    adapter: CloudAdapter
    bot: ShowcaseBot
    storage: Storage
    conversation_state: ConversationState
    user_state: UserState
    closers: list = field(default_factory=list)

    async def close(self) -> None:
        """Close clients and sessions in reverse order of creation."""
        for close in reversed(self.closers):
            try:
                await close()
            except Exception as error:  # one failing close must not keep others open
                log.warning("close failed: %s", type(error).__name__)
        self.closers.clear()


def create_storage(settings: Settings) -> Storage:
    return MemoryStorage()


async def build_runtime(settings: Settings, *, storage: Storage | None = None) -> Runtime:
    authentication = create_authentication(settings)
    adapter = CloudAdapter(authentication)
    storage = storage if storage is not None else create_storage(settings)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    bot = ShowcaseBot(conversation_state, user_state)
    install_turn_error_handler(adapter)
    runtime = Runtime(settings, adapter, bot, storage, conversation_state, user_state)
    if isinstance(authentication, ReusingAuthentication):
        runtime.closers.append(authentication.close)
    return runtime
