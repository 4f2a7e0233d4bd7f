"""One helper each for reading a locale and for telling scripts written without spaces."""

from __future__ import annotations

import pytest

from adapters.locales import primary_language
from adapters.scripts import has_cjk, has_kana, is_unspaced


@pytest.mark.parametrize(
    ("locale", "language"),
    [("es-ES", "es"), ("pt_BR", "pt"), ("zh-Hans", "zh"), ("zh_chs", "zh"), ("EN", "en"),
     (" fr-CA ", "fr"), ("iw", "he"), ("in-ID", "id"), ("nb-NO", "no"), ("", ""), (None, "")],
)
def test_primary_language(locale, language):
    assert primary_language(locale) == language


@pytest.mark.parametrize(
    ("text", "cjk", "unspaced", "kana"),
    [("hello", False, False, False), ("你好", True, True, False), ("ありがとう", True, True, True),
     ("안녕하세요", True, True, False), ("สวัสดี", False, True, False), ("مرحبا", False, False, False)],
)
def test_scripts(text, cjk, unspaced, kana):
    assert (has_cjk(text), is_unspaced(text), has_kana(text)) == (cjk, unspaced, kana)
