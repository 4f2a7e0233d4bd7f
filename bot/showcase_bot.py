"""The ActivityHandler: welcome new members, run the main dialog, save state once per turn."""

from __future__ import annotations

from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.schema import ActionTypes, CardAction, ChannelAccount, SuggestedActions

from bot.state import BotState

WELCOME_TEXT = (
    "Hi! I'm Showcase Bot. Write to me in any of 24 languages: I detect the language, "
    "read the sentiment and answer in your language."
)
MAIN_FEATURES = ("Analyze a text", "Translate", "Give feedback", "Language", "Privacy", "Help")


def welcome_actions() -> SuggestedActions:
    return SuggestedActions(
        actions=[CardAction(type=ActionTypes.im_back, title=title, value=title) for title in MAIN_FEATURES]
    )


class ShowcaseBot(ActivityHandler):
    """Echo-and-welcome placeholder until the dialogs land; saves state at turn end."""

    def __init__(self, bot_state: BotState, languages: tuple[str, ...], working_language: str) -> None:
        self._state = bot_state

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._state.save(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        for member in members_added:
            if member.id != turn_context.activity.recipient.id:
                reply = MessageFactory.text(WELCOME_TEXT)
                reply.suggested_actions = welcome_actions()
                await turn_context.send_activity(reply)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"You said: {turn_context.activity.text}"))
