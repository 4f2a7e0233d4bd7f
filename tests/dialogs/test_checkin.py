"""The gentle check-in: a run of strongly negative turns gets one offer of a person, not the crisis reply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botbuilder.core import MemoryStorage
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.contracts import SafetyResult, SentimentLabel, SentimentResult, SentimentScores
from adapters.engines import build_engines
from bot.channels.teams.mentions import MentionMiddleware
from bot.pipeline import PipelineMiddleware, PipelineOptions
from bot.runtime import build_runtime
from dialogs.checkin import CheckinPolicy, Streak, next_streak
from dialogs.insights import LanguageDecision, TurnInsights
from tests.conftest import FAKE_ONLY, make_settings
from tests.dialogs.conftest import LANGUAGES, Chat, Replies, make_fakes

CHECK_IN = (
    "It sounds like things have been hard for a while. Would you like to talk to a person? "
    "I'm also here to listen."
)
HEAVY = [
    "Everything keeps going wrong and nothing I do helps",
    "I am so tired of all of this, it never gets better",
    "Honestly I feel hopeless about the whole thing",
    "Today was awful again, the worst week I've had",
    "Nobody listens and I am fed up with everything",
    "It is all pointless and I hate how it keeps going",
]


async def say(chat: Chat, text: str, *, label: str = "negative", score: float = 0.95) -> Replies:
    chat.fakes.language.script(text, language="en", score=0.97)
    chat.fakes.sentiment.script(text, label=label, score=score)
    return await chat.say(text)


def checked_in(replies: Replies) -> bool:
    return CHECK_IN in replies.texts


async def test_three_strongly_negative_turns_get_one_check_in_on_the_third(chat: Chat) -> None:
    first = await say(chat, HEAVY[0])
    second = await say(chat, HEAVY[1])
    third = await say(chat, HEAVY[2])
    assert not checked_in(first) and not checked_in(second)
    assert third.texts[0].startswith("That sounds frustrating: I read it as negative (0.95).")
    assert third.texts[-1] == CHECK_IN and third.texts.count(CHECK_IN) == 1
    assert third.actions == ["Talk to a person", "Not now"]
    assert "988" not in third.text and "emergency services" not in third.text


async def test_a_neutral_turn_in_between_resets_the_run(chat: Chat) -> None:
    await say(chat, HEAVY[0])
    await say(chat, HEAVY[1])
    await say(chat, "The weather report says rain on Tuesday afternoon", label="neutral", score=0.9)
    after_reset = [await say(chat, text) for text in HEAVY[2:5]]
    assert [checked_in(replies) for replies in after_reset] == [False, False, True]


async def test_a_mildly_negative_turn_does_not_count(chat: Chat) -> None:
    await say(chat, HEAVY[0])
    await say(chat, HEAVY[1])
    mild = await say(chat, HEAVY[2], score=0.7)
    fourth = await say(chat, HEAVY[3])
    assert not checked_in(mild) and not checked_in(fourth)


async def test_no_second_check_in_while_the_run_goes_on(chat: Chat) -> None:
    replies = [await say(chat, text) for text in HEAVY]
    assert [checked_in(r) for r in replies] == [False, False, True, False, False, False]
    conversation, _ = await chat.profiles()
    assert conversation.negative_streak == 3 and conversation.checked_in  # capped at the window


async def test_a_broken_and_rebuilt_run_gets_a_new_check_in(chat: Chat) -> None:
    for text in HEAVY[:3]:
        await say(chat, text)
    await say(chat, "Thanks, that is good to know", label="positive", score=0.9)
    rebuilt = [await say(chat, text) for text in HEAVY[3:6]]
    assert [checked_in(replies) for replies in rebuilt] == [False, False, True]


async def test_a_flagged_turn_gets_the_crisis_reply_not_the_check_in(chat: Chat) -> None:
    await say(chat, HEAVY[0])
    await say(chat, HEAVY[1])
    chat.fakes.safety.flag("I can't go on anymore, I want to end it all")
    crisis = await say(chat, "I can't go on anymore, I want to end it all", score=0.99)
    assert "988" in crisis.text and not checked_in(crisis)
    assert crisis.actions == ["Talk to a person", "Not now"]
    conversation, _ = await chat.profiles()
    assert conversation.last_action == "safety" and conversation.negative_streak == 3
    assert not conversation.checked_in  # the check-in waits for a turn that can take it
    following = await say(chat, HEAVY[3])
    assert following.texts[-1] == CHECK_IN


async def test_not_now_after_the_check_in_gets_the_gentle_answer(chat: Chat) -> None:
    for text in HEAVY[:3]:
        await say(chat, text)
    declined = await chat.say("Not now")
    assert declined.texts[0].startswith("Okay. I'm here whenever you want to talk")
    assert not checked_in(declined) and not declined.events


@pytest.mark.parametrize("answer", ["Talk to a person", "yes"])
async def test_accepting_the_check_in_starts_the_handoff(chat: Chat, answer: str) -> None:
    for text in HEAVY[:3]:
        await say(chat, text)
    replies = await chat.say(answer)
    [event] = replies.events
    assert event.name == "handoff.initiate" and event.value["summary"]["reason"] == "check-in"


async def test_the_check_in_waits_while_a_question_is_open(chat: Chat) -> None:
    """A run that fills up inside a flow leaves its question alone; the check-in follows the flow's end."""
    await say(chat, HEAVY[0])
    await say(chat, HEAVY[1])
    opened = await say(chat, "translate")  # here even the commands read strongly negative
    asked = await say(chat, HEAVY[2])
    assert opened.texts == ["What would you like me to translate?"]
    assert asked.texts == ["Into which language?"] and "Talk to a person" not in asked.actions
    done = await say(chat, "Spanish")
    assert done.texts[-1] == CHECK_IN and done.texts.count(CHECK_IN) == 1


