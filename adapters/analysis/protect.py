"""Keep names, e-mail addresses, URLs, numbers and codes as written through translation.

Protected spans are swapped for numbered placeholders before the text goes to a
translator and swapped back afterwards, so no engine can alter them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Every branch is linear in the text's length: a URL runs to the next space (its trailing
# punctuation is handed back afterwards), and the e-mail and code branches are bounded,
# so no start position can scan an unbroken token to its end (a quadratic search).
PROTECTED = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs (trailing punctuation is given back in `_split_url`)
    r"|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"  # e-mail addresses
    r"|[@#][\w-]+"  # mentions, hashtags
    r"|\b(?=[A-Z0-9_-]{0,64}\d)[A-Z0-9]{1,32}(?:[-_][A-Z0-9]{1,32}){1,8}\b"  # codes like AB-1234, TKT_99
    r"|\b(?=[A-Z]{0,32}\d)(?=\d{0,32}[A-Z])[A-Z0-9]{3,32}\b"  # codes like X9Z7
    r"|\b\d+(?:[.,:/]\d+)*%?"  # numbers, dates, times, percentages
)
_URL_START = ("http://", "https://", "www.")
_URL_TRAILING = ".,;:!?)]"


def _split_url(span: str) -> tuple[str, str]:
    """A URL and the sentence punctuation after it ("see https://x.test/a." -> URL, ".")."""
    if not span.startswith(_URL_START):
        return span, ""
    kept = span.rstrip(_URL_TRAILING)
    if len(kept) <= len("www.") or kept in _URL_START:
        kept = span[: max(len(kept), 1)]
    return kept, span[len(kept):]


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
        value, trailing = _split_url(value)
        spans.append(value)
        return f"[[{len(spans) - 1}]]{trailing}"

    extra = sorted({value for value in keep if value and value in text}, key=len, reverse=True)
    if extra:
        pattern = re.compile("|".join(re.escape(value) for value in extra) + "|" + PROTECTED.pattern)
    else:
        pattern = PROTECTED
    masked = pattern.sub(lambda match: hold(match.group(0)), text)
    return Protected(masked, tuple(spans))
