"""Finds and loads conversation files: `.chat` scripts and `.transcript` recordings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chatscripts.model import Conversation, ConversationError
from chatscripts.script import parse_script
from chatscripts.transcript import load_transcript

SUFFIXES = (".chat", ".transcript")


def is_conversation_file(path: Path) -> bool:
    return path.suffix in SUFFIXES


def load_conversations(path: Path, *, transcript_engines: str = "app") -> list[Conversation]:
    """Every conversation in one file (a transcript holds exactly one)."""
    if path.suffix == ".transcript":
        return [load_transcript(path, engines=transcript_engines)]
    if path.suffix == ".chat":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConversationError(str(path), 0, f"cannot read: {error}") from None
        return parse_script(text, path)
    raise ConversationError(str(path), 0, f"not a conversation file (expected {' or '.join(SUFFIXES)})")


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; directories contribute their conversation files, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and is_conversation_file(p))
        else:
            found.append(path)
    return found
