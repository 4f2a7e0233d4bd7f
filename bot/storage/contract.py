"""botbuilder's eTag contract in one place, for stores that check it in Python.

- no eTag or "*": write unconditionally (create or overwrite);
- CREATE_ONLY_ETAG: create only if nothing is stored under the key;
- any other eTag: write only if the stored item has exactly that eTag. If the item is
  gone (deleted by "delete my data"), that is a conflict too, so a stale turn cannot
  bring deleted data back.
"""

from __future__ import annotations

from bot.storage.codec import CREATE_ONLY_ETAG
from bot.storage.errors import StateConflictError


def is_unconditional(requested: str | None) -> bool:
    """True when a write with this eTag overwrites whatever is stored."""
    return requested is None or requested == "*"


def check_write(key: str, requested: str | None, current: str | None) -> None:
    """Raise StateConflictError when a write with `requested` may not replace `current`."""
    if requested == "":
        raise StateConflictError(key, "the item carries an empty eTag")
    if is_unconditional(requested):
        return
    if requested == CREATE_ONLY_ETAG:
        if current is not None:
            raise StateConflictError(key, "an item was created by another writer")
        return
    if current is None:
        raise StateConflictError(key, "the item was deleted by another writer")
    if requested != current:
        raise StateConflictError(key, f"stale eTag {requested!r}")
