"""Offline translation passes text through and never claims to have translated it."""

from __future__ import annotations

from adapters.contracts import Translator
from adapters.local_translation import PassthroughTranslator


async def test_foreign_text_passes_through_flagged_untranslated() -> None:
    translator = PassthroughTranslator()
    assert isinstance(translator, Translator)
    [result] = await translator.translate(["Hola, ¿cómo estás?"], to="en", source="es")
    assert result.text == "Hola, ¿cómo estás?"
    assert result.translated is False
    assert (result.source_language, result.target_language, result.engine) == ("es", "en", "local")


async def test_same_language_is_trivially_translated() -> None:
    results = await PassthroughTranslator().translate(["Hello", "Bye"], to="en", source="en-US")
    assert [r.text for r in results] == ["Hello", "Bye"]
    assert all(r.translated for r in results)


async def test_unknown_source_is_untranslated_and_undetermined() -> None:
    [result] = await PassthroughTranslator().translate(["Bonjour"], to="en")
    assert result.translated is False
    assert result.source_language == "und"


async def test_empty_batch_gives_no_results() -> None:
    translator = PassthroughTranslator()
    assert await translator.translate([], to="fr") == []
    await translator.close()
