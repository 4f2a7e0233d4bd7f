"""Split text that exceeds a service's per-document limit, keeping offsets to merge back.

Azure AI Language rejects documents over 5,120 text elements. Python counts code
points, and a grapheme is at least one code point, so a piece of at most 5,120 code
points is always within the limit. Pieces are cut at a sentence end when one lies in
the window, else at whitespace, else hard at the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DOCUMENT_CHARS = 5_120

# A sentence ends at . ! ? … or their CJK/Devanagari/Arabic forms, optionally followed
# by closing quotes/brackets; the cut goes after any whitespace that follows.
_SENTENCE_END = re.compile(r"[.!?…。！？।؟][\"'”’)\]»]*\s+|[。！？]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Piece:
    """A slice of the original text: `text == original[offset:offset + len(text)]`."""

    text: str
    offset: int

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


def split_text(text: str, limit: int = MAX_DOCUMENT_CHARS) -> list[Piece]:
    """Cut `text` into pieces of at most `limit` characters that concatenate to `text`."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [Piece(text, 0)]
    pieces: list[Piece] = []
    start = 0
    while len(text) - start > limit:
        cut = _best_cut(text, start, start + limit)
        pieces.append(Piece(text[start:cut], start))
        start = cut
    pieces.append(Piece(text[start:], start))
    return pieces


def _best_cut(text: str, start: int, hard_end: int) -> int:
    """The latest good boundary in text[start:hard_end]; never returns `start`."""
    window = text[start:hard_end]
    floor = len(window) // 4  # don't make tiny pieces when a boundary exists later
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() > floor]
    if sentence_ends:
        return start + sentence_ends[-1]
    spaces = [m.end() for m in _WHITESPACE.finditer(window) if m.end() > floor]
    if spaces:
        return start + spaces[-1]
    return hard_end


def strip_edges(piece: str) -> tuple[str, str, str]:
    """(leading whitespace, core, trailing whitespace), so a translation keeps the gaps."""
    core = piece.strip()
    if not core:
        return piece, "", ""
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    return lead, core, trail
