"""The `.chat` script format: `user:` / `bot:` lines, readable by anyone who reads chats.

    # comments start with '#'
    title: Greets in Spanish            (names the test; default: file name)
    language: es                        (locale of the user's activities from here on)
    engine: sentiment "odio esto" -> negative 0.95
    join                                (the user opens the chat: conversationUpdate)
    user: hola
    bot: ~ /hola|bienvenid/i            (regular expression, searched)
    bot: You said: hola                 (exact text, whitespace-forgiving)
    bot: card "Analysis"                (a card whose title / first TextBlock is this)
      suggested "Analyze a text"        (indented: more checks on the same activity)
    bot: ...                            (any number of further bot activities)
    ---                                 (another conversation in the same file)

The full grammar is in docs/testing-dialogs.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatscripts.checks import (
    CardCheck,
    EventCheck,
    SuggestedCheck,
    TextCheck,
    TextMatcher,
    TypeCheck,
)
from chatscripts.model import (
    BotStep,
    Check,
    Conversation,
    ConversationError,
    EngineStep,
    Step,
    UserStep,
)

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_REGEX = re.compile(r"^/(.*)/([ims]*)$", re.DOTALL)
_ENGINE = re.compile(
    r'^(?P<cap>language|sentiment|translate|translation|safety)\s+'
    r'(?:"(?P<text>(?:[^"\\]|\\.)*)"\s*(?:->|=>)\s*(?P<rest>.+)|(?P<switch>down|up|fails|works))$',
    re.IGNORECASE,
)
_CAPABILITY = {"translation": "translate"}
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_ENGINE_MODES = ("fake", "app")
_KEYS = frozenset({"user", "bot", "engine", "title", "language", "locale", "engines"})


def parse_script(text: str, source: Path | str = "<script>") -> list[Conversation]:
    """Every conversation in a `.chat` text (separated by `---` lines)."""
    path = Path(source)
    conversations: list[Conversation] = []
    builder = _Builder(path, default_name=path.stem)
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() == "---":
            conversations.extend(builder.finish())
            builder = _Builder(path, default_name=f"{path.stem}#{len(conversations) + 1}")
            continue
        builder.feed(raw, number)
    conversations.extend(builder.finish())
    if not conversations:
        raise ConversationError(str(path), 0, "no conversation in this file (no user: or join line)")
    if len({c.name for c in conversations}) != len(conversations):
        raise ConversationError(str(path), 0, "two conversations in this file have the same title")
    return conversations


@dataclass
class _Builder:
    """Accumulates the lines of one conversation."""

    path: Path
    default_name: str
    title: str = ""
    locale: str | None = None
    first_locale: str | None = None
    engines: str = "fake"
    steps: list[Step] = field(default_factory=list)
    open_bot: tuple[int, str, list[Check]] | None = None  # a bot line still taking continuations

    def error(self, line: int, message: str) -> ConversationError:
        return ConversationError(str(self.path), line, message)

    def feed(self, raw: str, number: int) -> None:
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            return
        key, colon, value = stripped.partition(":")
        key, value = key.strip().lower(), value.strip()
        if raw[:1].isspace() and self.open_bot is not None and key not in _KEYS:
            self.open_bot[2].extend(self._checks(stripped, number))
            return
        self._close_bot()
        if stripped.lower() in ("join", "user joins"):
            self._user({"type": "conversationUpdate", "membersAdded": ["$bot", "$user"]}, number, "join")
        elif not colon:
            raise self.error(number, f"expected 'user:', 'bot:', 'join' or a setting, got {stripped!r}")
        elif key == "user":
            self._user_line(value, number)
        elif key == "bot":
            self._bot_line(value, number)
        elif key == "engine":
            self.steps.append(self._engine(value, number))
        elif key == "title":
            self.title = value
        elif key in ("language", "locale"):
            self.locale = value or None
            if not any(isinstance(s, UserStep) for s in self.steps):
                self.first_locale = self.locale
        elif key == "engines":
            if value.lower() not in _ENGINE_MODES:
                raise self.error(number, f"engines: expected one of {', '.join(_ENGINE_MODES)}, got {value!r}")
            self.engines = value.lower()
        else:
            raise self.error(number, f"unknown line {key!r}: use user:, bot:, engine:, language:, title: or join")

    def finish(self) -> list[Conversation]:
        self._close_bot()
        if not any(isinstance(s, UserStep) for s in self.steps):
            if self.steps:
                raise self.error(self.steps[0].line, "a conversation needs at least one user: or join line")
            return []
        first = next(s for s in self.steps if isinstance(s, (UserStep, BotStep)))
        if isinstance(first, BotStep):
            raise self.error(first.line, "bot: lines must follow a user: or join line")
        name = self.title or self.default_name
        return [Conversation(name, self.path, tuple(self.steps), self.first_locale, self.engines)]

    def _user(self, activity: dict[str, Any], number: int, label: str) -> None:
        if self.locale:
            activity = {**activity, "locale": self.locale}
        self.steps.append(UserStep(activity, number, label))

    def _user_line(self, value: str, number: int) -> None:
        if value.lower().startswith("submit ") or value.lower() == "submit":
            payload = value[len("submit") :].strip() or "{}"
            try:
                data = json.loads(payload)
            except json.JSONDecodeError as error:
                raise self.error(number, f"user: submit needs a JSON object: {error}") from None
            self._user({"type": "message", "value": data}, number, f"user: submit {payload}")
            return
        text = _unquote(value).replace("\\n", "\n")
        self._user({"type": "message", "text": text}, number, f"user: {value}")

    def _bot_line(self, value: str, number: int) -> None:
        if value in ("...", "…"):
            self.steps.append(BotStep((), number, "bot: ...", wildcard=True))
            return
        self.open_bot = (number, f"bot: {value}", list(self._checks(value, number)))

    def _close_bot(self) -> None:
        if self.open_bot is None:
            return
        number, label, checks = self.open_bot
        self.open_bot = None
        if not any(isinstance(c, (TypeCheck, EventCheck)) for c in checks):
            checks.insert(0, TypeCheck("message"))
        extra = len(checks) - 2
        shown = label if extra <= 0 else f"{label} (+{extra} more)"
        self.steps.append(BotStep(tuple(checks), number, shown))

    def _checks(self, value: str, number: int) -> list[Check]:
        """One assertion from the text after `bot:` (or on an indented continuation line)."""
        lowered = value.lower()
        if not value:
            raise self.error(number, "bot: needs an expectation (text, ~ regex, card, suggested, ...)")
        if value.startswith("~"):
            return [TextCheck(self._matcher(value, number))]
        if lowered == "card" or re.match(r"card\s*[\"~]", lowered):
            rest = value[4:].strip()
            return [CardCheck(self._matcher(rest, number) if rest else None)]
        if re.match(r"suggested\s*:?\s*\"", lowered):
            titles = tuple(_unescape(t) for t in _QUOTED.findall(value))
            return [SuggestedCheck(titles)]
        if re.match(r"event\s+\S+$", lowered):
            return [EventCheck(value.split()[1])]
        if re.match(r"type\s+\w+$", lowered):
            return [TypeCheck(value.split()[1])]
        if re.match(r"text\s*[\"~]", lowered):
            return [TextCheck(self._matcher(value[4:].strip(), number))]
        return [TextCheck(TextMatcher(exact=_unquote(value)))]

    def _matcher(self, value: str, number: int) -> TextMatcher:
        """`"exact"`, `~ regex` or `~ /regex/flags`."""
        if not value.startswith("~"):
            return TextMatcher(exact=_unquote(value))
        body = value[1:].strip()
        flags = 0
        slashed = _REGEX.match(body)
        if slashed:
            body = slashed.group(1)
            for letter in slashed.group(2):
                flags |= _FLAGS[letter]
        try:
            return TextMatcher(pattern=re.compile(body, flags))
        except re.error as error:
            raise self.error(number, f"bad regular expression {body!r}: {error}") from None

    def _engine(self, value: str, number: int) -> EngineStep:
        match = _ENGINE.match(value.strip())
        if match is None:
            raise self.error(
                number,
                'engine: expected e.g. sentiment "text" -> negative 0.9, language "text" -> es, '
                'translate "text" -> en "translation", safety "text" -> flagged, or sentiment down',
            )
        capability = _CAPABILITY.get(match["cap"].lower(), match["cap"].lower())
        label = f"engine: {value.strip()}"
        if match["switch"]:
            outcome = "down" if match["switch"].lower() in ("down", "fails") else "up"
            return EngineStep(capability, None, outcome, None, number, label)
        text = _unescape(match["text"])
        rest = match["rest"].strip()
        if rest.lower() in ("error", "fails"):
            return EngineStep(capability, text, "error", None, number, label)
        if capability == "translate":
            translated = re.match(r'^(?:(?P<to>[a-zA-Z-]{2,7})\s+)?"(?P<out>(?:[^"\\]|\\.)*)"$', rest)
            if translated is None:
                raise self.error(number, 'engine: translate "text" -> LANG "translation" (LANG defaults to en)')
            return EngineStep(
                capability, text, _unescape(translated["out"]), None, number, label, (translated["to"] or "en")
            )
        if capability == "safety":
            if rest.lower() not in ("flagged", "distress"):
                raise self.error(number, 'engine: safety "text" -> flagged')
            return EngineStep(capability, text, "flagged", None, number, label)
        parts = rest.split()
        score = None
        if len(parts) == 2:
            try:
                score = float(parts[1])
            except ValueError:
                raise self.error(number, f"engine: score must be a number, got {parts[1]!r}") from None
        elif len(parts) != 1:
            raise self.error(number, f"engine: expected '-> LABEL [SCORE]', got {rest!r}")
        outcome = parts[0].lower()
        if capability == "sentiment" and outcome not in ("positive", "negative", "neutral", "mixed"):
            raise self.error(number, f"engine: sentiment label must be positive|negative|neutral|mixed, got {outcome!r}")
        return EngineStep(capability, text, outcome, score, number, label)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _unescape(value[1:-1])
    return value
