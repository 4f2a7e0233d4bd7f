"""The JSON body of an outgoing Activity, as msrest's `Activity.serialize()` writes it, in a tenth of the time.

msrest walks every model through a generic serializer (a new Serializer per call, a
type-string dispatch per attribute, key transformers, XML checks): ~0.4 ms a reply, the
largest single cost of a turn with analysis off. This walks the same `_attribute_map`s
with a plan compiled once per class. Anything it does not know for sure (a type string,
a value of an unexpected type, a model with flattened or readonly attributes) is handed
to msrest itself, for that value or the whole activity, so the output is msrest's.
"""

from __future__ import annotations

import functools
from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Model, Serializer

_MSREST = Serializer(Activity._infer_class_models())
_PLAIN = (str, int, float, bool)


class _Unsure(Exception):
    """A value the fast path does not handle: let msrest serialise the whole activity."""


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, str, str], ...]:
    """(attribute, JSON key, msrest type) per serialised attribute of a model class."""
    plan = []
    validation = getattr(cls, "_validation", {}) or {}
    for attr, desc in cls._attribute_map.items():
        key = desc["key"]
        if not key or "." in key or "\\" in key:  # additional properties or flattening
            raise _Unsure(cls.__name__)
        if validation.get(attr, {}).get("readonly", False):
            continue
        plan.append((attr, key, desc["type"]))
    return tuple(plan)


def _model(value: Model) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for attr, key, kind in _plan(type(value)):
        item = getattr(value, attr)
        if item is None:  # msrest leaves out None
            continue
        # Plain strings, most of a reply, without a call (what _typed returns for them).
        body[key] = item if kind == "str" and type(item) is str else _typed(item, kind)
    return body


def _typed(value: Any, kind: str) -> Any:
    if kind == "str":
        if type(value) is str:
            return value
        enum_value = getattr(value, "value", None)
        if isinstance(enum_value, str):  # a str Enum (ActivityTypes, InputHints...)
            return enum_value
        raise _Unsure(kind)
    if kind == "object":
        return _object(value)
    if kind in ("bool", "int", "float"):
        if type(value).__name__ == kind:
            return value
        raise _Unsure(kind)
    if kind in ("iso-8601", "bytearray"):
        return _MSREST.serialize_data(value, kind)
    if kind.startswith("[") and kind.endswith("]"):
        if not isinstance(value, list):
            raise _Unsure(kind)
        inner = kind[1:-1]
        return [None if item is None else _typed(item, inner) for item in value]
    if kind.startswith("{") and kind.endswith("}"):
        if not isinstance(value, dict) or not all(type(key) is str for key in value):
            raise _Unsure(kind)
        inner = kind[1:-1]
        return {key: None if item is None else _typed(item, inner) for key, item in value.items()}
    if isinstance(value, Model):
        return _model(value)
    raise _Unsure(kind)


def _object(value: Any) -> Any:
    """msrest's "object": plain JSON values as they are; models and the rest via msrest."""
    kind = type(value)
    if value is None or kind in _PLAIN:
        return value
    if kind is dict and all(type(key) is str for key in value):
        return {key: _object(item) for key, item in value.items()}
    if kind is list:
        return [_object(item) for item in value]
    if isinstance(value, Model):
        return _model(value)
    return _MSREST.serialize_object(value)  # datetimes, enums, odd types: msrest decides


def activity_json(activity: Activity) -> dict[str, Any]:
    """`activity.serialize()`, the same dict, faster."""
    try:
        return _model(activity)
    except _Unsure:
        return activity.serialize()
