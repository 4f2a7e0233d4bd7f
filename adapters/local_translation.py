"""Offline translation: there is no usable offline model, so user text passes through, flagged.

Nothing pretends to have translated: `translated` is False whenever the text would
have needed translating. When the source already is the target language, the
original text *is* the translation, so `translated` is True.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.contracts import TranslationResult
from adapters.locales import primary_language

UNDETERMINED = "und"


class PassthroughTranslator:
    """`Translator` that returns each text unchanged, honestly marked."""

    name = "local"

    async def translate(
        self, texts: Sequence[str], *, to: str, source: str | None = None
    ) -> list[TranslationResult]:
        """One result per text; `translated` only when source and target are the same language.

        `source` is reported as given (the pipeline passes the detected language);
        without it the source is "und" and the text is flagged untranslated.
        """
        source_language = source or UNDETERMINED
        same = source is not None and primary_language(source) == primary_language(to)
        return [
            TranslationResult(
                text=text,
                source_language=source_language,
                target_language=to,
                engine=self.name,
                translated=same,
            )
            for text in texts
        ]

    async def close(self) -> None:
        """Nothing to release."""
