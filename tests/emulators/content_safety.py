"""An emulator of Azure AI Content Safety's `POST /contentsafety/text:analyze` as
azure-ai-contentsafety 1.0.0 calls it (api-version 2023-10-01; 2024-09-01 accepted too):
body `{"text", "categories"?, "blocklistNames"?, "haltOnBlocklistHit"?, "outputType"?}`,
answer `{"blocklistsMatch": [], "categoriesAnalysis": [{"category", "severity"}]}`, one
entry per requested category (all four when none is named).

Severities come from a small phrase table (English and Spanish self-harm phrases; the
other categories always 0) on the eight-level scale; `FourSeverityLevels` (the default)
rounds down to 0, 2, 4 or 6 as the service does. Text over 10,000 characters, or an
empty text, is a 400 with the service's error shape, so callers must split.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from aiohttp import web

from tests.emulators.base import EmulatorServer

TEXT_ANALYZE_PATH = "/contentsafety/text:analyze"
API_VERSIONS = frozenset({"2023-10-01", "2024-09-01"})
MAX_TEXT_CHARS = 10_000
CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
FOUR_LEVELS, EIGHT_LEVELS = "FourSeverityLevels", "EightSeverityLevels"

# (eight-level severity, phrases), most severe first; matched on lower-cased text
# without accents, as whole words. In four levels: 7 -> 6, 5 -> 4, 3 -> 2.
_SELF_HARM_PHRASES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (7, (
        "kill myself", "end my life", "take my own life", "commit suicide", "suicide",
        "matarme", "suicidarme", "quitarme la vida", "acabar con mi vida", "quiero morir",
    )),
    (5, (
        "hurt myself", "cut myself", "cutting myself", "self harm", "self-harm",
        "hacerme dano", "cortarme", "lastimarme", "autolesion",
    )),
    (3, (
        "want to disappear", "no reason to live", "can't go on", "cannot go on",
        "quiero desaparecer", "no puedo mas", "sin razon para vivir",
    )),
)
_PATTERNS = tuple(
    (severity, re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b"))
    for severity, phrases in _SELF_HARM_PHRASES
)

_SERVICE_CODES = {"401": "401", "429": "TooManyRequests", "500": "InternalError", "503": "ServerBusy"}


def self_harm_severity(text: str) -> int:
    """The emulated model's SelfHarm severity (0-7) for `text`."""
    folded = _fold(text)
    for severity, pattern in _PATTERNS:
        if pattern.search(folded):
            return severity
    return 0


def four_levels(severity: int) -> int:
    """0-1 -> 0, 2-3 -> 2, 4-5 -> 4, 6-7 -> 6."""
    return severity - severity % 2


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class ContentSafetyEmulator(EmulatorServer):
    """`async with ContentSafetyEmulator(key="k") as emu:` then ContentSafetyClient(emu.url, ...)."""

    def __init__(self, *, key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(key=key, host=host, port=port)
        self._severities: dict[str, dict[str, int]] = {}
        self._bodies: dict[str, Any] = {}

    # --- scripting --------------------------------------------------------------

    def script(self, text: str, severity: int, category: str = "SelfHarm") -> None:
        """Analysis of exactly `text` gives `category` this eight-level severity (0-7)."""
        self._severities.setdefault(text, {})[category] = severity

    def script_body(self, text: str, body: Any) -> None:
        """Analysis of exactly `text` answers 200 with this JSON body, whatever its shape."""
        self._bodies[text] = body

    # --- HTTP -------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("POST", TEXT_ANALYZE_PATH, self._analyze)]

    def error_body(self, status: int, code: str, message: str) -> dict:
        return {"error": {"code": _SERVICE_CODES.get(code, code), "message": message, "details": []}}

    async def _analyze(self, request: web.Request, body: Any) -> web.StreamResponse:
        version = request.query.get("api-version", "")
        if version not in API_VERSIONS:
            return _error(404, "ApiVersionUnsupported", f"The api-version {version!r} is not supported.")
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return _error(400, "InvalidRequestBody", "The field 'text' is required.")
        text: str = body["text"]
        if not text.strip():
            return _error(400, "InvalidRequestBody", "The text is empty.")
        if len(text) > MAX_TEXT_CHARS:
            return _error(
                400, "InvalidRequestBody",
                f"The text length exceeds the limit of {MAX_TEXT_CHARS} characters.",
            )
        categories = body.get("categories") or list(CATEGORIES)
        if not isinstance(categories, list) or any(c not in CATEGORIES for c in categories):
            return _error(400, "InvalidRequestBody", "Unknown text category.")
        output_type = body.get("outputType") or FOUR_LEVELS
        if output_type not in (FOUR_LEVELS, EIGHT_LEVELS):
            return _error(400, "InvalidRequestBody", f"Unknown outputType {output_type!r}.")
        headers = {"apim-request-id": f"emu-{len(self.requests)}"}
        if text in self._bodies:
            return web.json_response(self._bodies[text], headers=headers)
        analysis = []
        for category in dict.fromkeys(categories):
            severity = self._severity(text, category)
            if output_type == FOUR_LEVELS:
                severity = four_levels(severity)
            analysis.append({"category": category, "severity": severity})
        return web.json_response(
            {"blocklistsMatch": [], "categoriesAnalysis": analysis}, headers=headers
        )

    def _severity(self, text: str, category: str) -> int:
        scripted = self._severities.get(text, {})
        if category in scripted:
            return scripted[category]
        return self_harm_severity(text) if category == "SelfHarm" else 0


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "details": []}}, status=status)
