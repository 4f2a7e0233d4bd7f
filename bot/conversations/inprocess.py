"""Drives a bot in-process through botbuilder's TestAdapter: no HTTP, no model, no network."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.fakes import FakeEngines
from bot.conversations.engine_script import apply_engine_step, apply_user_language, fake_engines_for
from bot.conversations.model import Conversation, EngineStep, Outcome
from bot.conversations.runner import TurnFailed, replay, resolve_members

BOT = {"id": "bot", "name": "Bot", "role": "bot"}
USER = {"id": "user1", "name": "User", "role": "user"}

TurnLogic = Callable[[TurnContext], Awaitable[Any]]
ErrorHandler = Callable[[TurnContext, Exception], Awaitable[None]]


@dataclass(frozen=True)
class BotUnderTest:
    """What a bot factory hands the runner: turn logic, the adapter's middleware, its error handler."""

    logic: TurnLogic
    middleware: tuple[Middleware, ...] = ()
    on_turn_error: ErrorHandler | None = None
    close: Callable[[], Awaitable[None]] | None = None


# engines is None when the conversation asks for the app's own engines (`engines: app`).
BotFactory = Callable[[FakeEngines | None], Awaitable[BotUnderTest]]


class InProcessChannel:
    """A TestAdapter conversation: each `send` runs one full turn and returns its replies."""

    def __init__(self, target: BotUnderTest, engines: FakeEngines | None, channel_id: str = "test") -> None:
        self._engines = engines
        template = Activity(
            channel_id=channel_id,
            service_url="https://conversations.test",
            from_property=ChannelAccount(**USER),
            recipient=ChannelAccount(**BOT),
            conversation=ConversationAccount(id=f"chat-{uuid.uuid4().hex[:12]}"),
        )
        self.adapter = TestAdapter(target.logic, template)
        for middleware in target.middleware:
            self.adapter.use(middleware)
        self.adapter.on_turn_error = target.on_turn_error

    async def send(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        if self._engines is not None:
            apply_user_language(self._engines, activity.get("locale"))
        incoming = Activity().deserialize(resolve_members(activity, BOT, USER))
        self.adapter.activity_buffer.clear()
        try:
            await self.adapter.receive_activity(incoming)
        except Exception as error:  # the bot's own failure is the finding, reported in the diff
            raise TurnFailed(f"the bot raised {type(error).__name__}: {error}") from error
        replies, self.adapter.activity_buffer[:] = list(self.adapter.activity_buffer), []
        return [reply.serialize() for reply in replies]

    def script_engine(self, step: EngineStep) -> str | None:
        if self._engines is None:
            return "ignored: this conversation runs on the app's engines (engines: app)"
        apply_engine_step(self._engines, step)
        return None


async def run_in_process(conversation: Conversation, factory: BotFactory) -> Outcome:
    """Build a fresh bot (fresh state, fresh fakes) and replay the conversation through it."""
    engines = fake_engines_for(conversation) if conversation.engines == "fake" else None
    target = await factory(engines)
    try:
        return await replay(conversation, InProcessChannel(target, engines))
    finally:
        if target.close is not None:
            await target.close()
