"""Splitting long text under the 5,120-character document limit, losslessly."""

from __future__ import annotations

import pytest

from adapters.text_limits import MAX_DOCUMENT_CHARS, split_text, strip_edges


def test_short_text_is_one_piece() -> None:
    [piece] = split_text("Hello there.")

    assert (piece.text, piece.offset) == ("Hello there.", 0)


@pytest.mark.parametrize(
    "text",
    [
        "One sentence here. " * 800,
        "word " * 3000,
        "x" * 12_000,
        "これは文です。" * 2000,
        ("Mixed: ¿qué tal? Très bien! " * 300) + "tail",
    ],
)
def test_pieces_fit_and_concatenate_to_the_original(text: str) -> None:
    pieces = split_text(text)

    assert len(pieces) > 1
    assert all(0 < len(p.text) <= MAX_DOCUMENT_CHARS for p in pieces)
    assert "".join(p.text for p in pieces) == text
    assert all(text[p.offset : p.end] == p.text for p in pieces)


def test_cuts_prefer_sentence_ends() -> None:
    text = ("A short sentence here. " * 300) + ("nospace" * 500)

    pieces = split_text(text, limit=1000)

    assert pieces[0].text.endswith(". ")


def test_cuts_fall_back_to_whitespace() -> None:
    pieces = split_text("word " * 400, limit=103)

    assert all(p.text.endswith(" ") for p in pieces[:-1])


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_text("abc", limit=0)


def test_strip_edges_keeps_the_gaps() -> None:
    assert strip_edges("  hello world \n") == ("  ", "hello world", " \n")
    assert strip_edges("   ") == ("   ", "", "")
