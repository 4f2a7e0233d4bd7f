"""A seeded hostile-input fuzzer for every public route, and the storm that runs it against the real app.

`case_at(seed, index)` builds one deterministic hostile request (a mutated activity, a raw
body, a Direct Line call with a bad token...), so any failure is reproduced from its seed
and index alone; `storm(settings, cases)` serves the real app on a real port with the
harness channel, sends the cases concurrently and returns a `StormReport` whose
`problems()` are what `tests/hostile/test_fuzz.py` and `bench/hostile.py` assert.

    python -m tests.hostile.fuzz show --seed 7 --index 123 [--mix quick] [--out body.bin]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import heapq
import json
import logging
import random
import re
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import yarl
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from adapters.contracts import SUPPORTED_LANGUAGES
from bot.app import create_app
from bot.settings import Settings
from dialogs.i18n import gettext
from tests.harness import BOT_ACCOUNT, EmulatorChannel

# ---- what a storm must not do ---------------------------------------------------------------

CLIENT_TIMEOUT_S = 10.0
HEALTHZ_EVERY_S = 0.020
MAX_HEALTHZ_P99_S = 0.100
MAX_RSS_GROWTH = 1.5
CONCURRENCY = 16

# Placeholders filled in at send time: the harness channel's URL, a Direct Line conversation.
SERVICE_URL = "http://service.fuzz.invalid"
CONVERSATION = "CONVERSATION.fuzz"
_CONVERSATION_ID = re.compile(r"fuzz-(\d+)-(\d+)")

# The texts a failed turn sends (bot/hosting.py's on_turn_error, bot/turn_guard.py), in every language.
FAILURE_TEXTS = (
    "Sorry, something went wrong on my side. Please try again.",
    "I can't save our conversation right now, so I didn't act on your last message. "
    "Please try again in a minute.",
    "Several of your messages arrived at the same time and I couldn't keep up. "
    "Please send your last message again.",
)


def failure_texts() -> frozenset[str]:
    return frozenset(gettext(language, text) for language in SUPPORTED_LANGUAGES for text in FAILURE_TEXTS)


# ---- the cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """How the cases are spread over families, and how many long texts reach the analysis."""

    name: str
    activity: int = 50
    raw: int = 15
    directline: int = 30
    routes: int = 5
    # Share of message texts between 1,000 characters and the text limit: these run the
    # whole offline analysis (seconds of CPU each), unlike short texts or over-long ones.
    long_texts: float = 0.0


QUICK = Mix("quick")
FULL = Mix("full", long_texts=0.01)
MIXES = {mix.name: mix for mix in (QUICK, FULL)}


@dataclass(frozen=True)
class Case:
    """One hostile request; `SERVICE_URL` and `CONVERSATION` are placeholders until it is sent."""

    seed: int
    index: int
    route: str  # a label for the tables: "messages", "dl activities", ...
    description: str
    method: str = "POST"
    path: str = "/api/messages"
    body: bytes | None = None
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    chunks: int = 0  # > 0: sent with chunked transfer encoding in this many segments
    encoding: str = ""  # re-encode the (UTF-8) body as this before sending: "utf-16", "utf-32"
    token: str = ""  # a Direct Line token kind (see TOKEN_KINDS); "" sends none
    conversation: str = "own"  # which Direct Line conversation CONVERSATION stands for
    invoke: bool = False  # an invoke activity: 501 is botbuilder's "not implemented"
    websocket: bool = False

    @property
    def size(self) -> int:
        return len(self.body or b"")

    def repro(self, mix: Mix) -> str:
        return f".venv/bin/python -m tests.hostile.fuzz show --seed {self.seed} --index {self.index} --mix {mix.name}"


def case_at(seed: int, index: int, mix: Mix = QUICK) -> Case:
    """The `index`-th case of `seed`: the same request on every machine and every run."""
    rng = random.Random(f"{seed}:{index}:{mix.name}")
    family = rng.choices(
        (_activity_case, _raw_case, _directline_case, _route_case),
        (mix.activity, mix.raw, mix.directline, mix.routes),
    )[0]
    return family(_Builder(rng, seed, index, mix))


def cases(seed: int, n: int, mix: Mix = QUICK) -> Iterator[Case]:
    """`n` cases, built lazily (some bodies are half a megabyte)."""
    return (case_at(seed, index, mix) for index in range(n))


@dataclass
class _Builder:
    rng: random.Random
    seed: int
    index: int
    mix: Mix
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def case(self, route: str, **fields: Any) -> Case:
        return Case(self.seed, self.index, route, "; ".join(self.notes)[:300], **fields)


# ---- hostile values ----------------------------------------------------------------------------

ORDINARY = (
    "hello", "Hi!", "Hola, ¿qué tal?", "Me encanta este producto, pero llegó tarde.", "Bonjour tout le monde",
    "Das ist schrecklich.", "ありがとうございます", "我很高兴", "Привет, как дела?", "مرحبا كيف حالك",
    "help", "cancel", "start over", "menu", "analyze: I love this product", "analyze: 最高です",
    "translate good morning to Japanese", "traduce hola al inglés", "feedback", "The delivery was awful",
    "language", "change the language to Spanish", "privacy", "opt out", "delete my data", "talk to a person",
    "why", "why?", "1", "5", "yes", "no", "ok", "👍", "Español", "日本語", "I want to kill this bug",
)
ODD_UNITS = (
    "\u202e", "\u200f", "\u061c", "\u200d", "\u200c", "\u200b", "\ufeff", "\u0301", "\u0000", "\u2028", "\u2029",
    "👨\u200d👩\u200d👧\u200d👦", "🇪🇸", "👍🏽", "🏳️\u200d🌈", "漢字かなカナ한국어", "Hola мир مرحبا 世界 שלום",
    "\uffff", "\ufdd0", "\ue000", "\U000e0041", "\x1b[31m", "\r\n", "\ufe0f", "ａｎａｌｙｚｅ", "ΑΒС", "𝐡𝐞𝐥𝐥𝐨",
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "{{7*7}}", "%s%n%x", "${jndi:ldap://x/a}",
    "'; DROP TABLE bot_state;--", "\\u0000", "{count}", "{0}", "%(name)s",
)
LONE_SURROGATES = ("\ud800", "\udfff", "\ude00\ud83d", "a\udbff", "\udc00b")
REGEX_FOOD = ("a@", ".", "A-", "http://", "1.", "a.", "@a.", "www.", "A1-", "x@y", "to ", "translate ", ". ")
LOCALES = ("en-US", "es-ES", "ja-JP", "ar-EG", "zh-CN", "de", "fr-FR", "pt-BR", "xx-YY", "", "en_US", "EN-us",
           "sr-Latn-RS", "zh-Hant-TW", "i-klingon", "a" * 200, "\u202eus-ne")
CHANNELS = ("emulator", "emulator", "emulator", "msteams", "webchat", "directline", "slack", "test")
TYPES = ("message", "conversationUpdate", "invoke", "event", "messageReaction", "typing")
ODD_TYPES = ("endOfConversation", "installationUpdate", "messageUpdate", "messageDelete", "trace", "handoff",
             "contactRelationUpdate", "deleteUserData", "suggestion", "command", "commandResult", "delay",
             "MESSAGE", "message ", " message", "Message", "hack", "メッセージ", "invoke\u0000", "x" * 256)
INVOKE_NAMES = (
    "adaptiveCard/action", "signin/verifyState", "signin/tokenExchange", "signin/failure", "healthCheck",
    "fileConsent/invoke", "actionableMessage/executeAction", "composeExtension/queryLink",
    "composeExtension/anonymousQueryLink", "composeExtension/query", "composeExtension/selectItem",
    "composeExtension/submitAction", "composeExtension/fetchTask", "composeExtension/querySettingUrl",
    "composeExtension/setting", "composeExtension/onCardButtonClicked", "task/fetch", "task/submit",
    "tab/fetch", "tab/submit", "config/fetch", "config/submit", "handoff/action", "search",
    "application/search", "", "../../etc/passwd", "composeExtension/query\u0000", "タスク/取得", "a" * 256,
    "adaptiveCard/Action", "task/fetch ", "message/submitAction", "actionableMessage/executeAction/extra",
)
EVENT_NAMES = ("setLanguage", "setLanguage", "handoff.initiate", "handoff.status", "webchat/join", "tokens/response",
               "ContinueConversation", "", "setlanguage", "x" * 256)


def _odd_text(rng: random.Random, length: int) -> tuple[str, str]:
    """A text of `length` characters made of what parsers, regexes and engines trip on."""
    kind = rng.choice(("odd", "regex", "combining", "zwj", "cjk", "mixed", "surrogate", "nul", "rtl"))
    unit = {
        "odd": "".join(rng.sample(ODD_UNITS, 4)),
        "regex": rng.choice(REGEX_FOOD),
        "combining": "a" + "\u0301" * min(1_000, max(1, length - 1)),
        "zwj": "👨\u200d👩\u200d👧\u200d👦\u200d",
        "cjk": "漢字のテキスト한국어中文",
        "mixed": "Hola мир مرحبا 世界 שלום ok. ",
        "surrogate": "text " + rng.choice(LONE_SURROGATES),
        "nul": "a\u0000b\u0000",
        "rtl": "\u202eabc\u200fdef\u061c ",
    }[kind]
    return (unit * (length // len(unit) + 1))[:length], kind


def _text(b: _Builder) -> str:
    """A message text: mostly short (ordinary or odd), some over the text limit, a few long."""
    rng = b.rng
    roll = rng.random()
    if roll < b.mix.long_texts:
        length = rng.randint(1_000, 5_120)
        text, kind = _odd_text(rng, length)
        b.note(f"long {kind} text {len(text)} chars")
        return text
    if roll < 0.55:
        text = rng.choice(ORDINARY)
        b.note(f"text {text[:40]!r}")
        return text
    if roll < 0.80:
        text, kind = _odd_text(rng, rng.choice((1, 2, 5, 20, 60, 200)))
        b.note(f"short {kind} text {len(text)} chars")
        return text
    if roll < 0.85:
        text = rng.choice(("", " ", "\n", "\u200b", "\u0000"))
        b.note(f"blank text {text!r}")
        return text
    if roll < 0.87:
        text = "a" + "\u0301" * 1000
        b.note("1,000 stacked combining marks")
        return text
    length = rng.choice((5_121, 6_000, 20_000, 100_000))
    text, kind = _odd_text(rng, length)
    b.note(f"huge {kind} text {len(text)} chars")
    return text


def _deep(rng: random.Random, depth: int) -> Any:
    value: Any = rng.choice((1, "x", None))
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


def _wrong_value(b: _Builder) -> Any:
    """A value of the wrong type or shape for any field."""
    rng = b.rng
    kind = rng.choice(("null", "int", "float", "bool", "list", "dict", "empty", "blank", "huge", "deep",
                       "odd", "nan", "bigint", "negative", "idlike", "many"))
    if kind == "null":
        return None
    if kind == "int":
        return rng.choice((0, 1, -1, 42, 2**31, 2**63, 2**64 + 1))
    if kind == "float":
        return rng.choice((0.5, -1e308, 1e308, 1e-320))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return rng.choice(([], [1, "a", None], [[]], [{"id": "x"}], ["message"]))
    if kind == "dict":
        return rng.choice(({}, {"id": 5}, {"id": None}, {"id": ""}, {"": ""}, {"type": "message"}, {"id": ["x"]}))
    if kind == "empty":
        return ""
    if kind == "blank":
        return rng.choice((" ", "\t\n", "\u200b", "\u3000"))
    if kind == "huge":
        return "x" * rng.choice((257, 1_025, 2_049, 100_000, 400_000))
    if kind == "deep":
        return _deep(rng, rng.choice((5, 31, 32, 33, 200)))
    if kind == "odd":
        return _odd_text(rng, rng.choice((1, 10, 300)))[0]
    if kind == "nan":
        return rng.choice((float("nan"), float("inf"), float("-inf")))
    if kind == "bigint":
        return 10**300
    if kind == "negative":
        return -(2**53) - 1
    if kind == "idlike":
        return rng.choice(("..", "/", "%2F", "a|b", "a/../b", "\\", "?x=1#y", "a b", "CON", "*"))
    return list(range(rng.choice((101, 1_000, 25_000))))


def _describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str | list) or len(value) < 40 else (
        f"{type(value).__name__} of {len(value)}")
    return text[:60]


# ---- activities ----------------------------------------------------------------------------------


def _base_activity(b: _Builder, kind: str) -> dict[str, Any]:
    rng = b.rng
    shared = rng.random() < 0.15  # some conversations get several turns (dialogs continue)
    conversation_id = f"fuzz-{b.seed}-{b.index // 8 * 8 if shared else b.index}"
    user = {"id": f"user-{rng.randrange(10**6)}", "name": rng.choice(("User", "Ana", "ユーザー")), "role": "user"}
    activity: dict[str, Any] = {
        "type": kind,
        "id": f"{rng.getrandbits(64):016x}",
        "channelId": rng.choice(CHANNELS),
        "serviceUrl": SERVICE_URL,
        "conversation": {"id": conversation_id},
        "from": user,
        "recipient": dict(BOT_ACCOUNT),
        "timestamp": "2026-01-02T03:04:05.678Z",
        "localTimestamp": "2026-01-02T04:04:05.678+01:00",
        "locale": rng.choice(LOCALES[:8]),
        "channelData": {"clientActivityID": f"{rng.getrandbits(48):012x}"},
        "entities": [{"type": "ClientCapabilities", "requiresBotState": True, "supportsTts": True}],
    }
    if kind == "message":
        activity.update(text=_text(b), textFormat="plain")
        if rng.random() < 0.1:
            activity["attachments"] = [{"contentType": "image/png", "contentUrl": "https://example.org/a.png",
                                        "name": "a.png"}]
        if rng.random() < 0.1:
            activity["value"] = rng.choice(({"rating": 5}, {"action": "menu"}, "5", [1]))
    elif kind == "conversationUpdate":
        activity["membersAdded"] = [dict(BOT_ACCOUNT), user]
        if activity["channelId"] == "msteams":
            activity["channelData"] = {"eventType": rng.choice(("teamMemberAdded", "channelCreated", "teamRenamed")),
                                       "team": {"id": "19:team"}, "tenant": {"id": "tenant"},
                                       "channel": {"id": "19:channel", "name": "General"}}
    elif kind == "invoke":
        activity["name"] = name = rng.choice(INVOKE_NAMES)
        activity["value"] = rng.choice((
            {}, {"action": {"type": "Action.Execute", "verb": "x", "data": {}}, "trigger": "manual"},
            {"commandId": "search", "parameters": [{"name": "q", "value": "x"}]}, {"data": {"x": 1}}, None,
        ))
        b.note(f"invoke {name[:40]!r}")
    elif kind == "event":
        activity["name"] = name = rng.choice(EVENT_NAMES)
        activity["value"] = rng.choice(("es", "ja", "xx", "es-ES", "ES_mx", "", None, 5, {"a": 1}, ["es"]))
        b.note(f"event {name[:30]!r} value {_describe(activity['value'])}")
    elif kind == "messageReaction":
        activity["reactionsAdded"] = [{"type": rng.choice(("like", "heart", "👍", ""))}]
        activity["replyToId"] = "reply-0"
    return activity


def _paths(activity: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every key of the activity and of its objects and lists, one level down."""
    paths: list[tuple[Any, ...]] = []
    for key, value in activity.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths.extend((key, child) for child in value)
        elif isinstance(value, list) and value:
            paths.append((key, 0))
            if isinstance(value[0], dict):
                paths.extend((key, 0, child) for child in value[0])
    return paths


