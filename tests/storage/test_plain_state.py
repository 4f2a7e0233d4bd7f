"""The usual state records are written and read exactly as jsonpickle writes and reads them."""

from __future__ import annotations

import copy
import enum
import sys

import jsonpickle
import pytest
from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.schema import ActivityTypes

from adapters.engines import build_engines
from bot import warm_up
from bot.runtime import build_runtime
from bot.storage.memory_store import InMemoryStorage
from bot.storage.plain_state import decode_plain, encode_plain
from tests.conftest import FAKE_ONLY, make_settings


def jsonpickled(value: object) -> str:
    return jsonpickle.encode(value, unpicklable=True, make_refs=True)


def stack(*ids: str) -> DialogState:
    state = DialogState()
    for index, dialog_id in enumerate(ids):
        instance = DialogInstance()
        instance.id = dialog_id
        instance.state = {"stepIndex": index, "values": {"instanceId": f"i-{index}"}, "options": None}
        state.dialog_stack.append(instance)
    return state


PLAIN = [
    {"profile": {"analysis_opt_out": False, "corrections": [], "feedback": []}},
    {"profile": {"language": "ja", "transcript": [{"role": "user", "text": "¿qué tal? 死にたくない 👋 \"quoted\"\n"}],
                 "score": 0.973, "turns": 10**20, "nothing": None}, "DialogState": stack()},
    {"DialogState": stack("main", "feedback", "rating-prompt"), "other": [[], {}, [1.5, -0.0]]},
]


class Label(enum.Enum):
    GOOD = "good"


shared: list[int] = [1]
NOT_PLAIN = [
    {"t": (1, 2)},
    {"e": Label.GOOD},
    {"a": shared, "b": shared},
    {"py/object": "x"},
    {1: "int key"},
    {"f": float("nan")},
]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_records_are_written_byte_for_byte_as_jsonpickle_writes_them(value: object) -> None:
    assert encode_plain(value) == jsonpickled(value)


@pytest.mark.parametrize("value", PLAIN)
def test_plain_records_read_back_as_jsonpickle_reads_them(value: object) -> None:
    known, restored = decode_plain(jsonpickled(value))
    assert known
    assert jsonpickled(restored) == jsonpickled(jsonpickle.decode(jsonpickled(value), safe=True))
    if isinstance(value, dict) and "DialogState" in value:
        assert isinstance(restored["DialogState"], DialogState)
        assert all(isinstance(i, DialogInstance) for i in restored["DialogState"].dialog_stack)


@pytest.mark.parametrize("value", NOT_PLAIN)
def test_anything_else_is_left_to_jsonpickle(value: object) -> None:
    assert encode_plain(value) is None
    text = jsonpickled(value)
    known, restored = decode_plain(text)
    if "py/" in text:  # jsonpickle's tags: only jsonpickle reads them
        assert (known, restored) == (False, None)
    else:  # e.g. jsonpickle drops a user's "py/object" key and writes {}
        assert known and restored == jsonpickle.decode(text, safe=True)


class RecordingStorage(InMemoryStorage):
    """The memory store, keeping a copy of every record written."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[object] = []

    async def write(self, changes):  # type: ignore[override]
        self.records.extend(copy.deepcopy(list(changes.values())))
        await super().write(changes)


async def test_every_record_of_a_real_conversation_is_jsonpickle_s() -> None:
    """The welcome, the menu, prompts and answers: each record the bot saves, both ways."""
    storage = RecordingStorage()
    runtime = await build_runtime(make_settings(), storage=storage, engines=build_engines(FAKE_ONLY))
    messages = ("hello", "help", "feedback", "4", "great service", "language", "analyze: I love this", "translate")
    sink = warm_up._ReplySink()
    try:
        turns = [warm_up._activity(ActivityTypes.conversation_update, "c-1", "u-1")]
        turns += [warm_up._activity(ActivityTypes.message, "c-1", "u-1", text) for text in messages]
        for activity in turns:
            context = TurnContext(runtime.adapter, activity)
            context.on_send_activities(sink)
            await runtime.adapter.run_pipeline(context, runtime.bot.on_turn)
    finally:
        await runtime.close()
    records = storage.records
    assert sink.replies >= len(messages)
    fast = 0
    for record in records:
        body = {k: v for k, v in record.items() if k != "e_tag"} if isinstance(record, dict) else record
        expected = jsonpickled(body)
        written = encode_plain(body)
        if written is not None:
            fast += 1
            assert written == expected
        known, restored = decode_plain(expected)
        if known:
            assert jsonpickled(restored) == jsonpickled(jsonpickle.decode(expected, safe=True))
    assert fast >= len(records) // 2 > 0


class Code(enum.IntEnum):
    ONE = 1


class Name(str):
    pass


_nested_shared: dict = {"k": 1}
NESTED_NOT_PLAIN = [
    {"profile": {"transcript": [{"role": "user", "text": ("a", "b")}]}},
    {"profile": {"scores": [0.5, float("inf")]}},
    {"profile": {"code": Code.ONE}},
    {"profile": {"name": Name("x")}},
    {"profile": [_nested_shared, {"again": _nested_shared}]},
    {"DialogState": stack("main"), "profile": {"inner": {2: "int key"}}},
    {"profile": {"py/tuple": [1]}},
]


@pytest.mark.parametrize("value", NESTED_NOT_PLAIN)
def test_anything_jsonpickle_would_tag_deep_inside_a_record_is_left_to_it(value: object) -> None:
    assert encode_plain(value) is None
    text = jsonpickled(value)
    if "py/" in text.replace('"py/object"', ""):  # a tag only jsonpickle reads
        assert decode_plain(text) == (False, None)


def test_a_dialog_instance_holding_a_tagged_key_is_left_to_jsonpickle() -> None:
    state = stack("main")
    state.dialog_stack[0].state["py/ref"] = 1
    assert encode_plain({"DialogState": state}) is None
    document = '{"DialogState": {"py/object": "botbuilder.dialogs.dialog_state.DialogState", "py/id": 3}}'
    assert decode_plain(document) == (False, None)


@pytest.mark.parametrize(
    "document",
    ['{"py/object": ["x"]}', '{"profile": {"py/object": {"a": 1}}}', '{"py/object": ["x"]}[]'],
)
def test_a_class_name_that_is_not_a_string_is_left_to_jsonpickle(document: str) -> None:
    """An unhashable "py/object" value (a corrupt record) must not escape as a TypeError."""
    assert decode_plain(document) == (False, None)


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_a_record_nested_near_the_recursion_limit_never_raises() -> None:
    """Whatever stack is left, the answer is the text or None (jsonpickle's to refuse), never RecursionError."""
    value: object = "x"
    for _ in range(40):
        value = [value]
    expected = jsonpickled(value)
    limit, here = sys.getrecursionlimit(), _depth()
    answers = set()
    try:
        for headroom in range(5, 140):
            try:
                sys.setrecursionlimit(here + headroom)
            except RecursionError:  # below the depth already reached (C calls count too)
                continue
            try:
                written = encode_plain(value)
            except RecursionError:
                written = "RecursionError"
            answers.add(written)
    finally:
        sys.setrecursionlimit(limit)
    assert answers == {None, expected}  # refused while too little stack was left, then written
