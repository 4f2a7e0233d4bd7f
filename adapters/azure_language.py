"""Language detection with Azure AI Language (TextAnalyticsClient.detect_language).

The service names any of ~120 languages; the bot converses in SUPPORTED_LANGUAGES.
A detection outside that set, or "(Unknown)", is returned with score 0.0 (so the
fallback chain treats it as low confidence and asks the next engine); the service's
own score is kept as the single alternative. The API version the SDK uses
(2023-04-01) gives no ranked alternatives for supported answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.azure_clients import (
    AzureCallOptions,
    LazyClient,
    base_language,
    chunked,
    run_all,
    sdk_errors,
    text_analytics_client,
)
from adapters.config import AzureLanguageConfig
from adapters.contracts import SUPPORTED_LANGUAGES, EngineError, LanguageCandidate, LanguageResult
from adapters.text_limits import MAX_DOCUMENT_CHARS, split_text

MAX_DETECTION_DOCUMENTS = 1000
UNDETERMINED = "und"
_UNKNOWN = "(Unknown)"


class AzureLanguageDetector:
    """LanguageDetector over the official async TextAnalyticsClient."""

    name = "azure"

    def __init__(
        self,
        config: AzureLanguageConfig,
        *,
        supported_languages: Sequence[str] = SUPPORTED_LANGUAGES,
        options: AzureCallOptions | None = None,
        client: LazyClient | None = None,
        country_hint: str = "none",
    ) -> None:
        self._supported = frozenset(supported_languages)
        self._country_hint = country_hint
        # One Language client per process: the builder passes the same one to both engines.
        self._client = (client or text_analytics_client(config, options)).attach()

    async def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        results: list[LanguageResult | None] = [None] * len(texts)
        pending: list[tuple[int, str]] = []
        for index, text in enumerate(texts):
            if not text.strip():
                results[index] = LanguageResult(UNDETERMINED, 0.0, self.name)
            else:
                # The opening 5,120 characters are plenty to name a language.
                pending.append((index, split_text(text, MAX_DOCUMENT_CHARS)[0].text))
        batches = chunked(pending, MAX_DETECTION_DOCUMENTS)
        answered = await run_all([self._detect_batch(batch) for batch in batches])
        for batch, batch_results in zip(batches, answered, strict=True):
            for (index, _), result in zip(batch, batch_results, strict=True):
                results[index] = result
        return [r for r in results if r is not None]

    async def _detect_batch(self, batch: Sequence[tuple[int, str]]) -> list[LanguageResult]:
        client = self._client.get()
        async with sdk_errors(self.name):
            documents = await client.detect_language(
                [text for _, text in batch], country_hint=self._country_hint
            )
            if len(documents) != len(batch):
                raise EngineError(self.name, "response has the wrong number of documents")
            return [self._result(document) for document in documents]

    def _result(self, document: object) -> LanguageResult:
        if getattr(document, "is_error", False):
            error = document.error  # type: ignore[attr-defined]
            raise EngineError(self.name, f"document error {error.code}: {error.message}")
        primary = document.primary_language  # type: ignore[attr-defined]
        iso, score = primary.iso6391_name, float(primary.confidence_score)
        if not iso or iso == _UNKNOWN:
            return LanguageResult(UNDETERMINED, 0.0, self.name)
        language = base_language(iso)
        if language not in self._supported:
            return LanguageResult(
                language, 0.0, self.name, alternatives=(LanguageCandidate(language, score),)
            )
        return LanguageResult(language, score, self.name)

    async def close(self) -> None:
        await self._client.close()
