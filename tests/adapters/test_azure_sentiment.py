"""AzureSentimentAnalyzer driving the real TextAnalyticsClient against the Language emulator."""

from __future__ import annotations

import pytest

from adapters.azure_sentiment import AzureSentimentAnalyzer, merge_parts
from adapters.contracts import (
    EngineError,
    SentimentAnalyzer,
    SentimentLabel,
    SentimentResult,
    SentimentScores,
    UnsupportedLanguageError,
)
from adapters.text_limits import Piece
from tests.emulators import ANALYZE_PATH, LanguageEmulator

POS, NEU, NEG, MIX = (
    SentimentLabel.POSITIVE, SentimentLabel.NEUTRAL, SentimentLabel.NEGATIVE, SentimentLabel.MIXED
)


async def test_document_sentences_and_opinions(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    text = "The food was not good. The staff is friendly."

    [result] = await azure_analyzer.analyze([text], language="en")

    assert result.label is MIX
    assert result.engine == "azure" and result.language == "en"
    assert [s.label for s in result.sentences] == [NEG, POS]
    for sentence in result.sentences:
        assert text[sentence.offset : sentence.offset + len(sentence.text)] == sentence.text
    [food] = result.sentences[0].opinions
    assert (food.text, food.label) == ("food", NEG)
    [good] = food.assessments
    assert (good.text, good.label, good.is_negated) == ("good", NEG, True)
    [staff] = result.sentences[1].opinions
    assert staff.text == "staff" and staff.assessments[0].is_negated is False
    body = language_emulator.requests[0].body
    assert body["kind"] == "SentimentAnalysis"
    assert body["parameters"]["opinionMining"] is True


async def test_scores_come_from_the_service(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_sentiment("meh", {
        "sentiment": "neutral",
        "confidenceScores": {"positive": 0.2, "neutral": 0.7, "negative": 0.1},
        "sentences": [{
            "sentiment": "neutral",
            "confidenceScores": {"positive": 0.2, "neutral": 0.7, "negative": 0.1},
            "offset": 0, "length": 3, "text": "meh", "targets": [], "assessments": [],
        }],
        "warnings": [],
    })

    [result] = await azure_analyzer.analyze(["meh"], language="en")

    assert result.label is NEU
    assert result.scores == SentimentScores(0.2, 0.7, 0.1)
    assert result.confidence == 0.7


async def test_batches_are_cut_into_tens(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    texts = ["I love it." if i % 2 else "I hate it." for i in range(23)]

    results = await azure_analyzer.analyze(texts, language="en")

    assert [r.label for r in results] == [POS if i % 2 else NEG for i in range(23)]
    sizes = sorted(len(r.body["analysisInput"]["documents"]) for r in language_emulator.requests)
    assert sizes == [3, 10, 10]


async def test_long_text_is_split_and_merged(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    text = "The room was lovely and clean. " * 200 + "The service was slow and rude. " * 200

    [result] = await azure_analyzer.analyze([text], language="en")

    documents = language_emulator.requests[0].body["analysisInput"]["documents"]
    assert len(documents) == 3
    assert all(len(d["text"]) <= 5_120 for d in documents)
    assert "".join(d["text"] for d in documents) == text
    assert result.label is MIX  # positive parts and negative parts disagree
    assert len(result.sentences) == 400
    for sentence in result.sentences:
        assert text[sentence.offset : sentence.offset + len(sentence.text)] == sentence.text
    assert sum((result.scores.positive, result.scores.neutral, result.scores.negative)) == (
        pytest.approx(1.0, abs=0.01)
    )


async def test_long_text_of_one_mind_keeps_its_label(azure_analyzer: AzureSentimentAnalyzer) -> None:
    text = "The room was lovely and clean. " * 400

    [result] = await azure_analyzer.analyze([text], language="en")

    assert result.label is POS


def _part(label: SentimentLabel, scores: tuple[float, float, float], offset: int, text: str):
    return Piece(text, offset), SentimentResult(label, SentimentScores(*scores), "azure", "en")


def test_merge_weights_scores_by_length_and_picks_the_top_label() -> None:
    merged = merge_parts([
        _part(POS, (0.9, 0.1, 0.0), 0, "a" * 300),
        _part(NEU, (0.1, 0.9, 0.0), 300, "b" * 100),
    ])

    assert merged.label is POS
    assert merged.scores.positive == pytest.approx(0.7)
    assert merged.scores.neutral == pytest.approx(0.3)


def test_merge_of_opposite_parts_is_mixed() -> None:
    merged = merge_parts([
        _part(POS, (0.9, 0.1, 0.0), 0, "a" * 100),
        _part(NEG, (0.0, 0.1, 0.9), 100, "b" * 100),
    ])

    assert merged.label is MIX
    assert merged.confidence == 0.0


async def test_chinese_is_sent_with_the_service_code(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    [result] = await azure_analyzer.analyze(["你好"], language="zh")

    assert result.language == "zh"
    [document] = language_emulator.requests[0].body["analysisInput"]["documents"]
    assert document["language"] == "zh-hans"


async def test_language_outside_the_bot_set_is_refused_without_a_call(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    with pytest.raises(UnsupportedLanguageError) as raised:
        await azure_analyzer.analyze(["Salam"], language="fa")

    assert raised.value.language == "fa"
    assert language_emulator.requests == []


async def test_service_unsupported_language_maps_to_unsupported_error(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_document_error(
        "Xin chào", "InvalidArgument", "Invalid Language Code.", "UnsupportedLanguageCode"
    )

    with pytest.raises(UnsupportedLanguageError):
        await azure_analyzer.analyze(["Xin chào"], language="vi")


async def test_other_document_errors_are_engine_errors(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_document_error("odd", "InvalidArgument", "Bad.", "InvalidDocument")

    with pytest.raises(EngineError, match="InvalidDocument"):
        await azure_analyzer.analyze(["I love it.", "odd"], language="en")


async def test_empty_text_is_neutral_without_a_call(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    [result] = await azure_analyzer.analyze([""], language="en")

    assert result.label is NEU
    assert language_emulator.requests_to(ANALYZE_PATH) == []


async def test_is_a_sentiment_analyzer(azure_analyzer: AzureSentimentAnalyzer) -> None:
    assert isinstance(azure_analyzer, SentimentAnalyzer)


async def test_a_body_with_an_unknown_label_is_malformed(
    azure_analyzer: AzureSentimentAnalyzer, language_emulator: LanguageEmulator
) -> None:
    language_emulator.script_sentiment("wow", {
        "sentiment": "ecstatic",
        "confidenceScores": {"positive": 1.0, "neutral": 0.0, "negative": 0.0},
        "sentences": [], "warnings": [],
    })

    with pytest.raises(EngineError, match="malformed"):
        await azure_analyzer.analyze(["wow"], language="en")
