"""JSON form of botbuilder state items, shared by every store so they read each other's data.

botbuilder's dialog state holds objects (DialogState, DialogInstance, PromptOptions,
Activity); jsonpickle keeps their types, as botbuilder-azure's BlobStorage does. The
eTag is not part of the document: each store keeps it beside the document.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsonpickle
from jsonpickle.errors import ClassNotFoundError

from bot.storage.errors import StateSerializationError
from bot.storage.plain_state import decode_plain, encode_plain
from dialogs.state import CREATE_ONLY_ETAG, ETAG_FIELD  # the state layer's contract with every store

__all__ = ["CREATE_ONLY_ETAG", "ETAG_FIELD", "decode_item", "encode_item", "etag_of", "set_etag"]


def etag_of(item: Any) -> str | None:
    """The eTag a caller put on an item (dict key or attribute), or None."""
    if isinstance(item, Mapping):
        value = item.get(ETAG_FIELD)
    else:
        value = getattr(item, ETAG_FIELD, None)
    return None if value is None else str(value)


def set_etag(item: Any, etag: str) -> None:
    """Put the store's eTag on an item, whether it is a dict or a StoreItem-like object."""
    if isinstance(item, dict):
        item[ETAG_FIELD] = etag
    elif item is not None and not isinstance(item, (str, int, float, bool, list, tuple)):
        setattr(item, ETAG_FIELD, etag)


def encode_item(key: str, item: Any) -> str:
    """JSON text of a state item without its eTag."""
    if isinstance(item, dict):
        body: Any = {k: v for k, v in item.items() if k != ETAG_FIELD}
    elif hasattr(item, ETAG_FIELD):
        body = copy.copy(item)
        delattr(body, ETAG_FIELD)
    else:
        body = item
    plain = encode_plain(body)  # the same text, without jsonpickle's walk, for the usual records
    if plain is not None:
        return plain
    try:
        return jsonpickle.encode(body, unpicklable=True, make_refs=True)
    except (TypeError, ValueError, RecursionError) as error:
        raise StateSerializationError(key, str(error)) from error


def decode_item(key: str, document: str, etag: str) -> Any:
    """State item from its JSON text, with the store's eTag put back on it."""
    known, item = decode_plain(document)
    if known:
        set_etag(item, etag)
        return item
    try:
        item = jsonpickle.decode(document, safe=True, on_missing="error")
    except ClassNotFoundError as error:  # a BaseException in jsonpickle
        raise StateSerializationError(key, f"unknown class: {error}") from None
    except (TypeError, ValueError, AttributeError, ImportError) as error:
        raise StateSerializationError(key, str(error)) from error
    set_etag(item, etag)
    return item
