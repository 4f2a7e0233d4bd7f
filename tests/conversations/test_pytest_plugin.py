"""pytest collects `.chat`/`.transcript` files; a wrong expectation fails with a side-by-side diff."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

# With the pytest11 entry point installed the plugin loads by itself; `-p` would register it twice.
INSTALLED = any(e.name == "chatscripts" for e in entry_points(group="pytest11"))
PLUGIN = () if INSTALLED else ("-p", "chatscripts.pytest_plugin")

QUIET = "asyncio_default_fixture_loop_scope = function\nfilterwarnings = ignore::pytest.PytestAssertRewriteWarning\n"

TINY_BOT = '''
from botbuilder.core import ActivityHandler, CardFactory, MessageFactory
from botbuilder.schema import ActionTypes, CardAction, SuggestedActions

from chatscripts.inprocess import BotUnderTest


class TinyBot(ActivityHandler):
    async def on_members_added_activity(self, members, turn_context):
        for member in members:
            if member.id != turn_context.activity.recipient.id:
                reply = MessageFactory.text("Welcome to Tiny Bot")
                reply.suggested_actions = SuggestedActions(actions=[
                    CardAction(type=ActionTypes.im_back, title=t, value=t) for t in ("Echo", "Card")])
                await turn_context.send_activity(reply)

    async def on_message_activity(self, turn_context):
        text = turn_context.activity.text or ""
        if text == "card":
            card = {"type": "AdaptiveCard", "version": "1.5",
                    "body": [{"type": "TextBlock", "text": "Analysis"}]}
            await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))
        else:
            await turn_context.send_activity(f"echo: {text}")


async def tiny_bot(conversation):
    return BotUnderTest(logic=TinyBot().on_turn)
'''

PASSING = """\
title: greets and echoes
join
bot: Welcome to Tiny Bot
  suggested "Echo", "Card"
user: hello
bot: echo: hello
user: card
bot: card "Analysis"
"""

WRONG = """\
title: wrong on purpose
user: hello
bot: echo: goodbye
user: card
bot: card "Summary"
bot: one more
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(tinybot=TINY_BOT)
    pytester.syspathinsert()
    pytester.makeini(f"[pytest]\n{QUIET}conversation_bot = tinybot:tiny_bot\n")
    return pytester


def test_a_passing_script_is_one_passing_test(project: pytest.Pytester):
    project.makefile(".chat", greet=PASSING)
    result = project.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*greet.chat::greets and echoes PASSED*"])


def test_a_wrong_expectation_fails_with_expected_and_actual_side_by_side(project: pytest.Pytester):
    project.makefile(".chat", wrong=WRONG)
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*FAIL wrong on purpose (*wrong.chat): 3 of 3 bot activities did not match*",
            "*line | expected*| actual*",
            "*2 | user: hello*|   | user: hello*",
            "*3 | bot: echo: goodbye*| X | bot: echo: hello*",
            "*5 | bot: card \"Summary\"*| X | bot: card \"Analysis\"*",
            "*6 | bot: one more*| - | (nothing)*",
            "*line 3: text: expected \"echo: goodbye\", got \"echo: hello\"*",
            "*line 5: card title: expected \"Summary\", got \"Analysis\"*",
            "*line 6: the bot sent nothing more*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_an_unexpected_extra_reply_fails_unless_the_script_allows_any(project: pytest.Pytester):
    project.makefile(".chat", extra="user: hi\n", anything="user: hi\nbot: ...\n")
    result = project.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*anything.chat::anything PASSED*", "*| + | bot: echo: hi*"])


def test_a_transcript_replays_on_the_fake_engines_when_configured(project: pytest.Pytester):
    project.makeini(
        f"[pytest]\n{QUIET}conversation_bot = tinybot:tiny_bot\nconversation_transcript_engines = fake\n"
    )
    activities = [
        {"type": "message", "text": "hi", "from": {"id": "u1", "role": "user"}, "recipient": {"id": "b"}},
        {"type": "message", "text": "echo: hi", "from": {"id": "b", "role": "bot"}, "id": "x", "timestamp": "t"},
        {"type": "typing", "from": {"id": "b", "role": "bot"}},
        {"type": "message", "text": "card", "from": {"id": "u1", "role": "user"}},
        {"type": "message", "from": {"id": "b", "role": "bot"},
         "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive"}]},
    ]
    project.makefile(".transcript", recorded=json.dumps(activities))
    broken = [*activities[:4], {**activities[4], "attachments": [{"contentType": "image/png"}]}]
    project.makefile(".transcript", broken=json.dumps(broken))
    result = project.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*broken.transcript::broken FAILED*", "*recorded.transcript::recorded PASSED*",
         "*5 | bot: attachments image/png*| X | bot: card \"Analysis\"*",
         "*activity 5: attachments: expected ?'image/png'?, got ?'application/vnd.microsoft.card.adaptive'?"]
    )


def test_a_broken_file_is_a_collection_error_naming_the_line(project: pytest.Pytester):
    project.makefile(".chat", broken="user: hi\nbot: ~ /(oops/\n")
    result = project.runpytest(*PLUGIN)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*broken.chat:2: bad regular expression*"])


def test_the_conftest_hook_collects_each_file_once_even_with_the_plugin_installed(project: pytest.Pytester):
    project.makeconftest(
        "from chatscripts.pytest_plugin import collect_conversation_file\n"
        "from tinybot import tiny_bot\n"
        "def pytest_collect_file(file_path, parent):\n"
        "    return collect_conversation_file(file_path, parent, tiny_bot)\n"
    )
    project.makefile(".chat", greet=PASSING)
    project.runpytest().assert_outcomes(passed=1)
    project.runpytest(*PLUGIN).assert_outcomes(passed=1)
