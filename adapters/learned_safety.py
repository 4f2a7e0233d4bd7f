"""A learned offline distress detector: a small neural head over the multilingual-e5-small embedding.

The lexicon knows only the phrases it lists; people in distress rarely use them
("I've stockpiled enough pills", "Ya no quiero despertar"). A one-hidden-layer head over
the same multilingual-e5 sentence embedding the sentiment engine computes reads meaning,
in all 24 languages, so paraphrases it never saw still land near the ones it did.

Cost: the sentiment engine's embedding of the same text is reused from a small
shared cache, so a turn pays only the head (two small matrix products). When sentiment did
not embed the text (its fast stage was sure, or analysis is off), a hashed n-gram
gate decides first: only texts it cannot clear are embedded. The gate's threshold
is set for recall (cross-validated on the training split), so it only saves work.
The weights (adapters/models/safety_head.npz) are written by bench/train_safety.py.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adapters.contracts import SafetyResult
from adapters.embedding_cache import EmbeddingCache
from adapters.executor import BoundedExecutor
from adapters.fast_sentiment import feature_indices
from adapters.local_sentiment import MAX_EMBED_CHARS, embedding_text

SAFETY_HEAD_PATH = Path(__file__).resolve().parent / "models" / "safety_head.npz"
Embed = Callable[[list[str]], np.ndarray]
EmbedAsync = Callable[[list[str]], Awaitable[np.ndarray]]
# Texts up to this many characters are prepared and gated on the event loop (well under
# a millisecond); longer ones in the executor. The embedding itself never runs on the loop.
INLINE_CHAR_BUDGET = 200


@dataclass(frozen=True)
class SafetyHead:
    """The embedding head (distress and third-party) and the n-gram gate, with their thresholds."""

    mean: np.ndarray  # (dim,) standardisation of the embedding
    scale: np.ndarray  # (dim,)
    hidden_weights: np.ndarray  # (dim, hidden), ReLU
    hidden_bias: np.ndarray  # (hidden,)
    weights: np.ndarray  # (hidden,)
    bias: float
    threshold: float  # probability at or above which a text is flagged
    other_weights: np.ndarray  # (dim,) third party vs. the writer themself, among flagged texts
    other_bias: float
    gate_weights: np.ndarray  # (2**gate_bits,)
    gate_bias: float
    gate_bits: int
    gate_threshold: float  # below this gate probability a text is cleared without an embedding
    query_prefix: bool

    @classmethod
    def load(cls, path: Path = SAFETY_HEAD_PATH) -> SafetyHead:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                mean=np.asarray(data["mean"], dtype=np.float32),
                scale=np.asarray(data["scale"], dtype=np.float32),
                hidden_weights=np.asarray(data["hidden_weights"], dtype=np.float32),
                hidden_bias=np.asarray(data["hidden_bias"], dtype=np.float32),
                weights=np.asarray(data["weights"], dtype=np.float32),
                bias=float(data["bias"]),
                threshold=float(data["threshold"]),
                other_weights=np.asarray(data["other_weights"], dtype=np.float32),
                other_bias=float(data["other_bias"]),
                gate_weights=np.asarray(data["gate_weights"], dtype=np.float32),
                gate_bias=float(data["gate_bias"]),
                gate_bits=int(data["gate_bits"]),
                gate_threshold=float(data["gate_threshold"]),
                query_prefix=bool(data["query_prefix"]),
            )

    def probability(self, vector: np.ndarray) -> float:
        """Distress probability from the embedding."""
        hidden = np.maximum(((vector - self.mean) / self.scale) @ self.hidden_weights + self.hidden_bias, 0.0)
        return _sigmoid(float(hidden @ self.weights) + self.bias)

    def about_someone_else(self, vector: np.ndarray) -> bool:
        return _sigmoid(float(vector @ self.other_weights) + self.other_bias) >= 0.5

    def gate_logit(self, prepared: str) -> float:
        """The n-gram model's distress logit (features L2-normalised like in training)."""
        indices = feature_indices(prepared, self.gate_bits)
        if indices.size == 0:
            return self.gate_bias
        return float(self.gate_weights[indices].sum()) / float(np.sqrt(indices.size)) + self.gate_bias

    def gate_clears(self, prepared: str) -> bool:
        """True when the gate clears the text: it need not be embedded."""
        return _sigmoid(self.gate_logit(prepared)) < self.gate_threshold


_TO_EMBED = np.zeros(0, dtype=np.float32)  # a marker: the window must be embedded


_LOGIT_BOUND = 40.0  # beyond it the probability is 0 or 1 to within 4e-18, and exp cannot overflow


