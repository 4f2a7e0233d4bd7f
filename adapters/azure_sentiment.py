"""Sentiment with opinion mining from Azure AI Language (TextAnalyticsClient.analyze_sentiment).

The service takes at most 10 documents per request and 5,120 characters per document:
longer texts are split at sentence/whitespace boundaries, batches are cut into chunks
of 10 that run concurrently, and the parts of a split text are merged back into one
result (see merge_parts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from adapters.azure_clients import (
    AzureCallOptions,
    LazyClient,
    chunked,
    run_all,
    sdk_errors,
    text_analytics_client,
)
from adapters.config import AzureLanguageConfig
from adapters.contracts import (
    SUPPORTED_LANGUAGES,
    Assessment,
    EngineError,
    OpinionTarget,
    SentenceSentiment,
    SentimentLabel,
    SentimentResult,
    SentimentScores,
    UnsupportedLanguageError,
)
from adapters.text_limits import MAX_DOCUMENT_CHARS, Piece, split_text

MAX_SENTIMENT_DOCUMENTS = 10
# The bot's ISO 639-1 codes where the Language service wants another spelling.
_SERVICE_CODES = {"zh": "zh-hans"}
_UNSUPPORTED_CODES = frozenset({"UnsupportedLanguageCode", "InvalidLanguageCode"})


class AzureSentimentAnalyzer:
    """SentimentAnalyzer over the official async TextAnalyticsClient, opinions included."""

    name = "azure"

    def __init__(
        self,
        config: AzureLanguageConfig,
        *,
        supported_languages: Sequence[str] = SUPPORTED_LANGUAGES,
        options: AzureCallOptions | None = None,
        client: LazyClient | None = None,
        max_document_chars: int = MAX_DOCUMENT_CHARS,
    ) -> None:
        self._supported = frozenset(supported_languages)
        self._max_chars = max_document_chars
        # One Language client per process: the builder passes the same one to both engines.
        self._client = (client or text_analytics_client(config, options)).attach()

    async def analyze(self, texts: Sequence[str], *, language: str) -> list[SentimentResult]:
        if language not in self._supported:
            raise UnsupportedLanguageError(self.name, language)
        service_language = _SERVICE_CODES.get(language, language)
        parts: list[tuple[int, Piece]] = []
        results: list[SentimentResult | None] = [None] * len(texts)
        for index, text in enumerate(texts):
            if not text.strip():
                results[index] = _neutral(self.name, language)
                continue
            parts.extend((index, piece) for piece in split_text(text, self._max_chars))
        batches = chunked(parts, MAX_SENTIMENT_DOCUMENTS)
        answered = await run_all(
            [self._analyze_batch(batch, service_language, language) for batch in batches]
        )
        per_text: dict[int, list[tuple[Piece, SentimentResult]]] = {}
        for batch, batch_results in zip(batches, answered, strict=True):
            for (index, piece), result in zip(batch, batch_results, strict=True):
                per_text.setdefault(index, []).append((piece, result))
        for index, merged_parts in per_text.items():
            results[index] = merge_parts(merged_parts)
        return [r for r in results if r is not None]

    async def _analyze_batch(
        self, batch: Sequence[tuple[int, Piece]], service_language: str, language: str
    ) -> list[SentimentResult]:
        client = self._client.get()
        async with sdk_errors(self.name):
            documents = await client.analyze_sentiment(
                [piece.text for _, piece in batch],
                language=service_language,
                show_opinion_mining=True,
            )
            if len(documents) != len(batch):
                raise EngineError(self.name, "response has the wrong number of documents")
            return [
                self._result(document, piece.offset, language)
                for (_, piece), document in zip(batch, documents, strict=True)
            ]

    def _result(self, document: object, offset: int, language: str) -> SentimentResult:
        if getattr(document, "is_error", False):
            error = document.error  # type: ignore[attr-defined]
            if error.code in _UNSUPPORTED_CODES:
                raise UnsupportedLanguageError(self.name, language)
            raise EngineError(self.name, f"document error {error.code}: {error.message}")
        return SentimentResult(
            label=SentimentLabel(document.sentiment),  # type: ignore[attr-defined]
            scores=_scores(document.confidence_scores),  # type: ignore[attr-defined]
            engine=self.name,
            language=language,
            sentences=tuple(
                _sentence(sentence, offset)
                for sentence in document.sentences  # type: ignore[attr-defined]
            ),
        )

    async def close(self) -> None:
        await self._client.close()


def merge_parts(parts: Sequence[tuple[Piece, SentimentResult]]) -> SentimentResult:
    """One result for a text analysed in pieces.

    Scores are averaged, weighted by each piece's length. The label is `mixed` when
    a piece is mixed or pieces disagree in polarity (positive vs negative); when
    polar pieces sit beside neutral ones, the label is the top merged score.
    """
    if len(parts) == 1:
        return parts[0][1]
    weights = [max(len(piece.text.strip()), 1) for piece, _ in parts]
    total = sum(weights)
    positive = sum(w * r.scores.positive for w, (_, r) in zip(weights, parts, strict=True)) / total
    neutral = sum(w * r.scores.neutral for w, (_, r) in zip(weights, parts, strict=True)) / total
    negative = sum(w * r.scores.negative for w, (_, r) in zip(weights, parts, strict=True)) / total
    scores = SentimentScores(round(positive, 4), round(neutral, 4), round(negative, 4))
    labels = {result.label for _, result in parts}
    if SentimentLabel.MIXED in labels or {SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE} <= labels:
        label = SentimentLabel.MIXED
    elif len(labels) == 1:
        label = labels.pop()
    else:
        label = max(
            (SentimentLabel.POSITIVE, SentimentLabel.NEUTRAL, SentimentLabel.NEGATIVE),
            key=lambda lab: getattr(scores, lab.value),
        )
    first = parts[0][1]
    sentences = tuple(s for _, result in parts for s in result.sentences)
    return replace(first, label=label, scores=scores, sentences=sentences)


def _neutral(engine: str, language: str) -> SentimentResult:
    """Nothing to analyse: neutral, without spending a service call."""
    return SentimentResult(
        SentimentLabel.NEUTRAL, SentimentScores(0.0, 1.0, 0.0), engine, language
    )


def _scores(raw: object) -> SentimentScores:
    return SentimentScores(
        positive=float(raw.positive),  # type: ignore[attr-defined]
        neutral=float(raw.neutral),  # type: ignore[attr-defined]
        negative=float(raw.negative),  # type: ignore[attr-defined]
    )


def _sentence(raw: object, offset: int) -> SentenceSentiment:
    opinions = tuple(
        OpinionTarget(
            text=opinion.target.text,
            label=SentimentLabel(opinion.target.sentiment),
            assessments=tuple(
                Assessment(
                    text=assessment.text,
                    label=SentimentLabel(assessment.sentiment),
                    is_negated=bool(assessment.is_negated),
                )
                for assessment in opinion.assessments
            ),
        )
        for opinion in (raw.mined_opinions or ())  # type: ignore[attr-defined]
    )
    return SentenceSentiment(
        text=raw.text,  # type: ignore[attr-defined]
        label=SentimentLabel(raw.sentiment),  # type: ignore[attr-defined]
        scores=_scores(raw.confidence_scores),  # type: ignore[attr-defined]
        offset=offset + int(raw.offset),  # type: ignore[attr-defined]
        opinions=opinions,
    )