# --- settings ---------------------------------------------------------------------


@pytest.fixture
async def settings_chat() -> AsyncIterator[Chat]:
    """A chat with the bot build_runtime makes from BOT_CHECKIN_WINDOW=2 and BOT_CHECKIN_NEGATIVE=0.7."""
    fakes = make_fakes()
    engines = build_engines(FAKE_ONLY, fakes=fakes)
    storage = MemoryStorage()
    settings = make_settings(BOT_CHECKIN_WINDOW="2", BOT_CHECKIN_NEGATIVE="0.7")
    runtime = await build_runtime(settings, storage=storage, engines=engines)
    adapter = TestAdapter(
        runtime.bot.on_turn,
        template_or_conversation=Activity(
            channel_id="test", service_url="https://test.com",
            from_property=ChannelAccount(id="user1", name="User1"),
            recipient=ChannelAccount(id="bot", name="Showcase Bot"),
            conversation=ConversationAccount(id="conversation-1"),
        ),
    )
    adapter.use(MentionMiddleware())
    adapter.use(PipelineMiddleware(engines, runtime.state, PipelineOptions(languages=LANGUAGES)))
    yield Chat(adapter, fakes, runtime.state, storage, runtime.bot)
    await runtime.close()


async def test_window_and_threshold_come_from_settings(settings_chat: Chat) -> None:
    first = await say(settings_chat, HEAVY[0], score=0.75)
    second = await say(settings_chat, HEAVY[1], score=0.75)
    assert not checked_in(first) and second.texts[-1] == CHECK_IN


def test_the_default_policy_matches_the_default_settings() -> None:
    settings = make_settings()
    assert CheckinPolicy() == CheckinPolicy(settings.checkin_window, settings.checkin_negative)


# --- the pure rules ---------------------------------------------------------------


def insights(label: str | None, confidence: float = 0.95, *, flagged: bool = False) -> TurnInsights:
    """One turn's insights: sentiment `label` at `confidence` (None: no reading), safety `flagged`."""
    sentiment = None
    if label is not None:
        scores = {"positive": 0.0, "neutral": 0.0, "negative": 0.0, label: confidence}
        sentiment = SentimentResult(SentimentLabel(label), SentimentScores(**scores), "fake", "en")
    return TurnInsights(
        original_text="x", text="x", user_language="en", working_language="en",
        language_decision=LanguageDecision.KEPT, sentiment=sentiment, safety=SafetyResult(flagged, "fake"),
    )


def test_rules_count_check_in_once_and_stay_bounded() -> None:
    policy = CheckinPolicy(window=2, negative=0.8)
    streak = Streak()
    sent = []
    for _ in range(5):
        streak, now = next_streak(streak, insights("negative"), policy, can_add=True, person_asked=False)
        sent.append(now)
    assert sent == [False, True, False, False, False] and streak == Streak(2, True)
    assert next_streak(streak, insights("neutral"), policy, can_add=True, person_asked=False) == (Streak(), False)
    assert next_streak(streak, None, policy, can_add=True, person_asked=False) == (Streak(), False)


def test_rules_wait_for_a_turn_that_can_take_the_check_in() -> None:
    policy = CheckinPolicy(window=2, negative=0.8)
    streak = Streak(1)
    flagged = next_streak(streak, insights(None, flagged=True), policy, can_add=True, person_asked=False)
    assert flagged == (Streak(2, False), False)
    waiting = next_streak(streak, insights("negative"), policy, can_add=False, person_asked=False)
    assert waiting == (Streak(2, False), False)
    handoff = next_streak(streak, insights("negative"), policy, can_add=True, person_asked=True)
    assert handoff == (Streak(2, True), False)  # a person was asked for: that is the check-in
