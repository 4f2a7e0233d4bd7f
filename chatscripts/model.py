"""The conversation model both file formats load into, and what a replay produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# Activity types the bot may send that no assertion is about (noise in a conversation).
IGNORED_REPLY_TYPES = frozenset({"typing", "trace"})


class ConversationError(ValueError):
    """A conversation file that cannot be read: names the file and line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line


class Check(Protocol):
    """One thing an expected bot activity must satisfy."""

    def describe(self) -> str:
        """How the check reads in the script (for the diff)."""
        ...

    def mismatch(self, activity: dict[str, Any]) -> str | None:
        """None when the activity satisfies the check, else why not (one line)."""
        ...


@dataclass(frozen=True)
class UserStep:
    """Something the user (or the channel) sends: a partial activity as JSON."""

    activity: dict[str, Any]
    line: int
    label: str


@dataclass(frozen=True)
class BotStep:
    """The next bot activity must pass every check; `wildcard` matches any number of activities."""

    checks: tuple[Check, ...]
    line: int
    label: str
    wildcard: bool = False

    def mismatches(self, activity: dict[str, Any]) -> list[str]:
        return [reason for check in self.checks if (reason := check.mismatch(activity)) is not None]


@dataclass(frozen=True)
class EngineStep:
    """Scripts a fake engine from this point of the conversation on."""

    capability: str  # language | sentiment | translate | safety
    text: str | None  # None: the whole engine (down/up)
    outcome: str  # language code, sentiment label, translation, "error", "down", "up", "flagged"
    score: float | None
    line: int
    label: str
    target: str = "en"  # translation target


Step = UserStep | BotStep | EngineStep


@dataclass(frozen=True)
class Conversation:
    """One conversation to replay: where it came from and its steps in order."""

    name: str
    source: Path
    steps: tuple[Step, ...]
    locale: str | None = None
    engines: str = "fake"  # fake: scripted fakes | app: the engines the app's settings choose


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side report."""

    expected: str
    status: str  # "user" | "engine" | "note" | "ok" | "any" | "differs" | "missing" | "extra"
    actual: str
    line: int = 0
    details: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status in ("differs", "missing", "extra")


@dataclass(frozen=True)
class Outcome:
    """What replaying a conversation gave: every row, and whether it passed."""

    conversation: Conversation
    rows: tuple[Row, ...] = field(default_factory=tuple)
    error: str = ""  # the run itself failed (bot unreachable, HTTP error...)
    turns: tuple[Any, ...] = ()  # compare.Turn per user step (and notes), for drafting a script

    @property
    def passed(self) -> bool:
        return not self.error and not any(row.failed for row in self.rows)

    @property
    def failures(self) -> list[Row]:
        return [row for row in self.rows if row.failed]