def _parent(activity: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = activity
    for step in path[:-1]:
        node = node[step]
    return node


MUTATIONS = ("delete", "wrong", "wrong", "wrong", "extra", "type", "many", "service", "text", "invoke", "key")


def _mutate(b: _Builder, activity: dict[str, Any]) -> None:
    rng = b.rng
    mutation = rng.choice(MUTATIONS)
    if mutation in ("delete", "wrong"):
        path = rng.choice(_paths(activity))
        parent = _parent(activity, path)
        if mutation == "delete":
            del parent[path[-1]]
            b.note(f"delete {'.'.join(map(str, path))}")
        else:
            parent[path[-1]] = value = _wrong_value(b)
            b.note(f"{'.'.join(map(str, path))}={_describe(value)}")
    elif mutation == "extra":
        key = rng.choice(("value", "suggestedActions", "relatesTo", "semanticAction", "membersRemoved",
                          "reactionsRemoved", "textHighlights", "expiration", "listenFor", "x-unknown",
                          "__proto__", "", "\u0000", "k" * 1000, "callerId", "deliveryMode", "speak"))
        activity[key] = value = _wrong_value(b) if rng.random() < 0.7 else {"type": "message", "text": "nested"}
        b.note(f"extra {key[:20]!r}={_describe(value)}")
    elif mutation == "type":
        activity["type"] = kind = rng.choice(ODD_TYPES)
        b.note(f"type {kind[:20]!r}")
    elif mutation == "many":
        field_name = rng.choice(("entities", "attachments", "membersAdded", "reactionsAdded"))
        count = rng.choice((50, 51, 100, 101, 1_000))
        item = {"entities": {"type": "mention", "mentioned": {"id": "showcase-bot"}, "text": "<at>bot</at>"},
                "attachments": {"contentType": "application/vnd.microsoft.card.adaptive", "content": {"x": 1}},
                "membersAdded": {"id": "m"},
                "reactionsAdded": {"type": "like"}}[field_name]
        activity[field_name] = [dict(item) for _ in range(count)]
        b.note(f"{count} {field_name}")
    elif mutation == "service":
        activity["serviceUrl"] = url = rng.choice((
            "http://", "https://", "http:// ", "HTTP://x", "ftp://x", "http://[::1", "http://a b",
            "http://127.0.0.1:99999", "javascript:alert(1)", "http://" + "a" * 2100, "//x", "http:/x",
            SERVICE_URL + "/", SERVICE_URL + "?q=1", SERVICE_URL + "#x", "http://@", "http://:80",
            "http://u:p@" + SERVICE_URL[len("http://"):], SERVICE_URL + "\u202e", "http://\u0000x",
        ))
        b.note(f"serviceUrl {url[:40]!r}")
    elif mutation == "text":
        activity["text"] = _text(b)
    elif mutation == "invoke":
        activity["type"] = "invoke"
        activity["name"] = name = rng.choice(INVOKE_NAMES)
        activity["value"] = value = _wrong_value(b)
        b.note(f"invoke {name[:40]!r} value={_describe(value)}")
    else:
        conversation = activity.get("conversation")
        if isinstance(conversation, dict):
            conversation["id"] = value = rng.choice((
                f"{conversation.get('id')}|livechat", f"{conversation.get('id')}/../x", "a" * 1024, "a" * 1025,
                f"{conversation.get('id')}\u202e", f"{conversation.get('id')}%00", f"{conversation.get('id')}?x",
            ))
            b.note(f"conversation.id {value[:30]!r}")


def _dumps(b: _Builder, activity: Any) -> bytes:
    """JSON as a client would send it: UTF-8, or ASCII with escapes (the only way to send a lone surrogate)."""
    ascii_only = b.rng.random() < 0.3 or _has_surrogate(activity)
    try:
        return json.dumps(activity, ensure_ascii=ascii_only).encode("utf-8")
    except ValueError:  # an integer too long for str(): send what a client would have meant
        return json.dumps(activity, ensure_ascii=True, default=str).encode("utf-8")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _activity_case(b: _Builder) -> Case:
    rng = b.rng
    kind = rng.choices(TYPES, (60, 8, 12, 8, 6, 6))[0]
    b.note(kind)
    activity = _base_activity(b, kind)
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
        _mutate(b, activity)
    return b.case("messages", body=_dumps(b, activity), invoke=activity.get("type") == "invoke")


# ---- raw bodies ------------------------------------------------------------------------------------

BAD_JSON = (
    b"not json at all", b"{", b"}", b"[", b"nul", b"{'type': 'message'}", b'{"type": "message",}',
    b'{"type": "message" "text": "x"}', b"\xff\xfe\x00", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf",
    b'{"type": "\\ud800"}', b'{"type": "\\u00"}', b'"\\', b"\x00" * 64, b"   ", b"\n", b"true", b"null", b"0",
    b"-", b"1e999999", b'"message"', b"[]", b"[{}]", b'{"":""}', b"{}" * 100, b"\xef\xbb\xbf{}",
)
CONTENT_TYPES = (
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
    "application/json-patch+json", "application/JSON", "application/json; charset=latin-1",
    "application/json; charset=utf-16", "application/json;;;", "json", "*/*", "application/octet-stream", None,
)


def _valid_body(b: _Builder) -> dict[str, Any]:
    activity = _base_activity(b, "message")
    activity["text"] = b.rng.choice(ORDINARY)
    return activity


def _raw_case(b: _Builder) -> Case:
    rng = b.rng
    kind = rng.choice(("bad", "truncated", "deep", "bigint", "literal", "content-type", "empty", "over",
                       "over-chunked", "chunked", "encoding", "duplicate", "top", "nodes", "depth-edge"))
    b.note(f"raw {kind}")
    if kind == "bad":
        body = rng.choice(BAD_JSON) if rng.random() < 0.7 else rng.randbytes(rng.choice((1, 16, 1_000)))
        return b.case("messages raw", body=body)
    if kind == "truncated":
        whole = _dumps(b, _valid_body(b))
        cut = rng.randrange(1, len(whole))
        b.note(f"cut at {cut} of {len(whole)}")
        return b.case("messages raw", body=whole[:cut])
    if kind == "deep":
        shape = rng.choice(("open", "closed", "objects", "mixed"))
        b.note(shape)
        body = {
            "open": b"[" * 100_000,
            "closed": b"[" * 50_000 + b"]" * 50_000,
            "objects": b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
            "mixed": b'{"type":"message","value":' + b"[{" * 20_000 + b'"x":1' + b"}]" * 20_000 + b"}",
        }[shape]
        return b.case("messages raw", body=body)
    if kind == "bigint":
        digits = rng.choice((4_301, 5_000, 100_000))
        b.note(f"{digits}-digit number")
        template = _dumps(b, {**_valid_body(b), "value": "BIG"})
        return b.case("messages raw", body=template.replace(b'"BIG"', b"1" * digits))
    if kind == "literal":
        literal = rng.choice((b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-0", b"1.0e-400"))
        b.note(literal.decode())
        template = _dumps(b, {**_valid_body(b), "value": "LIT"})
        return b.case("messages raw", body=template.replace(b'"LIT"', literal))
    if kind == "content-type":
        content_type = rng.choice(CONTENT_TYPES)
        b.note(f"Content-Type {content_type}")
        body = _dumps(b, _valid_body(b))
        encoding = "utf-16" if content_type and "utf-16" in content_type else ""
        return b.case("messages raw", body=body, content_type=content_type, encoding=encoding)
    if kind == "empty":
        return b.case("messages raw", body=b"", content_type=rng.choice(("application/json", None)))
    if kind in ("over", "over-chunked"):
        activity = _valid_body(b)
        activity["text"] = "x" * rng.choice((524_289, 600_000, 2_000_000))
        body = _dumps(b, activity)
        b.note(f"{len(body)} bytes")
        return b.case("messages raw", body=body, chunks=rng.choice((3, 17)) if kind == "over-chunked" else 0)
    if kind == "chunked":
        chunks = rng.choice((2, 3, 7, 64))
        b.note(f"{chunks} segments")
        return b.case("messages", body=_dumps(b, _valid_body(b)), chunks=chunks)
    if kind == "encoding":
        body = _dumps(b, _valid_body(b))
        encoding = rng.choice(("bom", "utf-16", "utf-32", "latin-1", "invalid"))
        b.note(encoding)
        if encoding == "bom":
            body = b"\xef\xbb\xbf" + body
        elif encoding in ("utf-16", "utf-32"):
            return b.case("messages raw", body=body, encoding=encoding)
        elif encoding == "latin-1":
            body = body.replace(b'"text": "', b'"text": "\xe9\xe8 ', 1).replace(b'"text":"', b'"text":"\xe9', 1)
        else:
            body = body.replace(b"hello", b"hel\xfflo").replace(b'"User"', b'"Us\xc3er"')
        return b.case("messages raw", body=body)
    if kind == "duplicate":
        duplicate = rng.choice((b', "type": 5}', b', "type": "invoke"}', b', "conversation": null}', b', "text": []}'))
        b.note(duplicate.decode()[2:-1])
        body = _dumps(b, _valid_body(b))[:-1] + duplicate
        return b.case("messages raw", body=body, invoke=b'"invoke"' in duplicate)
    if kind == "top":
        body = rng.choice((b"[]", b"[" + _dumps(b, _valid_body(b)) + b"]", b'"message"', b"42", b"null", b"true"))
        return b.case("messages raw", body=body)
    if kind == "nodes":
        activity = _valid_body(b)
        activity["channelData"] = {"values": [0] * rng.choice((19_000, 20_001, 60_000))}
        return b.case("messages raw", body=_dumps(b, activity))
    activity = _valid_body(b)
    depth = rng.choice((29, 30, 31, 32))
    activity["channelData"] = {"nested": _deep(rng, depth)}
    b.note(f"channelData nested {depth}")
    return b.case("messages raw", body=_dumps(b, activity))


# ---- Direct Line -------------------------------------------------------------------------------

# A valid token for the right conversation about half the time, so bodies and watermarks get read.
TOKEN_KINDS = ("valid", "missing", "empty", "basic", "garbage", "non-ascii", "huge", "oversized", "forged",
               "tampered", "expired", "other", "jwt", "spaces", "query-only")
CONVERSATION_KINDS = ("own", "other", "unknown", "garbage", "huge", "non-ascii", "dots")
WATERMARKS = ("", "0", "1", "-1", "-99999", "abc", "1.5", "9" * 30, "9" * 5_000, "١٢", " 3 ", "0x10", "١",
              "+1", "1_000", "\u0000", "%00", "２")


def _dl_token(b: _Builder) -> str:
    kind = b.rng.choices(TOKEN_KINDS, (14, *[1] * (len(TOKEN_KINDS) - 1)))[0]
    b.note(f"token {kind}")
    return kind


def _dl_conversation(b: _Builder) -> str:
    kind = b.rng.choices(CONVERSATION_KINDS, (12, *[1] * (len(CONVERSATION_KINDS) - 1)))[0]
    if kind != "own":
        b.note(f"conversation {kind}")
    return kind


def _dl_activity_body(b: _Builder) -> tuple[bytes, str | None]:
    rng = b.rng
    roll = rng.random()
    if roll < 0.5:
        activity: Any = {"type": "message", "from": {"id": "dl-user", "name": "You"}, "text": _text(b),
                         "locale": rng.choice(LOCALES[:8]), "channelData": {"clientActivityID": "x"}}
        if rng.random() < 0.5:
            for _ in range(rng.choice((1, 2))):
                _mutate(b, activity)
        return _dumps(b, activity), "application/json"
    if roll < 0.65:
        activity = {"type": rng.choice(("event", "conversationUpdate", "invoke", "typing", *ODD_TYPES[:6])),
                    "name": rng.choice((*EVENT_NAMES, *INVOKE_NAMES[:6])),
                    "value": rng.choice(("es", None, 5, {"a": 1}, _deep(rng, 40)))}
        b.note(f"dl {activity['type'][:20]!r} {activity['name'][:20]!r}")
        return _dumps(b, activity), "application/json"
    if roll < 0.80:
        body = rng.choice(BAD_JSON)
        b.note(f"dl body {body[:20]!r}")
        return body, "application/json"
    if roll < 0.85:
        digits = rng.choice((4_301, 50_000))
        b.note(f"dl body with a {digits}-digit number")
        return b'{"type": "message", "text": "hi", "value": ' + b"7" * digits + b"}", "application/json"
    value = _wrong_value(b)
    b.note(f"dl body {_describe(value)}")
    return _dumps(b, value), rng.choice(("application/json", "text/plain", None))


def _multipart(b: _Builder) -> tuple[bytes, str]:
    rng = b.rng
    boundary = "fuzzboundary"
    kind = rng.choice(("activity+file", "file", "activity-bad", "activity-array", "empty", "garbage",
                       "no-boundary", "big", "names"))
    b.note(f"upload {kind}")
    if kind == "garbage":
        return rng.randbytes(200), f"multipart/form-data; boundary={boundary}"
    if kind == "no-boundary":
        return b"--x\r\n\r\nhello\r\n--x--\r\n", "multipart/form-data"
    parts: list[tuple[str, str, str, bytes]] = []  # name, filename, content type, data
    if kind in ("activity+file", "activity-bad", "activity-array", "names"):
        data = {"activity-bad": b'{"type": ', "activity-array": b"[1, 2]"}.get(
            kind, _dumps(b, {"type": "message", "text": _text(b), "from": {"id": "u"}}))
        parts.append(("activity", "blob", "application/vnd.microsoft.activity", data))
    if kind in ("activity+file", "file", "big", "names"):
        size = {"big": rng.choice((1_100_000, 4_200_000))}.get(kind, rng.choice((0, 10, 5_000)))
        filename = "a.txt" if kind != "names" else rng.choice(("../../etc/passwd", "\u202etxt.exe", "a" * 500,
                                                                "名前.png", "\u0000.png", ""))
        parts.append(("file", filename, rng.choice(("text/plain", "image/png", "x/y; q=\"\"", "")),
                      b"z" * size))
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"; filename="{filename}"'.encode("utf-8", "surrogatepass")
        body += (f"--{boundary}\r\n".encode() + b"Content-Disposition: " + disposition + b"\r\n"
                 + f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _directline_case(b: _Builder) -> Case:
    rng = b.rng
    api = "/v3/directline"
    conv = f"{api}/conversations/{CONVERSATION}"
    route = rng.choices(
        ("generate", "refresh", "start", "reconnect", "post", "get", "upload", "stream", "websocket",
         "attachment", "connector", "page-token"),
        (6, 4, 6, 4, 30, 16, 8, 6, 4, 4, 6, 3),
    )[0]
    b.note(f"dl {route}")
    if route == "generate":
        choice = rng.choice(("none", "user", "bad", "wrong"))
        if choice == "none":
            return b.case("dl tokens", path=f"{api}/tokens/generate", body=None, content_type=None)
        if choice == "user":
            user_id = rng.choice(("dl_user", "", " ", "a" * 10_000, "\u202eadmin", "../x", "bot", "showcase-bot"))
            b.note(f"user.id {user_id[:20]!r}")
            return b.case("dl tokens", path=f"{api}/tokens/generate", body=_dumps(b, {"user": {"id": user_id}}))
        if choice == "bad":
            return b.case("dl tokens", path=f"{api}/tokens/generate", body=rng.choice(BAD_JSON))
        value = _wrong_value(b)
        b.note(f"body {_describe(value)}")
        return b.case("dl tokens", path=f"{api}/tokens/generate", body=_dumps(b, {"user": value}))
    if route == "refresh":
        return b.case("dl tokens", path=f"{api}/tokens/refresh", body=None, content_type=None, token=_dl_token(b))
    if route == "start":
        return b.case("dl conversations", path=f"{api}/conversations", body=None, content_type=None,
                      token=_dl_token(b))
    if route == "reconnect":
        watermark = rng.choice(WATERMARKS)
        return b.case("dl conversations", method="GET", path=f"{conv}?watermark={quote(watermark)}",
                      body=None, content_type=None, token=_dl_token(b), conversation=_dl_conversation(b))
    if route == "post":
        body, content_type = _dl_activity_body(b)
        return b.case("dl activities", path=f"{conv}/activities", body=body, content_type=content_type,
                      token=_dl_token(b), conversation=_dl_conversation(b))
    if route == "get":
        watermark = rng.choice(WATERMARKS)
        b.note(f"watermark {watermark[:12]!r}")
        return b.case("dl activities", method="GET", path=f"{conv}/activities?watermark={quote(watermark)}",
                      body=None, content_type=None, token=_dl_token(b), conversation=_dl_conversation(b))
    if route == "upload":
        if rng.random() < 0.15:
            b.note("not multipart")
            body, content_type = _dumps(b, {"type": "message"}), "application/json"
        else:
            body, content_type = _multipart(b)
        return b.case("dl upload", path=f"{conv}/upload?userId=u", body=body, content_type=content_type,
                      token=_dl_token(b), conversation=_dl_conversation(b))
    if route in ("stream", "websocket"):
        watermark = rng.choice(WATERMARKS)
        b.note(f"watermark {watermark[:12]!r}")
        token = _dl_token(b)
        return b.case("dl stream", method="GET", path=f"{conv}/stream?watermark={quote(watermark)}", body=None,
                      content_type=None, token=token, conversation=_dl_conversation(b),
                      websocket=route == "websocket")
    if route == "attachment":
        attachment = rng.choice(("x", "a" * 2000, "..%2F..%2Fetc%2Fpasswd", "%E2%80%AE", "%00", "0"))
        return b.case("dl attachments", method="GET", path=f"{api}/attachments/{CONVERSATION}/{attachment}",
                      body=None, content_type=None, conversation=_dl_conversation(b))
    if route == "connector":
        method, suffix = rng.choice((("POST", ""), ("POST", "/reply-1"), ("PUT", "/x"), ("DELETE", "/x")))
        key = rng.choice(("", "Bearer ", "Bearer garbage", "Bearer " + "k" * 43, "Basic a2V5"))
        b.note(f"{method} connector key {key[:12]!r}")
        headers = (("Authorization", key),) if key else ()
        body = _dumps(b, {"type": "message", "text": "forged reply"}) if method != "DELETE" else None
        return b.case("dl connector", method=method,
                      path=f"/directline-connector/v3/conversations/{CONVERSATION}/activities{suffix}",
                      body=body, headers=headers, conversation=_dl_conversation(b))
    return b.case("dl tokens", path="/api/directline/token", body=rng.choice((None, b"{}", b"garbage")),
                  content_type=None)


def _route_case(b: _Builder) -> Case:
    rng = b.rng
    method, path, body = rng.choice((
        ("GET", "/api/messages", None), ("PUT", "/api/messages", b"{}"), ("DELETE", "/api/messages", None),
        ("OPTIONS", "/api/messages", None), ("GET", "/", None), ("GET", "/api/webchat/config", None),
        ("GET", "/static/app/app.js", None), ("GET", "/static/app/..%2F..%2F..%2Fetc%2Fpasswd", None),
        ("GET", "/static/app/%00", None), ("GET", "/static/webchat/webchat.js", None),
        ("GET", "/readyz", None), ("POST", "/healthz", b"x"), ("GET", "/nope/" + "a" * 4000, None),
        ("GET", "/api/messages/../healthz", None), ("TRACE", "/", None),
        ("POST", "/api/messages", None), ("GET", "/admin", None), ("GET", "/admin/data", None),
        ("GET", "/metrics", None),
    ))
    b.note(f"{method} {path[:40]}")
    headers: tuple[tuple[str, str], ...] = ()
    if path == "/api/messages" and method == "POST":
        headers = (("Authorization", rng.choice(("Bearer garbage", "Bearer a.b.c", "Basic eDp5", "Bearer",
                                                  "bearer " + "x" * 3000, "Bearer éé"))),)
        b.note(f"Authorization {headers[0][1][:16]!r}")
        body = _dumps(b, _valid_body(b))
    return b.case("routes", method=method, path=path, body=body, content_type=None if body is None else "application/json",
                  headers=headers)


# ---- the storm ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Something a request made the bot do that no request may; `case` is None when not attributable."""

    what: str
    case: Case | None = None
    mix: Mix = QUICK

    def render(self) -> str:
        if self.case is None:
            return f"storm: {self.what}"
        return (f"case {self.case.index}: {self.what}\n    request: {self.case.description}\n"
                f"    reproduce: {self.case.repro(self.mix)}")


@dataclass
class StormReport:
    seed: int
    mix: str
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    by_route: dict[str, Counter] = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)
    slowest: list[tuple[float, int, str]] = field(default_factory=list)  # the ten slowest answers
    healthz_s: list[float] = field(default_factory=list)
    healthz_failures: int = 0
    loop_stalls: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # the five worst
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    replies: int = 0
    failures: list[Failure] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)
    after: dict[str, bool] = field(default_factory=dict)

    @property
    def healthz_p99_s(self) -> float:
        return percentile(self.healthz_s, 0.99)

    def problems(self, *, max_answer_s: float | None = None) -> list[str]:
        """Every broken promise, each with what to run to see the request again."""
        return [failure.render() for failure in self.failures] + self.checks(max_answer_s=max_answer_s)

    def checks(
        self, *, max_answer_s: float | None = None, max_healthz_p99_s: float | None = MAX_HEALTHZ_P99_S,
    ) -> list[str]:
        """The storm-wide promises: /healthz, memory, health afterwards (and, if given, the slowest answer).

        The time limits are the benchmark's (bench/hostile.py); the test passes None for them,
        because a shared machine's load moves timings and tests assert no times.
        """
        found = []
        if self.healthz_failures:
            found.append(f"/healthz failed {self.healthz_failures} times during the storm")
        if max_healthz_p99_s is not None and self.healthz_s and self.healthz_p99_s > max_healthz_p99_s:
            found.append(f"/healthz p99 {self.healthz_p99_s * 1000:.0f} ms during the storm "
                         f"(limit {max_healthz_p99_s * 1000:.0f} ms)")
        if self.rss_after_mb > MAX_RSS_GROWTH * self.rss_before_mb:
            found.append(f"RSS grew from {self.rss_before_mb:.0f} MB to {self.rss_after_mb:.0f} MB "
                         f"(limit x{MAX_RSS_GROWTH})")
        found.extend(f"after the storm: {check} failed" for check, ok in self.after.items() if not ok)
        if max_answer_s is not None and self.slowest and max(self.slowest)[0] > max_answer_s:
            seconds, index, request = max(self.slowest)
            found.append(f"slowest answer {seconds:.2f} s (limit {max_answer_s:g} s): case {index}, {request}")
        return found

    def summary(self) -> dict[str, Any]:
        return {
            "seed": self.seed, "mix": self.mix, "cases": self.cases, "seconds": round(self.seconds, 1),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items(), key=str)},
            "by_route": {route: {str(k): v for k, v in sorted(counts.items(), key=str)}
                         for route, counts in sorted(self.by_route.items())},
            "p50_ms": round(percentile(self.latencies_s, 0.50) * 1000, 1),
            "p99_ms": round(percentile(self.latencies_s, 0.99) * 1000, 1),
            "max_ms": round(max(self.latencies_s, default=0.0) * 1000, 1),
            "slowest": [{"ms": round(seconds * 1000, 1), "index": index, "request": request}
                        for seconds, index, request in sorted(self.slowest, reverse=True)],
            "healthz_samples": len(self.healthz_s),
            "healthz_p99_ms": round(self.healthz_p99_s * 1000, 1),
            "healthz_max_ms": round(max(self.healthz_s, default=0.0) * 1000, 1),
            "loop_stalls": [{"ms": round(lag * 1000, 1), "cases_in_flight": list(flying)}
                            for lag, flying in sorted(self.loop_stalls, reverse=True)],
            "rss_before_mb": round(self.rss_before_mb, 1), "rss_after_mb": round(self.rss_after_mb, 1),
            "replies": self.replies,
            "warnings": dict(self.warnings.most_common(10)),
            "after": self.after,
            "problems": self.problems(),
        }


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_mb() -> float:
    """This process's resident set (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _StormChannel(EmulatorChannel):
    """The harness channel, keeping a count and the failed-turn replies instead of every reply."""

    def __init__(self) -> None:
        super().__init__()
        self.replies = 0
        self.failed_turns: list[tuple[str, str]] = []  # (conversation id, what was sent)
        self._failure_texts = failure_texts()

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            activity = await request.json()
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        self.replies += 1
        if is_failed_turn(activity, self._failure_texts):
            what = "the TurnError trace" if activity.get("type") == "trace" else repr(str(activity.get("text"))[:80])
            self.failed_turns.append((request.match_info["conversation_id"], what))
        return web.json_response({"id": f"reply-{next(self._ids)}"})


def is_failed_turn(activity: Any, texts: frozenset[str]) -> bool:
    """The apology of bot/hosting.py's on_turn_error (or its Emulator trace), or a TurnGuard give-up."""
    if not isinstance(activity, dict):
        return False
    if activity.get("type") == "trace" and (activity.get("label") == "TurnError"
                                           or activity.get("name") == "OnTurnError Trace"):
        return True
    text = activity.get("text")
    return isinstance(text, str) and any(failure in text for failure in texts)


