"""The seams between the bot and its cognitive engines: Protocols and frozen results.

Every result says which engine answered, how sure it was, and (after a fallback)
which engines were skipped and why. Nothing here imports botbuilder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

# The 24 languages the bot converses in (ISO 639-1). Detection is restricted to
# them, because restriction lifts accuracy for every engine measured.
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "ar", "cs", "da", "de", "el", "en", "es", "fr", "he", "hi", "id", "it",
    "ja", "ko", "nl", "pl", "pt", "ro", "ru", "sv", "tr", "uk", "vi", "zh",
)


class SkipReason(StrEnum):
    """Why the fallback chain moved past an engine."""

    ERROR = "error"
    TIMEOUT = "timeout"
    CIRCUIT_OPEN = "circuit_open"
    LOW_CONFIDENCE = "low_confidence"
    UNSUPPORTED_LANGUAGE = "unsupported_language"


@dataclass(frozen=True)
class Skip:
    """One engine the chain did not take the answer from."""

    engine: str
    reason: SkipReason
    detail: str = ""


class EngineError(Exception):
    """An engine could not answer (service error, bad response, rate limit...)."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(f"{engine}: {message}")
        self.engine = engine


class UnsupportedLanguageError(EngineError):
    """The engine does not handle the language it was asked about."""

    def __init__(self, engine: str, language: str) -> None:
        super().__init__(engine, f"language {language!r} is not supported")
        self.language = language


# --- language -------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageCandidate:
    language: str
    score: float


@dataclass(frozen=True)
class SecondOpinion:
    """Another engine's view of the same text, kept to report (dis)agreement."""

    engine: str
    language: str
    score: float
    agrees: bool


@dataclass(frozen=True)
class LanguageResult:
    """Detected language with a confidence in [0, 1] and ranked alternatives."""

    language: str
    score: float
    engine: str
    alternatives: tuple[LanguageCandidate, ...] = ()
    skipped: tuple[Skip, ...] = ()
    second_opinion: SecondOpinion | None = None

    @property
    def confidence(self) -> float:
        return self.score


# --- sentiment ------------------------------------------------------------------


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    MIXED = "mixed"


@dataclass(frozen=True)
class SentimentScores:
    """Confidence per class; they sum to about 1."""

    positive: float
    neutral: float
    negative: float

    @property
    def top(self) -> float:
        return max(self.positive, self.neutral, self.negative)


@dataclass(frozen=True)
class Assessment:
    """An opinion word about a target, e.g. "slow" about "delivery"."""

    text: str
    label: SentimentLabel
    is_negated: bool = False


@dataclass(frozen=True)
class OpinionTarget:
    text: str
    label: SentimentLabel
    assessments: tuple[Assessment, ...] = ()


@dataclass(frozen=True)
class SentenceSentiment:
    text: str
    label: SentimentLabel
    scores: SentimentScores
    offset: int = 0
    opinions: tuple[OpinionTarget, ...] = ()


@dataclass(frozen=True)
class SentimentResult:
    """Document sentiment, its sentences, and the engine that scored them."""

    label: SentimentLabel
    scores: SentimentScores
    engine: str
    language: str
    sentences: tuple[SentenceSentiment, ...] = ()
    skipped: tuple[Skip, ...] = ()

    @property
    def confidence(self) -> float:
        """Top class score; `mixed` documents are never confident."""
        return 0.0 if self.label is SentimentLabel.MIXED else self.scores.top


# --- translation ----------------------------------------------------------------


@dataclass(frozen=True)
class TranslationResult:
    """A text in the target language, or the original flagged as untranslated.

    `translated` is False when no engine could translate (offline passthrough):
    the text is then the original and nothing pretends otherwise.
    """

    text: str
    source_language: str
    target_language: str
    engine: str
    translated: bool = True
    source_score: float | None = None
    skipped: tuple[Skip, ...] = ()


# --- safety ---------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyResult:
    """Whether a text shows distress or self-harm language, and what matched.

    From the safety chain, `engine` names every engine that flagged ("lexicon+learned"),
    `flags` holds each one's verdict and `skipped` every engine that could not answer.
    `about_someone_else` marks a worried third party ("my friend wants to kill herself").
    """

    flagged: bool
    engine: str
    category: str = ""
    matched: tuple[str, ...] = ()
    score: float = 0.0  # the engine's probability, or severity / 7 for Azure Content Safety
    severity: int | None = None  # Azure Content Safety's 0-7 severity, when it answered
    flags: tuple[SafetyFlag, ...] = ()
    skipped: tuple[Skip, ...] = ()
    about_someone_else: bool = False


@dataclass(frozen=True)
class SafetyFlag:
    """One engine's positive verdict inside a combined safety result."""

    engine: str
    category: str
    score: float
    severity: int | None = None


# --- protocols ------------------------------------------------------------------


@runtime_checkable
class LanguageDetector(Protocol):
    name: str

    async def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        """One result per text, in order."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class SentimentAnalyzer(Protocol):
    name: str

    async def analyze(self, texts: Sequence[str], *, language: str) -> list[SentimentResult]:
        """One result per text; raises UnsupportedLanguageError for unknown languages."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class Translator(Protocol):
    name: str

    async def translate(
        self, texts: Sequence[str], *, to: str, source: str | None = None
    ) -> list[TranslationResult]:
        """All texts of a turn in one call; one result per text, in order."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class SafetyChecker(Protocol):
    """One safety engine, or the chain of them (which combines for recall: any flag wins)."""

    name: str

    async def check(self, text: str, *, language: str) -> SafetyResult:
        """Raises EngineError when the engine cannot answer (the chain records a skip)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class EngineMetrics:
    """Counters for one engine in a chain, for /readyz and the benches."""

    engine: str
    calls: int = 0
    failures: int = 0
    fallbacks: int = 0
    total_latency_ms: float = 0.0
    circuit: str = "closed"
    extra: dict[str, float] = field(default_factory=dict)
