"""Incoming activities are built exactly as msrest's `Activity.deserialize()` builds them.

Equal is not enough (Model.__eq__ compares datetimes by instant and ignores dict order):
`assert_same` walks both results and compares types, attribute order, dict order,
tzinfo classes, offsets and names, then their `serialize()` JSON. Whatever the reader
is not sure of it hands to msrest, so there the outcome, result or error, is msrest's.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botbuilder.schema import Activity
from isodate.tzinfo import UTC
from msrest.serialization import Model

from bench.turns import activity as bench_activity
from bot.activity_reader import deserialize_activity, fast_activity
from bot.activity_schema import InvalidActivity
from bot.messages import OFF_LOOP_BYTES, parse_activity
from chatscripts.live import LiveChannel
from chatscripts.model import UserStep
from chatscripts.runner import resolve_members
from chatscripts.script import parse_script
from tests.harness import BOT_ACCOUNT, EmulatorConversation
from tests.hostile import fuzz

CONVERSATIONS = Path(__file__).resolve().parents[1] / "conversations"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


# ---- comparing with msrest ------------------------------------------------------------------------


def assert_same(fast: Any, slow: Any, where: str = "activity") -> None:
    """Same types, same attributes and keys in the same order, same values, same tzinfo."""
    assert type(fast) is type(slow), f"{where}: {type(fast).__name__} != {type(slow).__name__}"
    if isinstance(fast, Model):
        assert list(vars(fast)) == list(vars(slow)), where
        for name in vars(fast):
            assert_same(getattr(fast, name), getattr(slow, name), f"{where}.{name}")
    elif isinstance(fast, dict):
        assert list(fast) == list(slow), f"{where}: keys {list(fast)} != {list(slow)}"
        for key in fast:
            assert_same(fast[key], slow[key], f"{where}[{key!r}]")
    elif isinstance(fast, list):
        assert len(fast) == len(slow), where
        for index, (mine, theirs) in enumerate(zip(fast, slow, strict=True)):
            assert_same(mine, theirs, f"{where}[{index}]")
    elif isinstance(fast, dt.datetime):
        assert (fast.replace(tzinfo=None), fast.isoformat()) == (slow.replace(tzinfo=None), slow.isoformat()), where
        assert type(fast.tzinfo) is type(slow.tzinfo), f"{where}: tzinfo {fast.tzinfo!r} != {slow.tzinfo!r}"
        if fast.tzinfo is not None:
            assert (fast.utcoffset(), fast.tzname(), fast.dst()) == (slow.utcoffset(), slow.tzname(), slow.dst()), where
    elif isinstance(fast, float) and math.isnan(fast):
        assert math.isnan(slow), where
    else:
        assert fast == slow, f"{where}: {fast!r} != {slow!r}"


def outcome(read: Any, payload: Any) -> tuple[Any, ...]:
    try:
        return ("ok", read(payload))
    except Exception as error:  # the error itself is compared
        return ("error", type(error), str(error))


def check_like_msrest(payload: Any) -> bool:
    """Assert the reader gives msrest's result, or falls back to msrest's outcome; True if it was sure."""
    before = json.dumps(payload)
    fast = fast_activity(payload)
    assert json.dumps(payload) == before, "the reader changed the body"
    slow = outcome(Activity.deserialize, payload)
    if fast is None:
        mine = outcome(deserialize_activity, payload)
        assert mine[0] == slow[0]
        if slow[0] == "ok":
            assert_same(mine[1], slow[1])
        else:
            assert mine == slow
        return False
    assert slow[0] == "ok", f"msrest refused what the reader took: {slow}"
    assert_same(fast, slow[1])
    assert json.dumps(fast.serialize()) == json.dumps(slow[1].serialize())
    return True


def test_the_comparison_sees_a_tzinfo_of_another_class() -> None:
    """The same instant with Python's UTC instead of isodate's is reported: the checks below are strict."""
    ours = Activity(timestamp=dt.datetime(2026, 1, 2, tzinfo=UTC))
    other = Activity(timestamp=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    assert ours == other
    with pytest.raises(AssertionError, match="tzinfo"):
        assert_same(ours, other)
    with pytest.raises(AssertionError, match="keys"):
        assert_same(Activity(value={"a": 1, "b": 2}), Activity(value={"b": 2, "a": 1}))


# ---- handcrafted activities -------------------------------------------------------------------------


def envelope(**fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "1f2e3d",
        "channelId": "emulator",
        "serviceUrl": "http://localhost:3978/x",
        "conversation": {"id": "conv-1|livechat"},
        "from": {"id": "user-1", "name": "User", "role": "user"},
        "recipient": {"id": "bot", "name": "Bot", "role": "bot"},
        **fields,
    }


TEAMS_MESSAGE = envelope(
    channelId="msteams", serviceUrl=SERVICE_URL, text="<at>Showcase</at> analyze: très bien 👍",
    textFormat="plain", locale="fr-FR", localTimezone="Europe/Paris",
    timestamp="2026-03-04T09:10:11.1234567Z", localTimestamp="2026-03-04T10:10:11.1234567+01:00",
    conversation={"conversationType": "channel", "tenantId": "t-1", "id": "19:abc@thread.tacv2;messageid=1",
                  "isGroup": True, "name": None},
    **{"from": {"id": "29:1abc", "name": "Zoë Ñúñez", "aadObjectId": "aad-1"}},
    recipient={"id": "28:bot", "name": "Showcase"},
    entities=[
        {"type": "mention", "text": "<at>Showcase</at>", "mentioned": {"id": "28:bot", "name": "Showcase"}},
        {"type": "clientInfo", "locale": "fr-FR", "country": "FR", "platform": "Web", "timezone": "Europe/Paris"},
    ],
    channelData={"teamsChannelId": "19:abc@thread.tacv2", "teamsTeamId": "19:team",
                 "channel": {"id": "19:abc"}, "team": {"id": "19:team"}, "tenant": {"id": "t-1"},
                 "settings": {"selectedChannel": {"id": "19:abc"}}},
    attachments=[{"contentType": "text/html", "content": "<div><at>Showcase</at> analyze</div>"}],
)

HANDCRAFTED = {
    "bench message": bench_activity("message", "c" * 32, "http://localhost:1/x", "hello"),
    "bench conversationUpdate": bench_activity("conversationUpdate", "c" * 32, "http://localhost:1/x"),
    "teams message": TEAMS_MESSAGE,
    "teams conversationUpdate": envelope(
        type="conversationUpdate", channelId="msteams", serviceUrl=SERVICE_URL,
        membersAdded=[{"id": "29:new", "aadObjectId": "aad-2"}], membersRemoved=[],
        channelData={"eventType": "teamMemberAdded", "team": {"id": "19:team", "name": "Équipe"},
                     "tenant": {"id": "t-1"}}),
    "teams task/fetch invoke": envelope(
        type="invoke", name="task/fetch", channelId="msteams", serviceUrl=SERVICE_URL,
        value={"data": {"type": "task/fetch", "choice": 2, "ratio": 0.25, "ok": False, "nothing": None},
               "context": {"theme": "dark"}},
        channelData={"source": {"name": "message"}, "tenant": {"id": "t-1"}}),
    "adaptive card action invoke": envelope(
        type="invoke", name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "rate", "data": {"rating": 5}}, "trigger": "manual"}),
    "event with a string value": envelope(type="event", name="setLanguage", value="es-ES",
                                          relatesTo={"activityId": "a1", "user": {"id": "u"}, "bot": {"id": "b"},
                                                     "conversation": {"id": "c"}, "channelId": "emulator",
                                                     "serviceUrl": "http://x", "extra": [1]}),
    "event with a list value": envelope(type="event", name="x", value=[1, 2.5, "三", None, [], {}, True]),
    "every attribute kind": envelope(
        text="¿Qué tal? مرحبا 漢字 \u200d\u202e", speak="<speak>hola</speak>", inputHint="expectingInput",
        summary="s", textFormat="markdown", attachmentLayout="carousel", topicName="t", historyDisclosed=False,
        action="add", replyToId="r1", label="l", valueType="v", code="completedSuccessfully",
        expiration="2026-12-31T23:59:59.5-08:00", importance="high", deliveryMode="expectReplies",
        listenFor=["yes", "no"], callerId="urn:botframework:azure", localTimezone="Asia/Tokyo",
        timestamp="2026-11-22T00:00:00Z", localTimestamp="2026-11-22T09:00:00+0900",
        reactionsAdded=[{"type": "like"}, {"type": "heart", "extra": "kept"}], reactionsRemoved=[{"type": "sad"}],
        suggestedActions={"to": ["user-1"], "actions": [
            {"type": "imBack", "title": "Analyze", "value": "Analyze", "image": "https://x/i.png",
             "text": "t", "displayText": "d", "channelData": {"k": [1]}, "imageAltText": "alt", "extra": 1}]},
        attachments=[
            {"contentType": "application/vnd.microsoft.card.adaptive", "name": "card",
             "content": {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Hi"}], "version": "1.4"}},
            {"contentType": "image/png", "contentUrl": "https://x/a.png", "thumbnailUrl": "https://x/t.png"},
        ],
        textHighlights=[{"text": "Qué", "occurrence": 1}, {"text": "tal"}],
        semanticAction={"id": "s1", "state": "start", "entities": {"a": {"type": "t", "x": 1}, "b": None}},
        value={"nested": {"deeper": [{"a": 1}, None, "x"]}, "unicode": "👨‍👩‍👧"},
    ),
    "additional properties everywhere": envelope(
        unknownTop={"a": [1, 2]}, **{"x-custom": "v", "": "empty key", "a.b": "dotted"},
        conversation={"id": "c", "tenantId": "wrong case, kept aside", "tenantID": "t", "properties": {"p": 1}},
        entities=[{"type": "ClientCapabilities", "requiresBotState": True, "supportsListening": True,
                   "nested": {"k": "v"}}, {"no": "type"}, {}],
    ),
    "nulls": envelope(text=None, value=None, channelData=None, entities=[None, {"type": None}],
                      membersAdded=None, attachments=[], suggestedActions={"to": None, "actions": [None]}),
    "timestamps with fractions and offsets": envelope(
        timestamp="2026-01-02T03:04:05.6Z", localTimestamp="2026-01-02T03:04:05.123456789-03:30",
        expiration="2026-01-02T03:04:05"),
    "timestamps at the edges": envelope(timestamp="0001-01-01T00:00:00Z", localTimestamp="9999-12-31T23:59:59+00:00",
                                        expiration="2024-02-29T12:00:00.000000-00:00"),
}


@pytest.mark.parametrize("name", HANDCRAFTED)
def test_handcrafted_activities_are_built_as_msrest_builds_them_without_msrest(name: str) -> None:
    assert check_like_msrest(HANDCRAFTED[name]), "the reader handed a common shape to msrest"


def test_values_are_copied_and_additional_properties_shared_as_msrest_does() -> None:
    payload = copy.deepcopy(HANDCRAFTED["additional properties everywhere"])
    payload["channelData"] = {"k": [1]}
    fast, slow = fast_activity(payload), Activity.deserialize(payload)
    assert fast is not None
    for activity in (fast, slow):
        assert activity.channel_data == payload["channelData"]
        assert activity.channel_data is not payload["channelData"]
        assert activity.additional_properties["unknownTop"] is payload["unknownTop"]
        assert activity.conversation.additional_properties == {"tenantId": "wrong case, kept aside"}
        assert activity.entities[1].additional_properties == {"no": "type"}
        assert activity.entities[2].additional_properties == {}
    assert list(fast.additional_properties) == list(slow.additional_properties)


def test_timezones_and_fractions_are_parsed_as_isodate_parses_them() -> None:
    fast = fast_activity(HANDCRAFTED["teams message"])
    assert fast is not None
    assert fast.timestamp == dt.datetime(2026, 3, 4, 9, 10, 11, 123456, tzinfo=dt.UTC)
    assert fast.timestamp.tzinfo is UTC
    assert fast.local_timestamp.utcoffset() == dt.timedelta(hours=1)
    assert fast.local_timestamp.tzname() == "+01:00"


ODD = {
    "a number for a string": envelope(locale=5),
    "a string for a bool": envelope(historyDisclosed="true"),
    "an unreadable bool": envelope(historyDisclosed="maybe"),
    "a float for an int": envelope(textHighlights=[{"occurrence": 1.0}]),
    "a string for an int": envelope(textHighlights=[{"occurrence": "x"}]),
    "a string for a list": envelope(listenFor="yes"),
    "a dict for a list": envelope(membersAdded={"id": "m"}),
    "a list for a model": envelope(relatesTo=[{"activityId": "a"}]),
    "a string for a model": envelope(suggestedActions="menu"),
    "key-value pairs for a dict": envelope(semanticAction={"entities": [{"key": "a", "value": {"type": "t"}}]}),
    "a lowercase timestamp": envelope(timestamp="2026-01-02t03:04:05z"),
    "a comma fraction": envelope(timestamp="2026-01-02T03:04:05,5Z"),
    "a date only": envelope(timestamp="2026-01-02"),
    "not a date": envelope(timestamp="yesterday"),
    "month 13": envelope(timestamp="2026-13-02T03:04:05Z"),
    "second 60": envelope(timestamp="2026-01-02T03:04:60Z"),
    "an offset past a day": envelope(localTimestamp="2026-01-02T03:04:05+23:99"),
    "year 1 east of UTC": envelope(localTimestamp="0001-01-01T00:00:00+01:00"),
    "a number for a timestamp": envelope(timestamp=1767323045),
    "a body that is a list": [envelope()],
}


@pytest.mark.parametrize("name", ODD)
def test_odd_values_are_left_to_msrest(name: str) -> None:
    assert not check_like_msrest(ODD[name])


def test_what_msrest_refuses_keeps_getting_its_400_reason() -> None:
    for payload in (ODD["an unreadable bool"], ODD["not a date"], ODD["a string for an int"], ODD["month 13"]):
        with pytest.raises(Exception) as msrest_error:  # msrest's own, compared below
            Activity.deserialize(payload)
        with pytest.raises(InvalidActivity) as error:
            parse_activity(payload, max_text=10_000)
        assert str(error.value) == f"not a valid activity: {msrest_error.value}"


def test_parse_activity_gives_msrest_s_model() -> None:
    payload = HANDCRAFTED["teams message"]
    assert_same(parse_activity(payload, max_text=10_000), Activity.deserialize(payload))


# ---- the repository's activities ------------------------------------------------------------------


def script_activities() -> list[dict[str, Any]]:
    """Every user step of every .chat script, stamped as the live runner and the test harness post it."""
    live = LiveChannel(None, "", SimpleNamespace(url="http://127.0.0.1:9/"), locale="ja-JP")  # type: ignore[arg-type]
    emulator = EmulatorConversation(None, "", SimpleNamespace(url="http://127.0.0.1:9/"))  # type: ignore[arg-type]
    activities = []
    for path in sorted(CONVERSATIONS.glob("*.chat")):
        for conversation in parse_script(path.read_text(encoding="utf-8"), path):
            for step in conversation.steps:
                if isinstance(step, UserStep):
                    resolved = resolve_members(step.activity, BOT_ACCOUNT, emulator.user)
                    activities += [live.stamp(step.activity), emulator.stamp(resolved)]
    return activities


def test_every_activity_of_the_scripts_and_the_recorded_transcript() -> None:
    transcript = json.loads((CONVERSATIONS / "webchat_session.transcript").read_text(encoding="utf-8"))
    activities = script_activities() + transcript
    assert len(activities) > 100
    sure = [check_like_msrest(activity) for activity in activities]
    assert all(sure), f"{sure.count(False)} common activities went to msrest"


def test_every_hostile_activity_of_the_fuzzer() -> None:
    """The storm's /api/messages bodies read on the event loop: mutated, wrong-typed, deep.

    Bodies past OFF_LOOP_BYTES (parsed in a thread) are left out: msrest's serialize()
    takes seconds on their thousands of values, and they hold nothing the small ones don't.
    """
    bodies = []
    for case in fuzz.cases(fuzz_seed(), 1_500):
        if case.path == "/api/messages" and 0 < case.size <= OFF_LOOP_BYTES and not case.encoding:
            try:
                bodies.append(json.loads(case.body))
            except (ValueError, RecursionError):  # the raw cases: not JSON, or nested past the parser
                continue
    bodies = [body for body in bodies if isinstance(body, dict)]
    assert len(bodies) > 500
    sure = [check_like_msrest(body) for body in bodies]
    assert sure.count(True) > len(bodies) // 2
    assert sure.count(False) > 20


def fuzz_seed() -> int:
    from tests.hostile.test_fuzz import SEED

    return SEED


# ---- a seeded property test ---------------------------------------------------------------------------

WORDS = ("hello", "¿Qué tal?", "ありがとう", "مرحبا", "👍🏽", "", " ", "a\u0000b", "\u202e", "x" * 300, "1", "true",
         "null", "2026-01-02T03:04:05Z")


def json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(("str", "int", "float", "bool", "none", "list", "dict") if depth < 4 else ("str", "int"))
    if kind == "str":
        return rng.choice(WORDS)
    if kind == "int":
        return rng.choice((0, 1, -1, 2**63, -(10**30), 42))
    if kind == "float":
        return rng.choice((0.5, -0.0, 1e308, 1e-320, 3.0))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(("a", "type", "id", "ключ", "", "a.b", "value")): json_value(rng, depth + 1)
            for _ in range(rng.randrange(4))}


def timestamp(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(("yesterday", "", "2026-01-02", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05,5Z",
                           "2026-01-02t03:04:05z", "20260102T030405Z", "2026-01-02T03:04Z", "2026-01-02T03:04:05.Z",
                           "2026-01-02T03:04:05Z junk", "٢٠٢٦-01-02T03:04:05Z", "2026-01-02T03:04:05+5"))
    if rng.random() < 0.7:  # a real date and time
        date = f"{rng.choice((1, 2, 1999, 2026, 9999)):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    else:  # at and past the edges
        date = f"{rng.choice((0, 1, 2024, 2026, 9999)):04d}-{rng.choice((0, 2, 12, 13)):02d}-{rng.choice((0, 29, 31, 32)):02d}"
        clock = f"{rng.choice((0, 23, 24)):02d}:{rng.choice((0, 59, 60)):02d}:{rng.choice((0, 59, 60)):02d}"
    fraction = rng.choice(("", "", ".1", ".123", ".123456", ".1234567", ".999999999", ".0"))
    zone = rng.choice(("Z", "Z", "", "+00:00", "-00:00", "+01:00", "-08:00", "+05:30", "+0530", "-03", "+23:59",
                       "-23:59", "+24:00", "+12:99"))
    return f"{date}T{clock}{fraction}{zone}"


def test_random_timestamps_are_parsed_as_msrest_parses_them_or_left_to_it() -> None:
    rng = random.Random(7)
    sure = [check_like_msrest(envelope(timestamp=timestamp(rng), localTimestamp=timestamp(rng)))
            for _ in range(800)]
    assert sure.count(True) > 80
    assert sure.count(False) > 80


def account(rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {"id": f"u-{rng.randrange(10**6)}"}
    for key, value in (("name", "Ana Ñ"), ("role", "user"), ("aadObjectId", "aad"), ("properties", {"p": [1]}),
                       ("isGroup", True), ("conversationType", "personal"), ("tenantID", "t"), ("tenantId", "t"),
                       ("extra", {"k": "v"})):
        if rng.random() < 0.3:
            body[key] = value
    return body


def random_activity(rng: random.Random) -> dict[str, Any]:
    body = envelope(type=rng.choice(("message", "conversationUpdate", "invoke", "event", "messageReaction", "typing")),
                    conversation=account(rng), recipient=account(rng), **{"from": account(rng)})
    optional = {
        "timestamp": lambda: timestamp(rng), "localTimestamp": lambda: timestamp(rng),
        "expiration": lambda: timestamp(rng), "text": lambda: rng.choice(WORDS), "locale": lambda: "en-US",
        "historyDisclosed": lambda: rng.random() < 0.5, "value": lambda: json_value(rng),
        "channelData": lambda: json_value(rng), "name": lambda: "task/fetch", "listenFor": lambda: ["a", None],
        "membersAdded": lambda: [account(rng) for _ in range(rng.randrange(3))],
        "membersRemoved": lambda: [account(rng)], "reactionsAdded": lambda: [{"type": "like", "x": json_value(rng)}],
        "entities": lambda: [{"type": "mention", "mentioned": account(rng), "text": "<at>b</at>"},
                             {"type": "clientInfo", **{"k": json_value(rng)}}][: rng.randrange(3)],
        "attachments": lambda: [{"contentType": "application/json", "content": json_value(rng), "name": "n"}],
        "suggestedActions": lambda: {"to": ["u"], "actions": [{"type": "imBack", "title": "t",
                                                                "value": json_value(rng)}]},
        "textHighlights": lambda: [{"text": "t", "occurrence": rng.choice((1, 0, -3))}],
        "semanticAction": lambda: {"id": "s", "entities": {"e": {"type": "t", "k": json_value(rng)}}},
        "relatesTo": lambda: {"activityId": "a", "user": account(rng), "conversation": account(rng)},
        "x-unknown": lambda: json_value(rng),
    }
    for key, make in optional.items():
        if rng.random() < 0.3:
            body[key] = make()
    if rng.random() < 0.3:
        mutate(rng, body)
    return body


def mutate(rng: random.Random, body: dict[str, Any]) -> None:
    """Put a value of another JSON type somewhere, one or two levels down."""
    node: Any = body
    for _ in range(rng.choice((1, 2, 3))):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = rng.choice(keys)
        if rng.random() < 0.5 or not isinstance(node[key], dict | list):
            node[key] = rng.choice((5, 1.5, True, "1", "true", [], {}, [None], {"id": 5}, None, "x"))
            return
        node = node[key]


def test_random_activities_are_built_as_msrest_builds_them_or_left_to_it() -> None:
    rng = random.Random(20261122)
    sure = [check_like_msrest(random_activity(rng)) for _ in range(1_500)]
    assert sure.count(True) > 300, "the reader is hardly ever sure"
    assert sure.count(False) > 100, "the generator hardly makes anything odd"