def _sigmoid(value: float) -> float:
    """The logistic function of one Python float, with `math.exp`.

    numpy's ufuncs on a scalar cost ~9 us a call and a turn makes one to three calls;
    this costs ~0.3 us. It is numpy's formula to the bit (tests/adapters/test_learned_safety.py,
    NaN included); the exp is the C library's, which numpy's float64 exp is too except on
    AVX-512 CPUs, where numpy's own can differ in the last bit.
    """
    bounded = min(max(value, -_LOGIT_BOUND), _LOGIT_BOUND)
    return 1.0 / (1.0 + math.exp(-bounded))


class LearnedSafetyChecker:
    """`SafetyChecker` on the safety head; embeddings borrowed from the sentiment engine when it has them."""

    name = "learned"

    def __init__(
        self,
        embed: Embed,
        *,
        cache: EmbeddingCache | None = None,
        head: SafetyHead | None = None,
        executor: BoundedExecutor | None = None,
        prepare: Callable[[str], str] | None = None,
        embed_async: EmbedAsync | None = None,
        warm: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        from adapters.local_sentiment import prepare_text

        self._embed = embed
        # The sentiment engine's batched encoder (adapters/encoder_batch.py), when there is one.
        self._embed_async = embed_async
        self._warm = warm  # loads the encoder when this engine has one of its own (analysis off)
        self._cache = cache if cache is not None else EmbeddingCache()
        self._head = head if head is not None else SafetyHead.load()
        self._executor = executor if executor is not None else BoundedExecutor(1, name="learned-safety")
        self._owns_executor = executor is None
        self._prepare = prepare or prepare_text
        self._stats_lock = threading.Lock()
        self.checked = 0
        self.embedded = 0  # texts this engine had to embed itself (the added cost)

    @property
    def cache(self) -> EmbeddingCache:
        """The embeddings this engine reads (shared with the local sentiment engine)."""
        return self._cache

    def check_sync(self, text: str) -> SafetyResult:
        """The start of the text (the window sentiment embeds), and for a long text its end too."""
        result = None
        for window in self._windows(text):
            vector = self._vector_or_clear(window)
            if vector is None:
                result = SafetyResult(False, self.name)
                continue
            if vector is _TO_EMBED:
                vector = self._embed([window])[0]
                self._cache.put(window, vector)
            result = self._decide(vector)
            if result.flagged:
                break
        return result if result is not None else SafetyResult(False, self.name)

    async def _check_async(self, text: str) -> SafetyResult:
        """As check_sync, with the embedding batched with other turns' (the only slow step)."""
        assert self._embed_async is not None
        if len(text) <= INLINE_CHAR_BUDGET:
            windows = self._windows(text)
        else:
            windows = await self._executor.run(self._windows, text)
        result = None
        for window in windows:
            vector = self._vector_or_clear(window)
            if vector is None:
                result = SafetyResult(False, self.name)
                continue
            if vector is _TO_EMBED:
                vector = (await self._embed_async([window]))[0]
                self._cache.put(window, vector)
            result = self._decide(vector)
            if result.flagged:
                break
        return result if result is not None else SafetyResult(False, self.name)

    def _windows(self, text: str) -> list[str]:
        """What the head reads: the start window, and the end window of a long text."""
        prepared = self._prepare(text)
        if not prepared:
            return []
        windows = [embedding_text(prepared)]
        if len(prepared) > MAX_EMBED_CHARS:
            windows.append(embedding_text(prepared, tail=True))
        return windows

    def _vector_or_clear(self, window: str) -> np.ndarray | None:
        """The cached embedding; None when the gate clears the window; else _TO_EMBED."""
        vector = self._cache.get(window)
        if vector is not None:
            self._count(embedded=False)
            return vector
        if self._head.gate_clears(window):
            self._count(embedded=False)
            return None
        self._count(embedded=True)
        return _TO_EMBED

    def _decide(self, vector: np.ndarray) -> SafetyResult:
        probability = self._head.probability(vector)
        if probability < self._head.threshold:
            return SafetyResult(False, self.name, score=round(probability, 4))
        return SafetyResult(
            True,
            self.name,
            category="distress",
            score=round(probability, 4),
            about_someone_else=self._head.about_someone_else(vector),
        )

    def _count(self, *, embedded: bool) -> None:
        with self._stats_lock:
            self.checked += 1
            self.embedded += embedded

    async def check(self, text: str, *, language: str) -> SafetyResult:
        """Any language: the embedding is multilingual, so `language` is not needed."""
        del language
        if self._embed_async is not None:
            return await self._check_async(text)
        return await self._executor.run(self.check_sync, text)

    async def warm_up(self) -> None:
        """Load this engine's own encoder now, not on the first message the gate lets through."""
        if self._warm is not None:
            await self._warm()

    def check_many(self, texts: Sequence[str]) -> list[SafetyResult]:
        """For benches: the same decision for many texts, on the calling thread."""
        return [self.check_sync(text) for text in texts]

    async def close(self) -> None:
        if self._owns_executor:
            self._executor.shutdown()
