"""Drive the real ShowcaseBot through botbuilder's TestAdapter, the real pipeline and fake engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from botbuilder.core import MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from adapters.engines import Engines, build_engines
from adapters.fakes import FakeEngines, FakeLanguageDetector, FakeSafetyChecker
from bot.channels.teams.mentions import MentionMiddleware
from bot.pipeline import PipelineMiddleware, PipelineOptions
from bot.showcase_bot import ShowcaseBot
from dialogs.state import BotState
from tests.conftest import FAKE_ONLY
from tests.conversations.repeats import RepeatWatch

LANGUAGES = ("en", "es", "ar", "ja", "fr", "de")
CARD = "application/vnd.microsoft.card.adaptive"


def card_texts(node: Any) -> list[str]:
    """Every text an Adaptive Card shows (TextBlock texts, fact titles and values)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "value") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(card_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(card_texts(item))
    return found


@dataclass
class Replies:
    """What the bot sent back for one user message."""

    activities: list[Activity]

    @property
    def messages(self) -> list[Activity]:
        return [a for a in self.activities if a.type == ActivityTypes.message]

    @property
    def texts(self) -> list[str]:
        return [a.text for a in self.messages if a.text]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def actions(self) -> list[str]:
        last = [a for a in self.messages if a.suggested_actions]
        return [action.title for action in last[-1].suggested_actions.actions] if last else []

    @property
    def cards(self) -> list[dict]:
        return [
            attachment.content
            for a in self.messages
            for attachment in a.attachments or []
            if attachment.content_type == CARD
        ]

    @property
    def card_text(self) -> str:
        return "\n".join(text for card in self.cards for text in card_texts(card))

    @property
    def events(self) -> list[Activity]:
        return [a for a in self.activities if a.type == ActivityTypes.event]

    @property
    def everything(self) -> str:
        """Message texts, suggested action titles and card texts, for "nothing left in English" checks."""
        titles = [action.title for a in self.messages if a.suggested_actions for action in a.suggested_actions.actions]
        return "\n".join([*self.texts, *titles, self.card_text])


@dataclass
class Chat:
    """One conversation with the bot: `await chat.say("hola")` returns the bot's replies.

    Every reply is checked as it arrives: the bot never sends the same text twice in a row
    (tests/conversations/repeats.py); `allow_repeats=True` turns the check off for a test
    that needs to.
    """

    adapter: TestAdapter
    fakes: FakeEngines
    state: BotState
    storage: MemoryStorage
    bot: ShowcaseBot
    history: list[Replies] = field(default_factory=list)
    repeats: RepeatWatch = field(default_factory=RepeatWatch)
    allow_repeats: bool = False

    async def say(self, text: str, **fields: Any) -> Replies:
        return await self.send(Activity(type=ActivityTypes.message, text=text, **fields))

    async def send(self, activity: Activity) -> Replies:
        self.adapter.activity_buffer.clear()
        await self.adapter.receive_activity(activity)
        replies = Replies(list(self.adapter.activity_buffer))
        self.adapter.activity_buffer.clear()
        self.history.append(replies)
        found = self.repeats.see([reply.serialize() for reply in replies.activities], user=activity.text or "")
        assert self.allow_repeats or not found, "; ".join(str(repeat) for repeat in found)
        return replies

    async def profiles(self) -> tuple[Any, Any]:
        """(ConversationProfile, UserProfile) as stored, read through a fresh turn context."""
        activity = Activity(
            type=ActivityTypes.message, text="", channel_id=self.adapter.template.channel_id,
            conversation=self.adapter.template.conversation, from_property=self.adapter.template.from_property,
            recipient=self.adapter.template.recipient,
        )
        context = TurnContext(self.adapter, activity)
        return await self.state.conversation(context), await self.state.user(context)

    def fake_calls(self) -> int:
        return self.fakes.calls


def make_fakes() -> FakeEngines:
    """Fakes whose unscripted guesses are unsure enough (0.6) never to switch a known language."""
    return FakeEngines(language=FakeLanguageDetector(default_score=0.6), safety=FakeSafetyChecker())


def make_chat(
    fakes: FakeEngines | None = None, *, channel_id: str = "test", locale: str | None = None,
    conversation_id: str = "conversation-1", storage: MemoryStorage | None = None,
) -> Chat:
    fakes = fakes or make_fakes()
    engines: Engines = build_engines(FAKE_ONLY, fakes=fakes)
    storage = storage or MemoryStorage()
    state = BotState.over(storage)
    bot = ShowcaseBot(state, LANGUAGES, "en")
    adapter = TestAdapter(
        bot.on_turn,
        template_or_conversation=Activity(
            channel_id=channel_id,
            service_url="https://test.com",
            from_property=ChannelAccount(id="user1", name="User1"),
            recipient=ChannelAccount(id="bot", name="Showcase Bot"),
            conversation=ConversationAccount(id=conversation_id),
            locale=locale,
        ),
    )
    adapter.use(MentionMiddleware())
    adapter.use(PipelineMiddleware(engines, state, PipelineOptions(languages=LANGUAGES)))
    return Chat(adapter, fakes, state, storage, bot)


@pytest.fixture
def fakes() -> FakeEngines:
    return make_fakes()


@pytest.fixture
def chat(fakes: FakeEngines) -> Chat:
    return make_chat(fakes)


GREETINGS = {
    "en": "Hello there, I would like some help today",
    "es": "Hola, me gustaría un poco de ayuda hoy",
    "ar": "مرحبا، أريد بعض المساعدة اليوم",
    "ja": "こんにちは、今日は少し手伝ってほしいです",
    "fr": "Bonjour, je voudrais un peu d'aide aujourd'hui",
}


async def start_in(chat: Chat, language: str) -> Replies:
    """Open the conversation with a confidently detected greeting in `language`."""
    text = GREETINGS[language]
    chat.fakes.language.script(text, language=language, score=0.97)
    chat.fakes.sentiment.script(text, label="neutral", score=0.9)
    return await chat.say(text)


def untranslated(replies: Replies) -> bool:
    """True when nothing had to go through the (fake) Translator on the way out."""
    return "[en→" not in replies.everything
