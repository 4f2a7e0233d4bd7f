"""The usual state documents in jsonpickle's own format, without jsonpickle's walk.

A turn reads two records and writes one or two; jsonpickle flattening and restoring them
(a generic object walk with reference tracking) cost ~0.5 ms a turn. Nearly every record
is plain JSON (profiles) plus botbuilder's dialog stack (DialogState, DialogInstance:
plain objects). This encodes those byte for byte as `jsonpickle.encode(...,
make_refs=True)` does and decodes them into what `jsonpickle.decode` returns, with the
standard json module. Anything else (an enum, a tuple, a prompt's Activity, an object
met twice, a key jsonpickle would tag) answers None, and the caller uses jsonpickle.
"""

from __future__ import annotations

import json
import math
from typing import Any

from botbuilder.dialogs import DialogInstance, DialogState

# Classes whose instances jsonpickle writes as {"py/object": name, **vars(instance)}.
_CLASSES: dict[str, type] = {
    f"{cls.__module__}.{cls.__qualname__}": cls for cls in (DialogState, DialogInstance)
}
_NAMES = {cls: name for name, cls in _CLASSES.items()}
_TAG = "py/"


class _NotPlain(Exception):
    pass


def encode_plain(value: Any) -> str | None:
    """jsonpickle's text for `value`, or None when jsonpickle itself must write it."""
    try:
        return json.dumps(_flatten(value, set()))
    except (_NotPlain, RecursionError):
        return None


def _flatten(value: Any, seen: set[int]) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlain
        return value
    if id(value) in seen:  # met twice: jsonpickle writes a reference
        raise _NotPlain
    seen.add(id(value))
    if kind is dict:
        for key in value:
            if type(key) is not str or key.startswith(_TAG):
                raise _NotPlain
        return {key: _flatten(item, seen) for key, item in value.items()}
    if kind is list:
        return [_flatten(item, seen) for item in value]
    name = _NAMES.get(kind)
    if name is None:
        raise _NotPlain
    fields = vars(value)
    if any(type(key) is not str or key.startswith(_TAG) for key in fields):
        raise _NotPlain
    return {"py/object": name, **{key: _flatten(item, seen) for key, item in fields.items()}}


def decode_plain(document: str) -> tuple[bool, Any]:
    """(True, what jsonpickle.decode would return), or (False, None) when jsonpickle must read it."""
    try:
        return True, _restore(json.loads(document))
    except (_NotPlain, ValueError, RecursionError):
        return False, None


def _restore(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return [_restore(item) for item in value]
    if kind is not dict:
        return value
    name = value.get("py/object")
    if name is None:
        if any(key.startswith(_TAG) for key in value):
            raise _NotPlain
        return {key: _restore(item) for key, item in value.items()}
    cls = _CLASSES.get(name)
    if cls is None or any(key.startswith(_TAG) for key in value if key != "py/object"):
        raise _NotPlain
    instance = cls.__new__(cls)
    for key, item in value.items():
        if key != "py/object":
            setattr(instance, key, _restore(item))
    return instance
