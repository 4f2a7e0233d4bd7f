"""pytest collects `*.chat` and `*.transcript` files: one test per conversation.

Activate it either as an installed plugin (the `pytest11` entry point `chatscripts`) or
from a directory's conftest.py, which limits it to that directory::

    from chatscripts.pytest_plugin import collect_conversation_file

    def pytest_collect_file(file_path, parent):
        return collect_conversation_file(file_path, parent)

The bot under test is yours: `conversation_bot = module:function` in the pytest ini
(or `--conversation-bot`) names an async factory that takes the `Conversation` and returns
a `chatscripts.BotUnderTest`. A failing conversation is reported as the expected and
actual conversation side by side.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

import pytest

from chatscripts.files import SUFFIXES, load_conversations
from chatscripts.inprocess import BotFactory, run_in_process
from chatscripts.model import Conversation, ConversationError, Outcome
from chatscripts.render import render

PLUGIN_NAMES = ("chatscripts", "chatscripts.pytest_plugin")


class ConversationFailed(AssertionError):
    """The bot's replies differ from the conversation's expectations."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"conversation {outcome.conversation.name!r} failed")
        self.outcome = outcome


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatscripts", "conversation tests (.chat and .transcript files)")
    group.addoption("--conversation-bot", metavar="MODULE:FUNCTION",
                    help="the factory building the bot under test (overrides the conversation_bot ini)")
    parser.addini("conversation_bot", "module:function: async factory(Conversation) -> BotUnderTest")
    parser.addini(
        "conversation_transcript_engines",
        "engines transcripts replay on: app (the app's own, default) or fake",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return _collect(file_path, parent, None)


def collect_conversation_file(
    file_path: Path, parent: pytest.Collector, factory: BotFactory | None = None
) -> pytest.Collector | None:
    """The conftest.py form of the hook; does nothing when the installed plugin already collects."""
    if any(parent.config.pluginmanager.has_plugin(name) for name in PLUGIN_NAMES):
        return None
    return _collect(file_path, parent, factory)


def _collect(file_path: Path, parent: pytest.Collector, factory: BotFactory | None) -> pytest.Collector | None:
    if file_path.suffix not in SUFFIXES:
        return None
    node = ConversationFile.from_parent(parent, path=file_path)
    node.factory = factory
    return node


class ConversationFile(pytest.File):
    """A `.chat` file (one or more conversations) or a `.transcript` file (one)."""

    factory: BotFactory | None = None

    def collect(self):
        engines = _ini(self.config, "conversation_transcript_engines") or "app"
        for conversation in load_conversations(self.path, transcript_engines=engines):
            yield ConversationItem.from_parent(self, name=conversation.name, conversation=conversation)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConversationError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class ConversationItem(pytest.Item):
    """Replays one conversation in-process and compares every turn."""

    def __init__(self, *, conversation: Conversation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conversation = conversation

    def runtest(self) -> None:
        factory = getattr(self.parent, "factory", None) or _factory(self.config)
        outcome = asyncio.run(run_in_process(self.conversation, factory))
        if not outcome.passed:
            raise ConversationFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConversationFailed):
            return render(excinfo.value.outcome)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        first = self.conversation.steps[0].line if self.conversation.steps else 0
        return self.path, max(first - 1, 0), f"conversation: {self.conversation.name}"


def _ini(config: pytest.Config, name: str) -> str:
    """An ini value, or "" when the plugin runs from a conftest.py (its options are not registered)."""
    try:
        return str(config.getini(name) or "")
    except ValueError:
        return ""


def _option(config: pytest.Config) -> str:
    """The command-line option, or "" when the plugin runs from a conftest.py (not registered)."""
    try:
        return str(config.getoption("conversation_bot") or "")
    except ValueError:
        return ""


def _factory(config: pytest.Config) -> BotFactory:
    spec = _option(config) or _ini(config, "conversation_bot")
    if not spec:
        raise pytest.UsageError(
            "conversation tests need a bot: set conversation_bot = module:function in the pytest ini"
        )
    module_name, _, attribute = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise pytest.UsageError(f"conversation_bot = {spec!r} cannot be loaded: {error}") from None
