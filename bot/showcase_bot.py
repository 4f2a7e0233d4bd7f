"""The ActivityHandler (Teams-aware): welcome, run the main dialog, remember the turn, save state once."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import DialogSet, DialogTurnStatus
from botbuilder.dialogs.memory import DialogStateManagerConfiguration
from botbuilder.schema import ActivityTypes, ChannelAccount

from adapters.locales import primary_language
from bot.channels.teams.mentions import clean_incoming_text
from dialogs.checkin import CheckinPolicy
from dialogs.choices import join_lines, menu_titles, message_with_actions
from dialogs.i18n import t
from dialogs.insights import LANGUAGE_KEY, get_insights
from dialogs.language_dialog import set_language
from dialogs.main_dialog import MainDialog
from dialogs.privacy_dialog import data_was_deleted
from dialogs.state import BotState
from dialogs.why_dialog import insights_summary, record_action, recorded_action

SET_LANGUAGE_EVENT = "setLanguage"
TEAMS_CHANNEL = "msteams"
# Where botbuilder's DialogStateManager looks for (and keeps) its configuration in turn state.
MEMORY_CONFIGURATION_KEY = DialogStateManagerConfiguration.__name__

__all__ = ["ShowcaseBot", "clean_incoming_text"]


class ShowcaseBot(TeamsActivityHandler):
    def __init__(
        self, bot_state: BotState, languages: tuple[str, ...], working_language: str,
        checkin: CheckinPolicy | None = None,
    ) -> None:
        self._state = bot_state
        self._languages = languages
        self._working_language = working_language
        self._main = MainDialog(bot_state, languages, working_language, checkin)
        self._dialogs = DialogSet(bot_state.dialog_state)
        self._dialogs.add(self._main)
        self._memory_configuration: DialogStateManagerConfiguration | None = None

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        if data_was_deleted(turn_context):
            return  # the user asked to forget everything: write nothing back
        await self._remember_turn(turn_context)
        await self._state.save(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        clean_incoming_text(turn_context)
        # botbuilder keeps its memory-scope configuration (stateless scopes and path resolvers) in
        # turn state for the turn's later dialog contexts: the one built on the first turn serves all.
        configuration = self._memory_configuration
        if configuration is not None:
            turn_context.turn_state.setdefault(MEMORY_CONFIGURATION_KEY, configuration)
        dialog_context = await self._dialogs.create_context(turn_context)
        if configuration is None:
            self._memory_configuration = dialog_context.state.configuration
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog(self._main.id)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        bot_added = any(member.id == bot_id for member in members_added)
        others_added = any(member.id != bot_id for member in members_added)
        # Teams: welcome once when the app is installed (personal or team scope), not for
        # every colleague who joins the team. Elsewhere: welcome the user who joined.
        welcome = bot_added if turn_context.activity.channel_id == TEAMS_CHANNEL else others_added
        if welcome:
            await self._welcome(turn_context)

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: object, turn_context: TurnContext
    ) -> None:
        """Skip botbuilder's per-member roster lookups: only "was the bot added?" matters here."""
        await self.on_members_added_activity(members_added, turn_context)

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.name == SET_LANGUAGE_EVENT:
            language = primary_language(str(activity.value or ""))
            if language in self._languages:
                await set_language(turn_context, self._state, language)
            return
        await super().on_event_activity(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        lines = [
            t(turn_context, "Hi! I'm Showcase Bot. Write to me in any of {count} languages: I detect the "
                            "language, read the sentiment and answer in your language.",
              count=len(self._languages)),
            t(turn_context, "What would you like to do?"),
        ]
        text = join_lines(turn_context, lines)
        await turn_context.send_activity(message_with_actions(text, menu_titles(turn_context)))
        record_action(turn_context, "welcome")

    async def _remember_turn(self, turn_context: TurnContext) -> None:
        """Store a JSON-able summary of this turn for "why" (a "why" turn keeps the one it explained)."""
        action = recorded_action(turn_context)
        if action is None or action["action"] == "why":
            return
        profile = await self._state.conversation(turn_context)
        insights = get_insights(turn_context)
        if turn_context.activity.type == ActivityTypes.message and insights is not None:
            profile.last_insights = insights_summary(insights)
        elif turn_context.activity.type != ActivityTypes.message:
            profile.last_insights = {"user_language": turn_context.turn_state.get(LANGUAGE_KEY, "")}
        profile.last_insights["action_params"] = action["params"]
        profile.last_action = action["action"]

