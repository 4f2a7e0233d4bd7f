"""A half-finished waterfall dialog survives being written and read back by every store."""

from __future__ import annotations

from botbuilder.core import ConversationState, MessageFactory, Storage, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogState,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.choices import Choice
from botbuilder.dialogs.prompts import ChoicePrompt, PromptOptions, TextPrompt

from tests.storage.conftest import StoreOpener


def _make_bot(storage: Storage, keys: dict[str, str] | None = None) -> TestAdapter:
    """A bot that asks a colour (choice prompt), then a name, then answers with both.

    `keys` receives the storage keys the bot used ("conversation", "user").
    """
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    visits = user_state.create_property("visits")

    async def ask_colour(step: WaterfallStepContext) -> DialogTurnResult:
        return await step.prompt(
            "colour",
            PromptOptions(
                prompt=MessageFactory.text("Which colour?"),
                choices=[Choice("red"), Choice("blue")],
            ),
        )

    async def ask_name(step: WaterfallStepContext) -> DialogTurnResult:
        step.values["colour"] = step.result.value
        return await step.prompt("name", PromptOptions(prompt=MessageFactory.text("Name?")))

    async def answer(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(f"{step.result} likes {step.values['colour']}")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("main", [ask_colour, ask_name, answer]))
    dialogs.add(ChoicePrompt("colour"))
    dialogs.add(TextPrompt("name"))

    async def on_turn(context: TurnContext) -> None:
        if keys is not None:
            keys["conversation"] = conversation_state.get_storage_key(context)
            keys["user"] = user_state.get_storage_key(context)
        await visits.set(context, await visits.get(context, lambda: 0) + 1)
        dialog_context = await dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("main")
        await conversation_state.save_changes(context)
        await user_state.save_changes(context)

    return TestAdapter(on_turn)


async def test_dialog_continues_after_the_store_is_reopened(open_store: StoreOpener) -> None:
    before = open_store()
    try:
        first_bot = _make_bot(before)
        await first_bot.send("hi")
        await first_bot.send("blue")
    finally:
        await before.close()  # type: ignore[attr-defined]  # the "restart"

    after = open_store()
    try:
        keys: dict[str, str] = {}
        second_bot = _make_bot(after, keys)
        step = await second_bot.send("Ana")
        await step.assert_reply("Ana likes blue")
        conversation = (await after.read([keys["conversation"]]))[keys["conversation"]]
        user = (await after.read([keys["user"]]))[keys["user"]]
    finally:
        await after.close()  # type: ignore[attr-defined]

    assert isinstance(conversation["DialogState"], DialogState)
    assert conversation["DialogState"].dialog_stack == []
    assert user["visits"] == 3


async def test_stored_dialog_stack_keeps_its_types(open_store: StoreOpener) -> None:
    storage = open_store()
    try:
        keys: dict[str, str] = {}
        bot = _make_bot(storage, keys)
        await bot.send("hi")
        await bot.send("red")
        stored = (await storage.read([keys["conversation"]]))[keys["conversation"]]
    finally:
        await storage.close()  # type: ignore[attr-defined]

    stack = stored["DialogState"].dialog_stack
    assert [instance.id for instance in stack] == ["name", "main"]
    assert stack[1].state["values"] == {"colour": "red"}
    assert stack[1].state["stepIndex"] == 1
    assert isinstance(stack[0].state["options"], PromptOptions)
    assert stack[0].state["options"].prompt.text == "Name?"
