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
        _check(value, set())
        # Checked: only exact dicts (str keys), lists, str, int, bool, None, finite floats and the
        # two dialog classes are left, each met once, which json writes as jsonpickle does.
        # json's encoder takes a few frames more than the walk: near the limit it can still recurse too deep.
        return json.dumps(value, default=_tagged)
    except (_NotPlain, RecursionError):
        return None


def _check(value: Any, seen: set[int]) -> None:
    """Raise _NotPlain unless `value` is what `_tagged` and json write as jsonpickle does.

    Strings, ints, bools and None, most of a record, are passed over without a call.
    """
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlain
        return
    if id(value) in seen:  # met twice: jsonpickle writes a reference
        raise _NotPlain
    seen.add(id(value))
    if kind is dict:
        items: Any = value.items()
    elif kind is list:
        items = enumerate(value)
    elif kind in _NAMES:
        items = vars(value).items()
    else:
        raise _NotPlain
    for key, item in items:
        if kind is not list and (type(key) is not str or key.startswith(_TAG)):
            raise _NotPlain
        item_kind = type(item)
        if item is None or item_kind is str or item_kind is bool or item_kind is int:
            continue
        _check(item, seen)


def _tagged(value: Any) -> dict[str, Any]:
    """json's `default` for the dialog classes: jsonpickle's {"py/object": name, **vars}."""
    return {"py/object": _NAMES[type(value)], **vars(value)}


def decode_plain(document: str) -> tuple[bool, Any]:
    """(True, what jsonpickle.decode would return), or (False, None) when jsonpickle must read it."""
    try:
        return True, json.loads(document, object_hook=_restore)
    except (_NotPlain, ValueError, RecursionError):
        return False, None


def _restore(value: dict[str, Any]) -> Any:
    """json's object hook: each object, its values already restored, as jsonpickle returns it."""
    name = value.get("py/object")
    if name is None:
        for key in value:
            if key.startswith(_TAG):
                raise _NotPlain
        return value
    # Only a known class name: any other value (a list is unhashable) is jsonpickle's to refuse.
    cls = _CLASSES.get(name) if type(name) is str else None
    if cls is None:
        raise _NotPlain
    instance = cls.__new__(cls)
    for key, item in value.items():
        if key != "py/object":
            if key.startswith(_TAG):
                raise _NotPlain
            setattr(instance, key, item)
    return instance
