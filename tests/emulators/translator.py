"""An emulator of Azure Translator's `POST /translate?api-version=2026-06-06` as
azure-ai-translation-text 2.0.0 calls it: body `{"inputs": [{"text", "language"?,
"targets": [{"language"}]}]}`, answer `{"value": [{"detectedLanguage"?, "translations":
[{"language", "text", "sourceCharacters"}]}]}`, one item per input, in order.

Translations come from a tiny phrase table, else the marker "[xx] original", so a
test can always tell what was translated into which language.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.emulators import heuristics
from tests.emulators.base import EmulatorServer

TRANSLATE_PATH = "/translate"
API_VERSION = "2026-06-06"
MAX_INPUTS = 1000
MAX_REQUEST_CHARS = 50_000

# The service's codes for the bot's languages (Chinese is script-qualified).
LANGUAGES = frozenset(
    "ar cs da de el en es fa fr he hi id it ja ko nl pl pt pt-pt ro ru sv tr uk vi "
    "zh-Hans zh-Hant".split()
)
_DETECTED_CODES = {"zh_chs": "zh-Hans"}


class TranslatorEmulator(EmulatorServer):
    """`async with TranslatorEmulator(key="k") as emu:` then TextTranslationClient(emu.url, ...)."""

    def __init__(
        self,
        *,
        key: str | None = None,
        max_text_chars: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(key=key, host=host, port=port)
        self.max_text_chars = max_text_chars  # None: only the request total is limited
        self._scripted: dict[tuple[str, str], tuple[str, str, float]] = {}

    def script(
        self, text: str, to: str, translation: str, detected: tuple[str, float] = ("en", 1.0)
    ) -> None:
        """Translating exactly `text` into `to` answers `translation`, detected as given."""
        self._scripted[(text, to)] = (translation, detected[0], detected[1])

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("POST", TRANSLATE_PATH, self._translate)]

    def error_body(self, status: int, code: str, message: str) -> dict:
        numeric = int(code) * 1000 if code.isdigit() and len(code) == 3 else code
        return {"error": {"code": numeric, "message": message}}

    async def _translate(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        if request.query.get("api-version") != API_VERSION:
            return _error(400, 400021, "The API version parameter is missing or invalid.")
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            return _error(400, 400002, "The request body is missing or invalid.")
        if len(inputs) > MAX_INPUTS:
            return _error(400, 400077, "The maximum number of array elements has been exceeded.")
        total = sum(len(item.get("text", "")) * len(item.get("targets", [])) for item in inputs)
        if total > MAX_REQUEST_CHARS:
            return _error(400, 400077, "The maximum request size has been exceeded.")
        value: list[dict[str, Any]] = []
        for item in inputs:
            text = item.get("text", "")
            if self.max_text_chars is not None and len(text) > self.max_text_chars:
                return _error(400, 400050, "The input text is too long.")
            source = item.get("language")
            if source is not None and source not in LANGUAGES:
                return _error(400, 400035, "The source language is not valid.")
            targets = [t.get("language") for t in item.get("targets", [])]
            if not targets or any(t not in LANGUAGES for t in targets):
                return _error(400, 400036, "The target language is not valid.")
            value.append(self._item(text, source, targets))
        metered = sum(len(item.get("text", "")) for item in inputs)
        return web.json_response(
            {"value": value},
            headers={"X-RequestId": f"emu-{len(self.requests)}", "x-metered-usage": str(metered)},
        )

    def _item(self, text: str, source: str | None, targets: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        translations = []
        for target in targets:
            scripted = self._scripted.get((text, target))
            if scripted is not None:
                translated, detected, score = scripted
            else:
                detected, score = _detect(text)
                translated = heuristics.translate(
                    text, _base(source or detected), _base(target)
                )
            if source is None:
                out["detectedLanguage"] = {"language": detected, "score": score}
            translations.append({"language": target, "text": translated,
                                 "sourceCharacters": len(text)})
        out["translations"] = translations
        return out


def _detect(text: str) -> tuple[str, float]:
    found = heuristics.detect_language(text)
    if found.iso == heuristics.UNKNOWN.iso:
        return "en", 0.1  # the real service always names some language
    return _DETECTED_CODES.get(found.iso, found.iso), found.score


def _base(code: str) -> str:
    return code.split("-")[0].lower()


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
