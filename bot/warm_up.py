"""Ready means warm: before the process listens (so before /readyz says 200), run what first turns run.

Loading the models is not enough: a fresh process also paid ~0.25 s on its first message
for gettext catalogs (Babel parsing every .po file), intent regexes compiled per language,
Babel locale data, jsonpickle and msrest's first use. So start-up also:
- loads every catalog, phrase table, intent pattern and language name of the configured
  languages (what any first message, in any of them, would touch);
- plays a short synthetic conversation (a welcome, then messages in two languages)
  through the real adapter, middleware, pipeline, engines and dialogs. Its state is read
  from the real store but never written (`WARM_UP_KEY`, honoured by dialogs/state.py),
  its replies are serialised as for the channel and dropped, and whatever a part keeps
  outside the store (a transcript) is erased afterwards like "delete my data" does;
  telemetry is paused meanwhile (no span, no metric: they are not traffic).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount, ResourceResponse

from adapters import telemetry
from bot.activity_json import activity_json
from bot.turn_guard import HELD_KEY
from dialogs.state import WARM_UP_KEY

log = logging.getLogger("bot.warm_up")


class Runtime(Protocol):
    """What warming needs of bot.runtime.Runtime (named here: runtime imports this module)."""

    settings: Any
    adapter: Any
    bot: Any
    state: Any


# A welcome, then one message in English and one in Spanish: detection, both fast and
# embedded sentiment, the safety gate and head, translation and the dialogs' replies.
WARM_UP_MESSAGES = (
    "I really love how quickly this bot answers my questions!",
    "Este servicio es terrible, nadie me ayuda con mi pedido.",
)


def warm_language_tables(languages: tuple[str, ...], working_language: str) -> None:
    """Load what the dialogs cache per language, for every configured language."""
    from dialogs import choices, i18n, intents

    for language in {*languages, *choices.catalog_languages()}:
        i18n.has_catalog(language)
        i18n.is_own_phrase(language, "")
    for language in languages:
        pair = (language, working_language)
        intents.compile_patterns(pair)
        for intent in intents.Intent:
            intents.is_exactly("", intent, pair)
        choices.autonym(language)
        choices.language_name(language, working_language)
    choices.menu_intent(None, "")  # type: ignore[arg-type]  # the turn is not read


def _activity(kind: str, conversation_id: str, user_id: str, text: str = "") -> Activity:
    user = ChannelAccount(id=user_id, name="warm-up", role="user")
    activity = Activity(
        type=kind, id=uuid.uuid4().hex, channel_id="emulator", service_url="http://127.0.0.1/warm-up",
        conversation=ConversationAccount(id=conversation_id), from_property=user,
        recipient=ChannelAccount(id="bot", name="Bot", role="bot"), locale="en-US",
    )
    if kind == ActivityTypes.message:
        activity.text = text
    else:
        activity.members_added = [user]
    return activity


class _ReplySink:
    """The warm-up turns' send handler: inner handlers run, the channel is never called.

    Registered before the turn, so it is the first send handler: during the turn it
    passes the replies on (translation out, TurnCapture holding them); when TurnGuard
    sends the held replies after the (skipped) save, it serialises them as the
    connector would and drops them.
    """

    def __init__(self) -> None:
        self.replies = 0

    async def __call__(self, context: TurnContext, activities: list[Activity], send_next) -> list[ResourceResponse]:
        if HELD_KEY in context.turn_state:  # inside the turn: the pipeline's handlers come next
            return await send_next()
        for activity in activities:
            activity_json(activity)
        self.replies += len(activities)
        responses = [ResourceResponse(id="") for _ in activities]
        activities.clear()  # botbuilder sends what is left in the list: nothing
        return responses


async def play_warm_up_conversation(runtime: Runtime) -> int:
    """The synthetic conversation through the real adapter and bot; returns the replies it made."""
    conversation_id, user_id = f"warm-up-{uuid.uuid4().hex}", f"warm-up-{uuid.uuid4().hex}"
    turns = [_activity(ActivityTypes.conversation_update, conversation_id, user_id)]
    turns += [_activity(ActivityTypes.message, conversation_id, user_id, text) for text in WARM_UP_MESSAGES]
    sink = _ReplySink()
    context: TurnContext | None = None
    for activity in turns:
        context = TurnContext(runtime.adapter, activity)
        context.turn_state[WARM_UP_KEY] = True
        context.on_send_activities(sink)
        await runtime.adapter.run_pipeline(context, runtime.bot.on_turn)
    if context is not None:
        await runtime.state.delete_all(context)  # a transcript, if recording is on
    return sink.replies


def warm_state_codec() -> None:
    """Write and read back records as the store does (the synthetic turns' own save is skipped)."""
    from botbuilder.dialogs import DialogState

    from bot.storage.codec import decode_item, encode_item

    profile = {"language": "en", "transcript": [{"role": "user", "text": "hi"}], "turns": 1}
    for record in ({"profile": profile, "DialogState": DialogState()}, {"jsonpickle": ("a", 1)}):
        decode_item("warm-up", encode_item("warm-up", record), "warm-up")


async def warm_up_runtime(runtime: Runtime) -> None:
    """Everything above; a failure is logged and start-up goes on (the turns would pay it instead)."""
    started = time.perf_counter()
    settings = runtime.settings
    try:
        warm_language_tables(settings.languages, settings.working_language)
        warm_state_codec()
        with telemetry.paused():  # synthetic turns are not traffic: no span, no metric
            replies = await play_warm_up_conversation(runtime)
    except Exception as error:  # warming must never stop a bot that can serve
        log.warning("warm-up failed: %s: %s", type(error).__name__, error)
        return
    log.info("warm-up done in %.0f ms (%d replies made and dropped)", (time.perf_counter() - started) * 1000, replies)