class _ErrorLog(logging.Handler):
    """Records of level ERROR and above (and counts warnings) while the storm runs."""

    def __init__(self, in_flight: set[int]) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[tuple[str, str, tuple[int, ...]]] = []  # logger, message, cases in flight
        self.warnings: Counter = Counter()
        self._in_flight = in_flight

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and (error.code or 400) < 500:
            record.levelno = logging.WARNING  # aiohttp answered the malformed request with a 4xx itself
            message = f"{type(error).__name__}"
        if record.levelno < logging.ERROR:
            self.warnings[f"{record.name}: {message.split(' ')[0][:40]}"] += 1
            return
        if record.exc_info and record.exc_info[1] is not None:
            message += f" [{type(record.exc_info[1]).__name__}: {str(record.exc_info[1])[:120]}]"
        self.errors.append((record.name, message[:400], tuple(sorted(self._in_flight))[:16]))


class _DirectLine:
    """Real Direct Line conversations and tokens of every kind, for the cases that need them."""

    PER_CONVERSATION = 6  # cases per conversation: keeps each one far from its history bounds

    def __init__(self, app: web.Application) -> None:
        from bot.channels.webchat.routes import ENDPOINT

        self.endpoint = app[ENDPOINT] if ENDPOINT in app else None
        self._slots: dict[int, tuple[str, str]] = {}

    def slot(self, index: int) -> tuple[str, str]:
        """(conversation id, token) of the conversation the case at `index` uses."""
        number = index // self.PER_CONVERSATION
        if number not in self._slots:
            if self.endpoint is None:
                self._slots[number] = (f"missing-{number}", "no.endpoint")
            else:
                conversation, token = self.endpoint.new_conversation()
                self._slots[number] = (conversation.id, token)
        return self._slots[number]

    def conversations(self) -> list[tuple[int, tuple[str, str]]]:
        """(slot number, (conversation id, token)) of every conversation the storm used."""
        return sorted(self._slots.items())

    def fresh(self) -> tuple[str, str]:
        """A new conversation and its token, from the endpoint (no tokens/generate budget spent)."""
        if self.endpoint is None:
            return "missing", "no.endpoint"
        conversation, token = self.endpoint.new_conversation()
        return conversation.id, token

    def resolve(self, case: Case) -> tuple[str, str | None]:
        """The conversation id for the path, and the token (None: send no Authorization)."""
        own, token = self.slot(case.index)
        other, other_token = self.slot(case.index + self.PER_CONVERSATION)
        conversation = {
            "own": own, "other": other, "unknown": "nosuchconversation-1",
            "garbage": "%3Cscript%3E%7C%22", "huge": "c" * 2_000, "non-ascii": quote("会話\u202e", safe=""),
            "dots": "..%2F..",
        }[case.conversation]
        kind = case.token
        if kind in ("", "missing", "query-only"):
            return conversation, None
        body, _, signature = token.partition(".")
        value = {
            "valid": token, "empty": "", "basic": None, "garbage": "garbage", "non-ascii": "tökén.シグ",
            "huge": "t" * 6_000, "oversized": "t" * 9_000, "forged": f"{body}.{'A' * len(signature)}",
            "tampered": f"{other_token.partition('.')[0]}.{signature}", "expired": self._expired(own),
            "other": other_token, "jwt": "eyJhbGciOiJub25lIn0.eyJjIjoieCJ9.", "spaces": f"  {token}  ",
        }[kind]
        if kind == "basic":
            return conversation, f"Basic {token}"
        return conversation, f"Bearer {value}"

    def _expired(self, conversation_id: str) -> str:
        """A correctly signed token that expired an hour ago (needs the in-process key)."""
        from bot.channels.webchat.tokens import TokenIssuer

        issuer = getattr(self.endpoint, "tokens", None)
        key = getattr(issuer, "_key", None)
        if not isinstance(key, bytes):
            return "expired.unsigned"
        past = TokenIssuer(lifetime_s=60, key=key, clock=lambda: time.time() - 3_600)
        return past.issue(conversation_id, "dl-user")


