"""Keep names, e-mail addresses, URLs, numbers and codes as written through translation.

Protected spans are swapped for numbered placeholders before the text goes to a
translator and swapped back afterwards, so no engine can alter them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PROTECTED = re.compile(
    r"(?:https?://|www\.)\S+?(?=[.,;:!?)\]]*(?:\s|$))"  # URLs, without trailing punctuation
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|[@#][\w-]+"  # mentions, hashtags
    r"|\b(?=[A-Z0-9_-]*\d)[A-Z0-9]+(?:[-_][A-Z0-9]+)+\b"  # codes like AB-1234, TKT_99
    r"|\b(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{3,}\b"  # codes like X9Z7
    r"|\b\d+(?:[.,:/]\d+)*%?"  # numbers, dates, times, percentages
)
_PLACEHOLDER = re.compile(r"\[\[(\d+)\]\]")


@dataclass(frozen=True)
class Protected:
    text: str
    spans: tuple[str, ...]

    def restore(self, translated: str) -> str:
        """Put the original spans back; a placeholder the engine dropped is appended."""
        used: set[int] = set()

        def put_back(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index >= len(self.spans):
                return match.group(0)
            used.add(index)
            return self.spans[index]

        restored = _PLACEHOLDER.sub(put_back, translated)
        missing = [span for index, span in enumerate(self.spans) if index not in used]
        return " ".join([restored, *missing]) if missing else restored


def protect(text: str, keep: Iterable[str] = ()) -> Protected:
    """Replace protected spans (and any `keep` strings, e.g. names) with placeholders."""
    spans: list[str] = []

    def hold(value: str) -> str:
        spans.append(value)
        return f"[[{len(spans) - 1}]]"

    extra = sorted({value for value in keep if value and value in text}, key=len, reverse=True)
    if extra:
        pattern = re.compile("|".join(re.escape(value) for value in extra) + "|" + PROTECTED.pattern)
    else:
        pattern = PROTECTED
    masked = pattern.sub(lambda match: hold(match.group(0)), text)
    return Protected(masked, tuple(spans))
