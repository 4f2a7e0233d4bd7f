"""Names, e-mail addresses, URLs, numbers and codes survive translation as written."""

from __future__ import annotations

from adapters.analysis.protect import protect


def test_protected_spans_are_masked_and_restored() -> None:
    text = "Write to ana.lopez@example.com or see https://example.com/help, ticket AB-1234, 3 items"
    kept = protect(text, keep=["Ana"])
    assert kept.spans == ("ana.lopez@example.com", "https://example.com/help", "AB-1234", "3")
    assert "@" not in kept.text and "http" not in kept.text
    assert kept.restore(kept.text) == text


def test_names_given_as_keep_are_masked() -> None:
    kept = protect("Thanks, Zoë Müller!", keep=["Zoë Müller"])
    assert "Zoë" not in kept.text
    assert kept.restore(kept.text.replace("Thanks", "Gracias")) == "Gracias, Zoë Müller!"


def test_a_placeholder_dropped_by_the_engine_is_not_lost() -> None:
    kept = protect("Call 555-0100 now")
    assert kept.restore("Llama ahora") .endswith("555-0100")