@dataclass
class _Outcome:
    status: int | None
    seconds: float
    error: str = ""


async def _chunked(body: bytes, chunks: int) -> AsyncIterator[bytes]:
    size = max(1, -(-len(body) // chunks))
    for start in range(0, len(body), size):
        yield body[start:start + size]
        await asyncio.sleep(0.001)  # separate TCP segments, not one coalesced write


async def _send(session: aiohttp.ClientSession, base: str, case: Case, channel_url: str,
                directline: _DirectLine) -> _Outcome:
    path, body = case.path, case.body
    headers: dict[str, str] = dict(case.headers)
    if body is not None:
        body = body.replace(SERVICE_URL.encode(), channel_url.encode())
        if case.encoding:
            body = body.decode("utf-8").encode(case.encoding)
    if CONVERSATION in path or case.token:
        conversation, authorization = directline.resolve(case)
        path = path.replace(CONVERSATION, conversation)
        if authorization is not None and case.token != "":
            if case.route == "dl stream":
                token = authorization.partition(" ")[2]
                path += f"&t={quote(token, safe='')}"
            else:
                headers["Authorization"] = authorization
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    url = yarl.URL(base + path, encoded=True)
    started = time.perf_counter()
    try:
        if case.websocket:
            status = await _websocket(session, url, headers)
        else:
            data: Any = _chunked(body, case.chunks) if case.chunks and body is not None else body
            async with session.request(case.method, url, data=data, headers=headers,
                                       skip_auto_headers=("Content-Type",)) as response:
                await response.read()
                status = response.status
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        return _Outcome(None, time.perf_counter() - started, f"{type(error).__name__}: {str(error)[:120]}")
    return _Outcome(status, time.perf_counter() - started)


async def _websocket(session: aiohttp.ClientSession, url: yarl.URL, headers: dict[str, str]) -> int:
    """Open the stream, send it junk, read briefly, close; a refused upgrade gives its HTTP status."""
    try:
        async with session.ws_connect(url, headers=headers, heartbeat=None, autoping=True) as ws:
            await ws.send_str("junk from the client")
            await ws.send_bytes(b"\x00\xff" * 100)
            with contextlib.suppress(TimeoutError):
                await ws.receive(timeout=0.05)
            await ws.close()
            return 101
    except aiohttp.WSServerHandshakeError as error:
        return error.status


async def _healthz(session: aiohttp.ClientSession, base: str, report: StormReport, stop: asyncio.Event) -> None:
    """Probe /healthz every 20 ms, each probe timed on its own (a slow probe does not hide the next)."""
    probes: set[asyncio.Task] = set()

    async def probe() -> None:
        started = time.perf_counter()
        try:
            async with session.get(base + "/healthz") as response:
                await response.read()
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            ok = False
        report.healthz_s.append(time.perf_counter() - started)
        if not ok:
            report.healthz_failures += 1

    while not stop.is_set():
        task = asyncio.ensure_future(probe())
        probes.add(task)
        task.add_done_callback(probes.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HEALTHZ_EVERY_S)
    await asyncio.gather(*probes)


async def _watch_loop(report: StormReport, in_flight: set[int], stop: asyncio.Event) -> None:
    """Note the worst event-loop stalls and which cases were in flight (where to look when /healthz is slow)."""
    step = 0.005
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(step)
        lag = time.perf_counter() - started - step
        if lag > 0.030:
            entry = (lag, tuple(sorted(in_flight)))
            if len(report.loop_stalls) < 5:
                heapq.heappush(report.loop_stalls, entry)
            else:
                heapq.heappushpop(report.loop_stalls, entry)


def _index_of(conversation_id: str, seed: int) -> int | None:
    match = _CONVERSATION_ID.search(conversation_id)
    return int(match.group(2)) if match and int(match.group(1)) == seed else None


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[tuple[str, web.Application]]:
    """The real app (`create_app`, the engines it builds, warmed) on a free loopback port."""
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", app
    finally:
        await runner.cleanup()


async def storm(
    settings: Settings,
    batch: Iterable[Case],
    *,
    seed: int,
    mix: Mix = QUICK,
    concurrency: int = CONCURRENCY,
    progress: Callable[[int], None] | None = None,
) -> StormReport:
    """Serve the app, warm it, send `batch` at `concurrency`, and report what broke."""
    report = StormReport(seed, mix.name)
    channel = await _StormChannel().start()
    in_flight: set[int] = set()
    error_log = _ErrorLog(in_flight)
    try:
        async with serve(settings) as (base, app):
            directline = _DirectLine(app)
            timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
            connector = aiohttp.TCPConnector(limit=concurrency + 4)
            async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session, \
                    aiohttp.ClientSession(timeout=timeout) as probes:
                await _warm_up(session, base, channel.url)
                gc.collect()
                report.rss_before_mb = rss_mb()
                root = logging.getLogger()
                root.addHandler(error_log)
                stop = asyncio.Event()
                sampler = asyncio.ensure_future(_healthz(probes, base, report, stop))
                watcher = asyncio.ensure_future(_watch_loop(report, in_flight, stop))
                started = time.perf_counter()
                try:
                    await _run_cases(session, base, batch, channel.url, directline, report, in_flight,
                                     concurrency, mix, progress)
                finally:
                    report.seconds = time.perf_counter() - started
                    stop.set()
                    await sampler
                    await watcher
                    root.removeHandler(error_log)
                await _failed_directline_turns(session, base, directline, report)
                report.after = await _after_checks(session, base, channel, directline)
                gc.collect()
                report.rss_after_mb = rss_mb()
    finally:
        await channel.stop()
    report.replies = channel.replies
    report.warnings = error_log.warnings
    for conversation_id, text in channel.failed_turns:
        index = _index_of(conversation_id, seed)
        report.failures.append(Failure(f"a failed turn's reply was sent: {text}", _case_of(index, seed, mix), mix))
    for logger, message, flying in error_log.errors:
        index = _index_of(message, seed)
        if index is None and len(flying) == 1:
            index = flying[0]
        what = f"ERROR logged by {logger}: {message}"
        if index is None and flying:
            what += f" (cases in flight: {', '.join(map(str, flying))})"
        report.failures.append(Failure(what, _case_of(index, seed, mix), mix))
    return report


def _case_of(index: int | None, seed: int, mix: Mix) -> Case | None:
    return None if index is None else case_at(seed, index, mix)


async def _run_cases(session: aiohttp.ClientSession, base: str, batch: Iterable[Case], channel_url: str,
                     directline: _DirectLine, report: StormReport, in_flight: set[int], concurrency: int,
                     mix: Mix, progress: Callable[[int], None] | None) -> None:
    source = iter(batch)
    loop = asyncio.get_running_loop()

    async def worker() -> None:
        # Cases are built on one thread of their own (a body can take milliseconds to build):
        # the event loop is the server's, and what it measures should be the server.
        while (case := await loop.run_in_executor(builder, next, source, None)) is not None:
            in_flight.add(case.index)
            try:
                outcome = await _send(session, base, case, channel_url, directline)
            finally:
                in_flight.discard(case.index)
            _record(report, case, outcome, mix)
            if progress is not None:
                progress(report.cases)

    with ThreadPoolExecutor(1, thread_name_prefix="fuzz-cases") as builder:
        await asyncio.gather(*(worker() for _ in range(concurrency)))


def _record(report: StormReport, case: Case, outcome: _Outcome, mix: Mix) -> None:
    report.cases += 1
    label = outcome.status if outcome.status is not None else "dropped"
    report.statuses[label] += 1
    report.by_route.setdefault(case.route, Counter())[label] += 1
    report.latencies_s.append(outcome.seconds)
    entry = (outcome.seconds, case.index, f"{case.method} {case.path[:60]}: {case.description}")
    if len(report.slowest) < 10:
        heapq.heappush(report.slowest, entry)
    else:
        heapq.heappushpop(report.slowest, entry)
    if outcome.status is None:
        what = f"dropped connection or no answer in {CLIENT_TIMEOUT_S:g} s ({outcome.error})"
    elif outcome.status >= 500 and not (outcome.status == 501 and case.invoke):
        what = f"status {outcome.status} on {case.method} {case.path[:80]}"
    else:
        return
    report.failures.append(Failure(what, case, mix))


async def _warm_up(session: aiohttp.ClientSession, base: str, channel_url: str) -> None:
    """A few ordinary turns on both channels, so lazy imports and caches are in RSS 'before'."""
    activity = {"type": "conversationUpdate", "channelId": "emulator", "serviceUrl": channel_url,
                "conversation": {"id": "warm-up"}, "from": {"id": "warm-user"}, "recipient": BOT_ACCOUNT,
                "membersAdded": [BOT_ACCOUNT, {"id": "warm-user"}]}
    for text in (None, "hello", "Me encanta, pero llegó tarde.", "analyze: great", "x" * 6_000,
                 "translate good morning to Japanese", "ありがとうございます", "why"):
        body = activity if text is None else {**activity, "type": "message", "text": text}
        async with session.post(base + "/api/messages", json=body) as response:
            await response.read()
    async with session.post(base + "/v3/directline/tokens/generate") as response:
        token = (await response.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(base + "/v3/directline/conversations", headers=headers) as response:
        conversation_id = (await response.json())["conversationId"]
    async with session.post(f"{base}/v3/directline/conversations/{conversation_id}/activities",
                            json={"type": "message", "text": "hi", "from": {"id": "u"}}, headers=headers) as response:
        await response.read()


async def _failed_directline_turns(session: aiohttp.ClientSession, base: str, directline: _DirectLine,
                                   report: StormReport) -> None:
    """Read back every Direct Line conversation the storm used and look for failed-turn replies."""
    texts = failure_texts()
    for number, (conversation_id, token) in directline.conversations():
        url = f"{base}/v3/directline/conversations/{conversation_id}/activities"
        async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            if response.status != 200:
                continue
            activities = (await response.json()).get("activities", [])
        by_id = {activity.get("id"): activity for activity in activities}
        last_from_user: dict[str, Any] = {}
        for activity in activities:
            if (activity.get("from") or {}).get("role") == "user":
                last_from_user = activity
            if is_failed_turn(activity, texts):
                cause = by_id.get(activity.get("replyToId")) or last_from_user
                report.failures.append(Failure(
                    f"a failed turn's reply in Direct Line conversation {number} "
                    f"(cases {number * _DirectLine.PER_CONVERSATION}.."
                    f"{(number + 1) * _DirectLine.PER_CONVERSATION - 1}), after a {cause.get('type')!r} activity "
                    f"named {cause.get('name')!r} with value {str(cause.get('value'))[:40]!r}: "
                    f"{str(activity.get('text'))[:80]!r}"))


async def _after_checks(session: aiohttp.ClientSession, base: str, channel: _StormChannel,
                        directline: _DirectLine) -> dict[str, bool]:
    """Healthy afterwards: probes answer, and ordinary users on both channels get ordinary answers.

    The Direct Line user's token comes from the endpoint itself: the storm has spent this
    address's tokens/generate budget, which a new user (another address) would still have.
    """
    checks: dict[str, bool] = {}
    texts = failure_texts()
    for path in ("/healthz", "/readyz"):
        async with session.get(base + path) as response:
            checks[f"GET {path} is 200"] = response.status == 200
    replies, failed = channel.replies, len(channel.failed_turns)
    async with session.post(base + "/api/messages", json=EmulatorChannelProbe(channel.url).activity("hello")) as response:
        checks["an Emulator user still gets answers"] = (response.status in (200, 201) and channel.replies > replies
                                                          and len(channel.failed_turns) == failed)
    conversation_id, token = directline.fresh()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/v3/directline/conversations/{conversation_id}/activities"
    async with session.post(url, json={"type": "message", "text": "hello", "from": {"id": "u"}},
                            headers=headers) as response:
        ok = response.status == 200
    async with session.get(url, headers=headers) as response:
        activities = (await response.json()).get("activities", []) if response.status == 200 else []
    replies = [a for a in activities if (a.get("from") or {}).get("role") == "bot" and a.get("type") == "message"]
    checks["a Direct Line user still gets answers"] = ok and bool(replies) and not any(
        is_failed_turn(reply, texts) for reply in replies)
    return checks


@dataclass(frozen=True)
class EmulatorChannelProbe:
    """An ordinary Emulator activity for the after-storm check."""

    channel_url: str

    def activity(self, text: str) -> dict[str, Any]:
        return {"type": "message", "text": text, "channelId": "emulator", "serviceUrl": self.channel_url,
                "conversation": {"id": "after-the-storm"}, "from": {"id": "after-user", "role": "user"},
                "recipient": BOT_ACCOUNT, "locale": "en-US"}


# ---- reproduction ---------------------------------------------------------------------------------


def _show(args: argparse.Namespace) -> int:
    case = case_at(args.seed, args.index, MIXES[args.mix])
    print(f"case {case.index} of seed {case.seed} ({args.mix}): {case.description}")
    print(f"{case.method} {case.path}")
    for name, value in case.headers:
        print(f"{name}: {value[:200]}")
    if case.content_type:
        print(f"Content-Type: {case.content_type}")
    if case.token:
        print(f"Direct Line token: {case.token}; conversation: {case.conversation}")
    if case.chunks:
        print(f"(sent chunked, in {case.chunks} segments)")
    if case.body is not None:
        print(f"\nbody, {len(case.body)} bytes{' (first 2,000)' if len(case.body) > 2_000 else ''}"
              f"{f', sent as {case.encoding}' if case.encoding else ''}:")
        print(case.body[:2_000].decode("utf-8", "backslashreplace"))
    if args.out:
        Path(args.out).write_bytes(case.body or b"")
        print(f"\nwhole body written to {args.out}; {SERVICE_URL} stands for your channel's URL, "
              f"{CONVERSATION} for a Direct Line conversation")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hostile.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print one case")
    show.add_argument("--seed", type=int, required=True)
    show.add_argument("--index", type=int, required=True)
    show.add_argument("--mix", choices=sorted(MIXES), default=QUICK.name)
    show.add_argument("--out", help="write the whole body to this file")
    args = parser.parse_args(argv)
    return _show(args)


if __name__ == "__main__":
    sys.exit(main())
