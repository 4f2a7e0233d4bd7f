"""Which writing systems a text uses, for the rules that depend on them.

Scripts written without spaces between words (Chinese, Japanese, Korean, Thai) break the
rules that count words or match whole words; kana alone marks Japanese. Linear scans only.
"""

from __future__ import annotations

import re

# Kana, CJK ideographs (extension A and the main block), Hangul syllables.
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_THAI = "\u0e00-\u0e7f"
CJK_CHARACTER = re.compile(f"[{_CJK}]")
UNSPACED_CHARACTER = re.compile(f"[{_CJK}{_THAI}]")
KANA_CHARACTER = re.compile(r"[\u3040-\u30ff]")


def has_cjk(text: str) -> bool:
    """True when the text has Chinese, Japanese or Korean characters."""
    return CJK_CHARACTER.search(text) is not None


def is_unspaced(text: str) -> bool:
    """True when the text has characters of a script written without spaces (CJK or Thai)."""
    return UNSPACED_CHARACTER.search(text) is not None


def has_kana(text: str) -> bool:
    """True when the text has hiragana or katakana (so it is Japanese, not Chinese)."""
    return KANA_CHARACTER.search(text) is not None
