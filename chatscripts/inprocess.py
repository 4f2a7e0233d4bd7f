"""Drives a bot in-process through botbuilder's TestAdapter: no HTTP, no network.

The kit knows nothing about the bot it drives: a bot factory (`conversation_bot =
module:function`) builds a `BotUnderTest` for each conversation, and that object says
how the conversation's `engine:` lines and user locales reach the bot's own test doubles.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from chatscripts.model import Conversation, EngineStep, Outcome
from chatscripts.runner import TurnFailed, replay, resolve_members

BOT = {"id": "bot", "name": "Bot", "role": "bot"}
USER = {"id": "user1", "name": "User", "role": "user"}

TurnLogic = Callable[[TurnContext], Awaitable[Any]]
ErrorHandler = Callable[[TurnContext, Exception], Awaitable[None]]
EngineScripter = Callable[[EngineStep], "str | None"]
LocaleListener = Callable[["str | None"], None]


@dataclass(frozen=True)
class BotUnderTest:
    """What a bot factory hands the runner.

    `script_engine` applies an `engine:` line to the bot's test doubles and returns a note
    when it could not (None: applied); without it, engine lines are reported as ignored.
    `on_user_locale` hears each user activity's locale before the turn runs.
    """

    logic: TurnLogic
    middleware: tuple[Middleware, ...] = ()
    on_turn_error: ErrorHandler | None = None
    close: Callable[[], Awaitable[None]] | None = None
    script_engine: EngineScripter | None = None
    on_user_locale: LocaleListener | None = None


# Called once per conversation, with it, so the factory can read `engines:` and its engine lines.
BotFactory = Callable[[Conversation], Awaitable[BotUnderTest]]


class InProcessChannel:
    """A TestAdapter conversation: each `send` runs one full turn and returns its replies."""

    def __init__(self, target: BotUnderTest, channel_id: str = "test") -> None:
        self._target = target
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
        if self._target.on_user_locale is not None:
            self._target.on_user_locale(activity.get("locale"))
        incoming = Activity().deserialize(resolve_members(activity, BOT, USER))
        self.adapter.activity_buffer.clear()
        try:
            await self.adapter.receive_activity(incoming)
        except Exception as error:  # the bot's own failure is the finding, reported in the diff
            raise TurnFailed(f"the bot raised {type(error).__name__}: {error}") from error
        replies, self.adapter.activity_buffer[:] = list(self.adapter.activity_buffer), []
        return [reply.serialize() for reply in replies]

    def script_engine(self, step: EngineStep) -> str | None:
        if self._target.script_engine is None:
            return "ignored: the bot under test takes no engine lines"
        return self._target.script_engine(step)


async def run_in_process(conversation: Conversation, factory: BotFactory) -> Outcome:
    """Build a fresh bot (fresh state, fresh doubles) and replay the conversation through it."""
    target = await factory(conversation)
    try:
        return await replay(conversation, InProcessChannel(target))
    finally:
        if target.close is not None:
            await target.close()
