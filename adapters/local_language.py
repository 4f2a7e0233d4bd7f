"""Offline language identification: py3langid restricted to the bot's languages, plus a script prior.

py3langid (BSD-3, model inside the wheel) gives calibrated, length-normalised
probabilities; the Unicode-script prior removes impossible answers for short
texts (kana is Japanese, Hangul is Korean, Cyrillic is Russian or Ukrainian...).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from adapters.contracts import SUPPORTED_LANGUAGES, LanguageCandidate, LanguageResult
from adapters.executor import BoundedExecutor

UNDETERMINED = "und"
# Batches up to this many characters are scored inline (~0.03 ms per 60 chars);
# larger ones go to the executor so the event loop never stalls.
INLINE_CHAR_BUDGET = 1500

# Which supported languages a script can be written in.
SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "LATIN": frozenset(
        {"cs", "da", "de", "en", "es", "fr", "id", "it", "nl", "pl", "pt", "ro", "sv", "tr", "vi"}
    ),
    "CYRILLIC": frozenset({"ru", "uk"}),
    "GREEK": frozenset({"el"}),
    "HEBREW": frozenset({"he"}),
    "ARABIC": frozenset({"ar"}),
    "DEVANAGARI": frozenset({"hi"}),
    "HANGUL": frozenset({"ko"}),
    "HIRAGANA": frozenset({"ja"}),
    "KATAKANA": frozenset({"ja"}),
    "CJK": frozenset({"zh", "ja"}),
}
UKRAINIAN_ONLY = frozenset("іїєґІЇЄҐ")
RUSSIAN_ONLY = frozenset("ыэъёЫЭЪЁ")


def _script(char: str) -> str | None:
    """The script family of a letter or mark, from its Unicode name (None otherwise)."""
    if unicodedata.category(char)[0] not in "LM":
        return None
    name = unicodedata.name(char, "")
    for script in SCRIPT_LANGUAGES:
        if name.startswith(script):
            return script
    if "HANGUL" in name:
        return "HANGUL"
    return None


def script_languages(text: str) -> frozenset[str] | None:
    """Languages the text's scripts allow, or None when the script says nothing.

    Every script holding at least a fifth of the letters contributes its
    languages, so a Hindi sentence quoting English keeps both possible.
    """
    counts = Counter(s for s in map(_script, text) if s is not None)
    total = sum(counts.values())
    if not total:
        return None
    kana = counts["HIRAGANA"] + counts["KATAKANA"]
    allowed: set[str] = set()
    for script, n in counts.items():
        if n * 5 >= total:
            allowed |= SCRIPT_LANGUAGES[script]
    if kana and "ja" in allowed:
        allowed.discard("zh")  # Chinese is never written with kana
    if allowed == SCRIPT_LANGUAGES["CYRILLIC"]:
        letters = set(text)
        if letters & UKRAINIAN_ONLY and not letters & RUSSIAN_ONLY:
            return frozenset({"uk"})
        if letters & RUSSIAN_ONLY and not letters & UKRAINIAN_ONLY:
            return frozenset({"ru"})
    return frozenset(allowed)


class LocalLanguageDetector:
    """`LanguageDetector` on py3langid; build one per process and share it."""

    name = "local"

    def __init__(
        self,
        supported_languages: Sequence[str] = SUPPORTED_LANGUAGES,
        *,
        executor: BoundedExecutor | None = None,
        alternatives: int = 3,
        script_prior: bool = True,
    ) -> None:
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        try:
            self._identifier.set_languages(list(supported_languages))
        except ValueError as exc:
            raise ValueError(f"py3langid cannot detect some languages: {exc}") from exc
        self._labels: tuple[str, ...] = tuple(self._identifier.nb_classes)
        self.supported_languages = frozenset(self._labels)
        self._alternatives = alternatives
        self._script_prior = script_prior
        self._executor = executor
        self._owns_executor = executor is None

    def detect_one(self, text: str) -> LanguageResult:
        """Synchronous detection of one text (CPU only, ~0.05 ms for a short message)."""
        allowed = script_languages(text) if self._script_prior else None
        if allowed is None and not any(ch.isalpha() for ch in text):
            return LanguageResult(UNDETERMINED, 0.0, self.name)
        probs = np.asarray(self._identifier._decide(text), dtype=np.float64)
        if allowed is not None:
            mask = np.fromiter((lab in allowed for lab in self._labels), bool, len(self._labels))
            if mask.any():
                probs = np.where(mask, probs, 0.0)
                total = probs.sum()
                probs = probs / total if total > 0 else mask / mask.sum()
        order = np.argsort(-probs, kind="stable")
        best = int(order[0])
        alternatives = tuple(
            LanguageCandidate(self._labels[i], float(probs[i]))
            for i in order[1 : 1 + self._alternatives]
            if probs[i] > 0.0
        )
        return LanguageResult(
            language=self._labels[best],
            score=min(1.0, max(0.0, float(probs[best]))),
            engine=self.name,
            alternatives=alternatives,
        )

    def detect_many(self, texts: Sequence[str]) -> list[LanguageResult]:
        """Synchronous batch detection, in order."""
        return [self.detect_one(text) for text in texts]

    async def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        """One result per text; large batches run in the bounded executor."""
        if sum(len(t) for t in texts) <= INLINE_CHAR_BUDGET:
            return self.detect_many(texts)
        if self._executor is None:
            self._executor = BoundedExecutor(1, name="local-language")
        return await self._executor.run(self.detect_many, list(texts))

    async def close(self) -> None:
        """Stop the executor if this engine created it; a shared one belongs to its owner."""
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown()
            self._executor = None
