"""The botbuilder Activity of a parsed JSON body, as msrest's `Activity.deserialize()` builds it, in a fraction of the time.

msrest's Deserializer is generic: every call rebuilds its class table from the module,
and for each of Activity's 41 attributes it copies the attribute's description, runs
two key extractors and dispatches on the type string (0.2-0.3 ms an activity, 8 % of a
turn's CPU). This reads the same `_attribute_map`s through a plan compiled once per
class, walking only the keys the body has. It builds what msrest builds: the same
models through the same constructors, `object` values copied, unknown keys kept raw in
`additional_properties` (in msrest's order), timestamps as isodate parses them.

Whatever it is not sure of (a value not of the plain JSON type the map expects, which
msrest would coerce or refuse; a type string, a model shape or a timestamp form it
does not know) hands the whole body to msrest, so the result, or the error, is msrest's.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from botbuilder.schema import Activity
from isodate.tzinfo import UTC, FixedOffset
from msrest.serialization import Model

# What msrest resolves the type strings of Activity's attribute maps against.
_MODELS: dict[str, type] = Activity._infer_class_models()

Reader = Callable[[Any], Any]


class _Unsure(Exception):
    """A value the fast path does not handle: let msrest deserialise the whole body."""


def _unsure(_value: Any) -> Any:
    raise _Unsure


def _exact(kind: type) -> Reader:
    """msrest's str/bool/int/float: a value already of that type is kept as is; others it converts."""

    def read(value: Any) -> Any:
        if type(value) is not kind:
            raise _Unsure(kind.__name__)
        return value

    return read


def _object(value: Any) -> Any:
    """msrest's "object": JSON containers copied, scalars kept."""
    kind = type(value)
    if kind is dict:
        return {key: _object(item) for key, item in value.items()}
    if kind is list:
        return [_object(item) for item in value]
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    raise _Unsure(kind.__name__)  # msrest raises TypeError for anything else


# What isodate reads through msrest's `deserialize_iso` in one step; other forms go to msrest.
_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|([+-])([0-9]{2})(?::?([0-9]{2}))?)?"
)


def _iso(value: Any) -> dt.datetime:
    """msrest's iso-8601: isodate's datetime, its UTC or FixedOffset tzinfo, fractions cut to microseconds."""
    if type(value) is not str:
        raise _Unsure("iso-8601")
    match = _ISO.fullmatch(value)
    if match is None:
        raise _Unsure(value)
    year, month, day, hour, minute, second, fraction, zone, sign, zone_hours, zone_minutes = match.groups()
    if zone is None:
        tzinfo = None
    elif zone == "Z":
        tzinfo = UTC
    else:
        factor = -1 if sign == "-" else 1
        tzinfo = FixedOffset(factor * int(zone_hours), factor * int(zone_minutes or 0), zone)
    try:
        parsed = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                             int(fraction[:6].ljust(6, "0")) if fraction else 0, tzinfo)
        in_range = 1 <= parsed.utctimetuple().tm_year <= 9999  # msrest's check (this raises first, today)
    except (ValueError, OverflowError):
        raise _Unsure(value) from None
    if not in_range:
        raise _Unsure(value)
    return parsed


def _list(item: Reader) -> Reader:
    def read(value: Any) -> list[Any]:
        if type(value) is not list:  # msrest also takes a set, and fails on the rest
            raise _Unsure("list")
        return [None if element is None else item(element) for element in value]

    return read


def _dict(item: Reader) -> Reader:
    def read(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:  # msrest also reads a list of {"key", "value"} pairs
            raise _Unsure("dict")
        return {key: None if element is None else item(element) for key, element in value.items()}

    return read


def _reader(kind: str) -> Reader:
    """The reader of one msrest type string; `_unsure` for any it does not know."""
    if kind == "str":
        return _exact(str)
    if kind in ("bool", "int", "float"):
        return _exact({"bool": bool, "int": int, "float": float}[kind])
    if kind == "object":
        return _object
    if kind == "iso-8601":
        return _iso
    if len(kind) > 2 and kind[0] + kind[-1] == "[]":
        return _list(_reader(kind[1:-1]))
    if len(kind) > 2 and kind[0] + kind[-1] == "{}":
        return _dict(_reader(kind[1:-1]))
    model = _MODELS.get(kind)
    if isinstance(model, type) and issubclass(model, Model):
        return functools.partial(_model, model)
    return _unsure  # bytearray, enums, durations...


class _Plan:
    """How to build one model class: its attributes by JSON key, and the keys msrest knows."""

    def __init__(self, cls: type[Model]) -> None:
        self.cls = cls
        self.sure = _plain_model(cls)
        attributes = cls._attribute_map
        # msrest passes every attribute to the constructor, None when the body lacks it.
        self.template: dict[str, Any] = dict.fromkeys(attributes)
        self.known = {desc["key"] for desc in attributes.values()}
        # (attribute, reader); reader None: a str, checked inline (most attributes are).
        self.fields: dict[str, tuple[str, Reader | None]] = {}
        if self.sure:
            for attr, desc in attributes.items():
                self.fields[desc["key"]] = (attr, None if desc["type"] == "str" else _reader(desc["type"]))


def _plain_model(cls: type[Model]) -> bool:
    """No polymorphism, readonly or constant attributes, flattened or empty keys: msrest's plain path."""
    validation = getattr(cls, "_validation", None) or {}
    if cls.__dict__.get("_subtype_map") or any(
            rule.get("readonly") or rule.get("constant") for rule in validation.values()):
        return False
    return all(
        attr != "additional_properties" and desc["key"] and "." not in desc["key"] and "\\" not in desc["key"]
        for attr, desc in cls._attribute_map.items()
    )


@functools.cache
def _plan(cls: type[Model]) -> _Plan:
    return _Plan(cls)


def _model(cls: type[Model], data: Any) -> Model:
    if type(data) is not dict:
        raise _Unsure(cls.__name__)
    plan = _plan(cls)
    if not plan.sure:
        raise _Unsure(cls.__name__)
    fields = plan.fields
    kwargs = plan.template.copy()
    extra = False
    for key, raw in data.items():
        field = fields.get(key)
        if field is None:
            extra = True
        elif raw is not None:
            attr, read = field
            if read is None:
                if type(raw) is not str:
                    raise _Unsure(key)
                kwargs[attr] = raw
            else:
                kwargs[attr] = read(raw)
    try:
        model = cls(**kwargs)
    except TypeError:  # msrest turns this into a DeserializationError
        raise _Unsure(cls.__name__) from None
    if extra:
        # msrest's own expression, so the dict iterates in msrest's (set) order.
        model.additional_properties = {key: data[key] for key in set(data.keys()) - plan.known}
    return model


def fast_activity(payload: Any) -> Activity | None:
    """The Activity msrest would build from `payload`, or None where only msrest knows."""
    try:
        return _model(Activity, payload)
    except (_Unsure, RecursionError):
        return None


def deserialize_activity(payload: Any) -> Activity:
    """`Activity.deserialize(payload)`: the same model, or the same error, faster."""
    activity = fast_activity(payload)
    return activity if activity is not None else Activity.deserialize(payload)
