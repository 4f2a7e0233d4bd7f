"""Translation with Azure Translator (TextTranslationClient.translate, API 2026-06-06).

All texts of a turn go in one request. Texts over 5,120 characters are split at
sentence/whitespace boundaries into several inputs of that same request and joined
back with their original whitespace. A request carries at most 1,000 inputs and
50,000 characters; only beyond that is a turn split into several concurrent requests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from azure.ai.translation.text.aio import TextTranslationClient
from azure.ai.translation.text.models import TranslateInputItem, TranslationTarget
from azure.core.exceptions import HttpResponseError

from adapters.azure_clients import AzureCallOptions, LazyClient, base_language, run_all, sdk_errors
from adapters.config import AzureTranslatorConfig
from adapters.contracts import EngineError, TranslationResult, UnsupportedLanguageError
from adapters.text_limits import MAX_DOCUMENT_CHARS, split_text, strip_edges

MAX_INPUTS = 1000
MAX_REQUEST_CHARS = 50_000
# The bot's ISO 639-1 codes where Translator wants another spelling.
_SERVICE_CODES = {"zh": "zh-Hans"}
_BAD_SOURCE, _BAD_TARGET = "400035", "400036"


@dataclass(frozen=True)
class _Input:
    """One request input: the core of one piece of one text, and where it goes back."""

    text_index: int
    lead: str
    core: str
    trail: str


class AzureTranslator:
    """Translator over the official async TextTranslationClient, batched per turn."""

    name = "azure"

    def __init__(
        self,
        config: AzureTranslatorConfig,
        *,
        options: AzureCallOptions | None = None,
        max_input_chars: int = MAX_DOCUMENT_CHARS,
    ) -> None:
        self._max_chars = max_input_chars
        call_options = options or AzureCallOptions()

        def build(credential: object) -> TextTranslationClient:
            # The SDK needs a resource id beside a region for Entra ID tokens, so the
            # region is only sent with a key (keyless use needs a custom-domain endpoint).
            region = config.region if config.key else None
            return TextTranslationClient(
                config.endpoint, credential, region=region,  # type: ignore[arg-type]
                **call_options.client_kwargs(),
            )

        self._client = LazyClient(build, config.key).attach()

    async def translate(
        self, texts: Sequence[str], *, to: str, source: str | None = None
    ) -> list[TranslationResult]:
        inputs: list[_Input] = []
        for index, text in enumerate(texts):
            for piece in split_text(text, self._max_chars):
                lead, core, trail = strip_edges(piece.text)
                inputs.append(_Input(index, lead, core, trail))
        to_send = [item for item in inputs if item.core]
        answers: list[tuple[str, str | None, float | None]] = []
        if to_send:
            batches = _pack(to_send)
            replies = await run_all([self._call(batch, to, source) for batch in batches])
            answers = [answer for reply in replies for answer in reply]
        return self._assemble(len(texts), inputs, iter(answers), to, source)

    async def _call(
        self, batch: Sequence[_Input], to: str, source: str | None
    ) -> list[tuple[str, str | None, float | None]]:
        client = self._client.get()
        target = _SERVICE_CODES.get(to, to)
        source_code = _SERVICE_CODES.get(source, source) if source else None
        body = [
            TranslateInputItem(
                text=item.core, language=source_code, targets=[TranslationTarget(language=target)]
            )
            for item in batch
        ]
        async with sdk_errors(self.name):
            try:
                items = await client.translate(body)
            except HttpResponseError as exc:
                code = str(getattr(exc.error, "code", "") or "")
                if code == _BAD_TARGET:
                    raise UnsupportedLanguageError(self.name, to) from exc
                if code == _BAD_SOURCE and source:
                    raise UnsupportedLanguageError(self.name, source) from exc
                raise
            if len(items) != len(batch):
                raise EngineError(self.name, "response has the wrong number of items")
            out: list[tuple[str, str | None, float | None]] = []
            for item in items:
                if not item.translations:
                    raise EngineError(self.name, "response item has no translation")
                detected = item.detected_language
                out.append((
                    item.translations[0].text,
                    detected.language if detected is not None else None,
                    float(detected.score) if detected is not None else None,
                ))
            return out

    def _assemble(
        self,
        count: int,
        inputs: Sequence[_Input],
        answers: Iterator[tuple[str, str | None, float | None]],
        to: str,
        source: str | None,
    ) -> list[TranslationResult]:
        """Join each text's pieces back, in input order (answers follow the sent order)."""
        joined: list[list[str]] = [[] for _ in range(count)]
        # Per text: (length of its longest piece, detected language, score).
        detected: list[tuple[int, str | None, float | None]] = [(-1, None, None)] * count
        for item in inputs:
            if not item.core:
                joined[item.text_index].append(item.lead)
                continue
            text, language, score = next(answers)
            joined[item.text_index].append(item.lead + text + item.trail)
            if len(item.core) > detected[item.text_index][0]:
                detected[item.text_index] = (len(item.core), language, score)
        results: list[TranslationResult] = []
        for index in range(count):
            _, language, score = detected[index]
            results.append(TranslationResult(
                text="".join(joined[index]),
                source_language=source or (base_language(language) if language else "und"),
                target_language=to,
                engine=self.name,
                source_score=None if source else score,
            ))
        return results

    async def close(self) -> None:
        await self._client.close()


def _pack(inputs: Sequence[_Input]) -> list[list[_Input]]:
    """Fill requests up to the service's input-count and character limits."""
    batches: list[list[_Input]] = [[]]
    chars = 0
    for item in inputs:
        size = len(item.core)
        if batches[-1] and (len(batches[-1]) >= MAX_INPUTS or chars + size > MAX_REQUEST_CHARS):
            batches.append([])
            chars = 0
        batches[-1].append(item)
        chars += size
    return batches
