"""Recording: every conversation the bot holds is written as an Emulator-style `.transcript`.

`install_transcript_logging(adapter, directory)` adds botbuilder's
TranscriptLoggerMiddleware with a file store: one JSON array of activities per
conversation, `<directory>/<channel>/<conversation>.transcript`, which
`python -m bot.conversations run` and the pytest plugin replay. Transcripts hold the
users' message text: turn recording on only where that is acceptable. "Delete my data"
deletes the conversation's file (`FileTranscriptStore.erase`, registered as a BotState
eraser), and the rest of that turn is not recorded.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from botbuilder.core import BotAdapter, TranscriptLoggerMiddleware, TurnContext
from botbuilder.core.transcript_logger import PagedResult, TranscriptInfo, TranscriptStore
from botbuilder.schema import Activity, ActivityEventNames, ActivityTypes, ChannelAccount, ResourceResponse

from bot.activity_reader import deserialize_activity

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SUFFIX = ".transcript"


def safe_name(value: str) -> str:
    """A file-system-safe name for a channel or conversation id (e.g. "abc|livechat" -> "abc_livechat")."""
    return _UNSAFE.sub("_", value).strip("._") or "unknown"


class FileTranscriptStore(TranscriptStore):
    """Appends activities to one `.transcript` JSON array per conversation (one process per directory)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._locks: dict[Path, asyncio.Lock] = {}
        self._erasures: dict[Path, int] = {}  # how often each file was erased, for the recorder

    def path_for(self, channel_id: str, conversation_id: str) -> Path:
        return self.directory / safe_name(channel_id or "unknown") / f"{safe_name(conversation_id)}{SUFFIX}"

    async def log_activity(self, activity: Activity) -> None:
        if activity is None or activity.conversation is None:
            raise TypeError("log_activity needs an activity with a conversation")
        path = self.path_for(activity.channel_id or "", activity.conversation.id or "")
        record = _as_json(activity)
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            await asyncio.to_thread(_append, path, record)

    async def get_transcript_activities(
        self,
        channel_id: str,
        conversation_id: str,
        continuation_token: str | None = None,
        start_date: dt.datetime | None = None,
    ) -> PagedResult:
        path = self.path_for(channel_id, conversation_id)
        records = await asyncio.to_thread(_read, path)
        result = PagedResult()
        result.items = [deserialize_activity(record) for record in records]
        if start_date is not None:
            since = start_date if start_date.tzinfo else start_date.replace(tzinfo=dt.UTC)
            result.items = [a for a in result.items if a.timestamp is None or a.timestamp >= since]
        return result

    async def list_transcripts(self, channel_id: str, continuation_token: str | None = None) -> PagedResult:
        folder = self.directory / safe_name(channel_id)
        files = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
        result = PagedResult()
        result.items = [
            TranscriptInfo(channel_id, dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC), p.stem) for p in files
        ]
        return result

    async def delete_transcript(self, channel_id: str, conversation_id: str) -> None:
        path = self.path_for(channel_id, conversation_id)
        self._erasures[path] = self._erasures.get(path, 0) + 1
        async with self._locks.setdefault(path, asyncio.Lock()):  # not while an append is half-done
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def erase(self, channel_id: str, conversation_id: str, user_id: str) -> None:
        """A BotState eraser: "delete my data" deletes this conversation's recording.

        The file holds every user's messages of the conversation (in a group chat, other
        people's too); the user's other conversations keep their own files.
        """
        await self.delete_transcript(channel_id, conversation_id)

    def erasures(self, channel_id: str, conversation_id: str) -> int:
        """How many times this conversation's recording was erased (a turn compares before and after)."""
        return self._erasures.get(self.path_for(channel_id, conversation_id), 0)


class RecordingMiddleware(TranscriptLoggerMiddleware):
    """botbuilder's TranscriptLoggerMiddleware, recording each reply once, as it reaches the channel.

    The stock middleware queues what passes its send hook and writes at the end of its
    own turn, so a middleware that holds replies until the end of the turn (the
    translating pipeline) makes replies either pass twice (logger outside it) or arrive
    after the write (logger inside it). Installed last, this one records every reply the
    moment it is really sent.
    """

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        incoming = context.activity
        erased = self._erasures_of(incoming)
        if incoming is not None and not (
            incoming.type == ActivityTypes.event and incoming.name == ActivityEventNames.continue_conversation
        ):
            record = copy.copy(incoming)
            record.from_property = copy.copy(incoming.from_property) or ChannelAccount()
            record.from_property.role = record.from_property.role or "user"
            await self.logger.log_activity(record)

        async def on_send(
            ctx: TurnContext, activities: list[Activity], next_send: Callable[[], Awaitable[list[ResourceResponse]]]
        ) -> list[ResourceResponse]:
            responses = await next_send()
            if self._erasures_of(incoming) != erased:
                return responses  # "delete my data" erased the recording during this turn: keep it erased
            for index, activity in enumerate(activities):
                record = copy.copy(activity)
                if responses and index < len(responses) and responses[index] and responses[index].id:
                    record.id = responses[index].id
                await self.logger.log_activity(record)
            return responses

        context.on_send_activities(on_send)
        await logic()

    def _erasures_of(self, activity: Activity | None) -> int:
        if activity is None or activity.conversation is None or not isinstance(self.logger, FileTranscriptStore):
            return 0
        return self.logger.erasures(activity.channel_id or "", activity.conversation.id or "")


def install_transcript_logging(adapter: BotAdapter, directory: Path) -> FileTranscriptStore:
    """Record every conversation through `adapter` into `directory` (created if missing).

    Call it after every other `adapter.use(...)`: the recorder should sit closest to the
    channel, so it records what was really sent (translated, once).
    """
    Path(directory).mkdir(parents=True, exist_ok=True)
    store = FileTranscriptStore(Path(directory))
    adapter.use(RecordingMiddleware(store))
    return store


def _as_json(activity: Activity) -> dict[str, Any]:
    """The activity as the Emulator saves it; outgoing activities get the bot role and a timestamp."""
    record = activity.serialize()
    sender = record.setdefault("from", {})
    sender.setdefault("role", "bot")  # the middleware marks incoming activities "user" already
    record.setdefault("timestamp", dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"))
    return record


def _append(path: Path, record: dict[str, Any]) -> None:
    """Add one element to the file's JSON array without rewriting what is there."""
    text = json.dumps(record, ensure_ascii=False, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.stat().st_size == 0:
        path.write_text(f"[\n{text}\n]\n", encoding="utf-8")
        return
    with path.open("r+b") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        # Step back over the closing bracket (and the whitespace after it).
        back = min(end, 64)
        handle.seek(end - back)
        tail = handle.read(back)
        bracket = tail.rstrip().rfind(b"]")
        if bracket < 0:
            raise ValueError(f"{path} is not a transcript written by this store (no closing ']')")
        handle.seek(end - back + bracket)
        handle.truncate()
        handle.write(f",\n{text}\n]\n".encode())


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))
