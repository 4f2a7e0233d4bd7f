"""What the dialogs report to telemetry: one count per handoff, correction, opt-out, deletion and
safety reply, with closed-set attributes only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters import telemetry
from tests.adapters.test_telemetry import Recorded
from tests.dialogs.conftest import Chat


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    record = Recorded()
    telemetry.install(record.tracer_provider, record.meter_provider)
    yield record
    telemetry.uninstall()


def total(recorded: Recorded, metric: str) -> float:
    return sum(value for _, value in recorded.points(metric))


async def test_handoff_is_counted(chat: Chat, recorded: Recorded) -> None:
    await chat.say("talk to a person")
    assert total(recorded, "showcase.handoffs") == 1


async def test_a_correction_is_counted_with_the_users_label(chat: Chat, recorded: Recorded) -> None:
    await chat.say("feedback")
    chat.fakes.sentiment.script("Great answers but terribly slow", label="mixed")
    await chat.say("Great answers but terribly slow")
    await chat.say("Mostly negative")
    assert [attributes for attributes, _ in recorded.points("showcase.corrections")] == [
        {"showcase.label": "negative"}
    ]


async def test_opt_out_and_deletion_are_counted(chat: Chat, recorded: Recorded) -> None:
    await chat.say("privacy")
    await chat.say("Opt out of analysis")
    assert total(recorded, "showcase.opt_outs") == 1
    assert total(recorded, "showcase.deletions") == 0
    await chat.say("privacy")
    await chat.say("Delete my data")
    await chat.say("yes")
    assert total(recorded, "showcase.deletions") == 1


async def test_a_safety_reply_is_counted_by_category_and_language(chat: Chat, recorded: Recorded) -> None:
    text = "I want to kill myself tonight"
    chat.fakes.safety.flag(text)
    replies = await chat.say(text)
    assert "988" in replies.text
    [(attributes, count)] = recorded.points("showcase.safety.replies")
    assert count == 1
    assert attributes["showcase.language"] == "en"
    assert attributes["showcase.category"] == "self_harm"
    assert all("kill" not in str(value) for value in attributes.values())
