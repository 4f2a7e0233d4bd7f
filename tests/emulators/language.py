"""An emulator of Azure AI Language's `POST /language/:analyze-text` for the kinds
LanguageDetection and SentimentAnalysis (with opinion mining), as azure-ai-textanalytics
5.4.0 calls them (api-version 2023-04-01 by default; 2022-05-01 answers the same).

Response shapes follow the service's: `{"kind": "...Results", "results": {"documents",
"errors", "modelVersion"}}`; per-document errors (empty text, text over 5,120
characters, unsupported language) go in `errors`; too many documents is a 400.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.emulators import heuristics
from tests.emulators.base import EmulatorServer

ANALYZE_PATH = "/language/:analyze-text"
API_VERSIONS = frozenset({"2022-05-01", "2023-04-01"})
MAX_DOCUMENTS = {"LanguageDetection": 1000, "SentimentAnalysis": 10}
MAX_DOCUMENT_CHARS = 5_120
MODEL_VERSION = "2022-11-01"

# Sentiment languages the emulated model accepts (a service-like subset).
SENTIMENT_LANGUAGES = frozenset(
    "ar cs da de el en es fr he hi id it ja ko nl pl pt pt-pt pt-br ro ru sv tr uk vi "
    "zh zh-hans zh-hant".split()
)


class LanguageEmulator(EmulatorServer):
    """`async with LanguageEmulator(key="k") as emu:` then TextAnalyticsClient(emu.url, ...)."""

    def __init__(
        self,
        *,
        key: str | None = None,
        oversize_status: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(key=key, host=host, port=port)
        # None: an oversize text is a per-document error, as the service does it.
        # 400 (say): the whole request fails instead.
        self.oversize_status = oversize_status
        self._languages: dict[str, heuristics.Detection] = {}
        self._sentiments: dict[str, dict[str, Any]] = {}
        self._doc_errors: dict[str, dict[str, Any]] = {}

    # --- scripting --------------------------------------------------------------

    def script_language(self, text: str, iso: str, score: float = 1.0, name: str = "") -> None:
        """Detection of exactly `text` answers `iso` with `score`."""
        self._languages[text] = heuristics.Detection(iso, name or iso, score)

    def script_sentiment(self, text: str, document: dict[str, Any]) -> None:
        """Sentiment of exactly `text` answers this document body (without "id")."""
        self._sentiments[text] = document

    def script_document_error(
        self, text: str, code: str, message: str = "Scripted error.", inner_code: str = ""
    ) -> None:
        """Any analysis of exactly `text` fails with this per-document error."""
        error: dict[str, Any] = {"code": code, "message": message}
        if inner_code:
            error["innererror"] = {"code": inner_code, "message": message}
        self._doc_errors[text] = error

    # --- HTTP -------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("POST", ANALYZE_PATH, self._analyze)]

    def error_body(self, status: int, code: str, message: str) -> dict:
        return {"error": {"code": code, "message": message}}

    async def _analyze(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        version = request.query.get("api-version", "")
        if version not in API_VERSIONS:
            return _bad_request("InvalidArgument", f"Unsupported api-version {version!r}.")
        kind = body.get("kind")
        if kind not in MAX_DOCUMENTS:
            return _bad_request("InvalidArgument", f"Unsupported kind {kind!r}.")
        documents = (body.get("analysisInput") or {}).get("documents")
        if not isinstance(documents, list) or not documents:
            return _bad_request("InvalidArgument", "Missing input documents.")
        limit = MAX_DOCUMENTS[kind]
        if len(documents) > limit:
            message = f"Batch request contains too many records. Max {limit} records are permitted."
            return _bad_request("InvalidArgument", message, "InvalidDocumentBatch")
        if self.oversize_status is not None and any(
            len(doc.get("text", "")) > MAX_DOCUMENT_CHARS for doc in documents
        ):
            return web.json_response(
                {"error": _error("InvalidArgument", "Invalid document in request.",
                                 "InvalidDocument", _TOO_LARGE)},
                status=self.oversize_status,
            )
        parameters = body.get("parameters") or {}
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for doc in documents:
            doc_id = str(doc.get("id"))
            problem = self._document_problem(kind, doc)
            if problem is not None:
                errors.append({"id": doc_id, "error": problem})
            elif kind == "LanguageDetection":
                results.append(self._detect(doc_id, doc["text"]))
            else:
                results.append(self._sentiment(
                    doc_id, doc["text"], len(results), bool(parameters.get("opinionMining"))
                ))
        payload = {
            "kind": f"{kind}Results",
            "results": {"documents": results, "errors": errors, "modelVersion": MODEL_VERSION},
        }
        return web.json_response(payload, headers={"apim-request-id": f"emu-{len(self.requests)}"})

    def _document_problem(self, kind: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        text = doc.get("text", "")
        if text in self._doc_errors:
            return self._doc_errors[text]
        if not text.strip():
            return _error("InvalidArgument", "Invalid document in request.",
                          "InvalidDocument", "Document text is empty.")
        if len(text) > MAX_DOCUMENT_CHARS:
            return _error("InvalidArgument", "Invalid document in request.",
                          "InvalidDocument", _TOO_LARGE)
        if kind == "SentimentAnalysis":
            language = str(doc.get("language") or "en").lower()
            if language not in SENTIMENT_LANGUAGES:
                return _error(
                    "InvalidArgument", "Invalid Language Code.", "UnsupportedLanguageCode",
                    f"Invalid language code '{language}'. Supported languages: "
                    + ",".join(sorted(SENTIMENT_LANGUAGES)),
                )
        return None

    def _detect(self, doc_id: str, text: str) -> dict[str, Any]:
        found = self._languages.get(text) or heuristics.detect_language(text)
        return {
            "id": doc_id,
            "detectedLanguage": {
                "name": found.name, "iso6391Name": found.iso, "confidenceScore": found.score,
            },
            "warnings": [],
        }

    def _sentiment(
        self, doc_id: str, text: str, position: int, opinion_mining: bool
    ) -> dict[str, Any]:
        if text in self._sentiments:
            return {"id": doc_id, **self._sentiments[text]}
        sentences = [heuristics.score_sentence(s, o) for s, o in heuristics.split_sentences(text)]
        label, scores = heuristics.document_label(sentences)
        return {
            "id": doc_id,
            "sentiment": label,
            "confidenceScores": _scores(scores),
            "sentences": [
                _sentence_json(s, position, index, opinion_mining)
                for index, s in enumerate(sentences)
            ],
            "warnings": [],
        }


_TOO_LARGE = (
    "A document within the request was too large to be processed. Limit document size to: "
    "5120 text elements."
)


def _error(code: str, message: str, inner_code: str = "", inner_message: str = "") -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner_code:
        error["innererror"] = {"code": inner_code, "message": inner_message or message}
    return error


def _bad_request(code: str, message: str, inner_code: str = "") -> web.Response:
    return web.json_response({"error": _error(code, message, inner_code)}, status=400)


def _scores(scores: tuple[float, float, float]) -> dict[str, float]:
    return {"positive": scores[0], "neutral": scores[1], "negative": scores[2]}


def _sentence_json(
    sentence: heuristics.SentenceScore, doc_index: int, index: int, opinion_mining: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sentiment": sentence.label,
        "confidenceScores": _scores(sentence.scores),
        "offset": sentence.offset,
        "length": len(sentence.text),
        "text": sentence.text,
    }
    if not opinion_mining:
        return out
    targets: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    for opinion in sentence.opinions:
        relations = []
        for hit in opinion.assessments:
            relations.append({
                "relationType": "assessment",
                "ref": f"#/documents/{doc_index}/sentences/{index}/assessments/{len(assessments)}",
            })
            assessments.append({
                "sentiment": hit.polarity,
                "confidenceScores": _polar(hit.polarity),
                "offset": hit.offset,
                "length": len(hit.text),
                "text": hit.text,
                "isNegated": hit.negated,
            })
        polarities = {hit.polarity for hit in opinion.assessments}
        target_label = polarities.pop() if len(polarities) == 1 else "mixed"
        targets.append({
            "sentiment": target_label,
            "confidenceScores": _polar(target_label),
            "offset": opinion.target_offset,
            "length": len(opinion.target),
            "text": opinion.target,
            "relations": relations,
        })
    out["targets"] = targets
    out["assessments"] = assessments
    return out


def _polar(label: str) -> dict[str, float]:
    if label == "positive":
        return {"positive": 1.0, "negative": 0.0}
    if label == "negative":
        return {"positive": 0.0, "negative": 1.0}
    return {"positive": 0.5, "negative": 0.5}
