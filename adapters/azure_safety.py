"""Self-harm detection with Azure AI Content Safety (ContentSafetyClient.analyze_text, SelfHarm).

One text is one request of at most 10,000 characters; a longer text is split and every
part is analysed (a few at a time): the text's severity is the highest part's, so a
flag anywhere flags the whole. A part that flags is a flag even when another part
failed; with no flag, any failed part makes the check an EngineError, because
"not flagged" cannot be said about text nobody read.
"""

from __future__ import annotations

import asyncio

from azure.ai.contentsafety.aio import ContentSafetyClient
from azure.ai.contentsafety.models import AnalyzeTextOptions, AnalyzeTextOutputType, TextCategory

from adapters.azure_clients import AzureCallOptions, LazyClient, run_all, sdk_errors
from adapters.config import AzureContentSafetyConfig
from adapters.contracts import EngineError, SafetyResult
from adapters.text_limits import split_text

MAX_TEXT_CHARS = 10_000  # Unicode code points per analyze_text request
MAX_SEVERITY = 7
MAX_PARTS_IN_FLIGHT = 4
CATEGORY = "self_harm"


def content_safety_client(
    config: AzureContentSafetyConfig, options: AzureCallOptions | None = None
) -> LazyClient[ContentSafetyClient]:
    """The lazily built Content Safety client (key, or DefaultAzureCredential without one)."""
    call_options = options or AzureCallOptions()
    return LazyClient(
        lambda credential: ContentSafetyClient(
            config.endpoint, credential, **call_options.client_kwargs()
        ),
        config.key,
    )


class AzureContentSafetyChecker:
    """SafetyChecker over the official async ContentSafetyClient, SelfHarm category only.

    `severity_threshold` is on the service's 0-7 scale; answers come in four levels
    (0, 2, 4, 6), so 3 behaves as 4 and 5 as 6. The service reads many languages
    itself and takes no language hint: `language` is not sent.
    """

    name = "azure"

    def __init__(
        self,
        config: AzureContentSafetyConfig,
        *,
        severity_threshold: int = 2,
        options: AzureCallOptions | None = None,
        client: LazyClient[ContentSafetyClient] | None = None,
    ) -> None:
        if not 1 <= severity_threshold <= MAX_SEVERITY:
            raise ValueError(f"severity_threshold must be 1..{MAX_SEVERITY}, not {severity_threshold}")
        self.severity_threshold = severity_threshold
        self._client = (client or content_safety_client(config, options)).attach()

    async def check(self, text: str, *, language: str) -> SafetyResult:
        parts = [piece.text for piece in split_text(text, MAX_TEXT_CHARS) if piece.text.strip()]
        if not parts:
            return self._result(0)  # blank text: nothing to analyse, no call
        client = self._client.get()
        in_flight = asyncio.Semaphore(MAX_PARTS_IN_FLIGHT)  # per message: other turns are not queued
        answers = await run_all([self._part(client, part, in_flight) for part in parts])
        severities = [a for a in answers if isinstance(a, int)]
        severity = max(severities, default=0)
        if severity >= self.severity_threshold:
            return self._result(severity)
        failures = [a for a in answers if isinstance(a, EngineError)]
        if failures:
            raise failures[0]
        return self._result(severity)

    async def _part(
        self, client: ContentSafetyClient, text: str, in_flight: asyncio.Semaphore
    ) -> int | EngineError:
        """One part's SelfHarm severity, or the EngineError that kept it from an answer."""
        try:
            async with in_flight:
                return await self._analyze(client, text)
        except EngineError as error:
            return error

    async def _analyze(self, client: ContentSafetyClient, text: str) -> int:
        async with sdk_errors(self.name):
            result = await client.analyze_text(
                AnalyzeTextOptions(
                    text=text,
                    categories=[TextCategory.SELF_HARM],
                    output_type=AnalyzeTextOutputType.FOUR_SEVERITY_LEVELS,
                )
            )
            return self._severity(result.categories_analysis)

    def _severity(self, analysis: object) -> int:
        if not isinstance(analysis, list):
            raise EngineError(self.name, "malformed response: no categoriesAnalysis")
        for entry in analysis:
            if entry.category == TextCategory.SELF_HARM:
                severity = entry.severity
                if isinstance(severity, bool) or not isinstance(severity, int):
                    raise EngineError(self.name, "malformed response: SelfHarm severity is not a number")
                if not 0 <= severity <= MAX_SEVERITY:
                    raise EngineError(self.name, f"malformed response: SelfHarm severity {severity}")
                return severity
        raise EngineError(self.name, "malformed response: no SelfHarm analysis")

    def _result(self, severity: int) -> SafetyResult:
        flagged = severity >= self.severity_threshold
        return SafetyResult(
            flagged=flagged,
            engine=self.name,
            category=CATEGORY if flagged else "",
            score=severity / MAX_SEVERITY,
            severity=severity,
        )

    async def close(self) -> None:
        await self._client.close()
