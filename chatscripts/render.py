"""Renders an outcome as the expected and actual conversation side by side."""

from __future__ import annotations

from chatscripts.checks import shorten
from chatscripts.model import Outcome, Row

MARKS = {"user": " ", "engine": " ", "ok": "=", "any": "~", "note": "!", "differs": "X", "missing": "-", "extra": "+"}
LEGEND = "= matches   ~ bot: ... absorbed it   X differs   - expected but not sent   + sent but not expected"


def render(outcome: Outcome, *, width: int = 46, full: bool = False) -> str:
    """A readable report: a header, the two columns, then each failure's reasons in full."""
    conversation = outcome.conversation
    where = "activity" if conversation.source.suffix == ".transcript" else "line"
    failures = outcome.failures
    if outcome.passed:
        head = f"PASS {conversation.name} ({conversation.source})"
    else:
        what = outcome.error or f"{len(failures)} of {_bot_rows(outcome)} bot activities did not match"
        head = f"FAIL {conversation.name} ({conversation.source}): {what}"
    lines = [head, "", f"{where:>8} | {'expected':<{width}} |   | actual"]
    lines.append(f"{'-' * 8}-+-{'-' * width}-+---+-{'-' * width}")
    for row in outcome.rows:
        lines.append(_row(row, width, full))
    if failures:
        lines += ["", LEGEND, ""]
        for row in failures:
            at = f"{where} {row.line}" if row.line else "after the turn"
            for detail in row.details:
                lines.append(f"  {at}: {detail}")
    return "\n".join(lines)


def _row(row: Row, width: int, full: bool) -> str:
    number = str(row.line) if row.line and row.expected else ""
    actual = row.actual if full else shorten(row.actual, width)
    return f"{number:>8} | {shorten(row.expected, width):<{width}} | {MARKS[row.status]} | {actual}"


def _bot_rows(outcome: Outcome) -> int:
    return sum(1 for row in outcome.rows if row.status in ("ok", "differs", "missing", "extra"))
