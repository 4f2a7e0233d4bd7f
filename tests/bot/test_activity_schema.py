"""The structure check finds a lone surrogate wherever it is, and passes ASCII and real Unicode text."""

from __future__ import annotations

import pytest

from bot.activity_schema import InvalidActivity, check_structure


@pytest.mark.parametrize("payload", [
    {"text": "caf\u00e9 \U0001f44b \u6b7b\u306b\u305f\u3044", "ids": ["a", "b"], "n": [1, 2.5, None, True]},
    {"plain": "ascii only", "nested": {"deeper": [{"k": "v"}]}},
])
def test_text_without_a_lone_surrogate_passes(payload: object) -> None:
    check_structure(payload)


@pytest.mark.parametrize("payload", [
    {"text": "ok \ud800"},
    {"nested": [{"deep": ["\udfff tail"]}]},
    {"key \udc00": "value"},
    {"text": "caf\u00e9 \ud83d"},  # a high surrogate alone, after other non-ASCII text
])
def test_a_lone_surrogate_anywhere_is_refused(payload: object) -> None:
    with pytest.raises(InvalidActivity, match="unpaired surrogate"):
        check_structure(payload)
