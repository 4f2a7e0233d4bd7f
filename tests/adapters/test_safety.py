"""The lexicon safety checker: distress in every supported language, everyday hyperbole left alone."""

from __future__ import annotations

import pytest

from adapters.contracts import SUPPORTED_LANGUAGES, SafetyChecker
from adapters.local_safety import (
    DISTRESS,
    LEXICONS,
    SELF_HARM,
    SUICIDAL,
    LexiconSafetyChecker,
    normalize,
)


@pytest.fixture(scope="module")
def checker() -> LexiconSafetyChecker:
    return LexiconSafetyChecker()


def test_is_a_safety_checker(checker: LexiconSafetyChecker) -> None:
    assert isinstance(checker, SafetyChecker)


def test_every_supported_language_has_every_category() -> None:
    assert set(LEXICONS) == set(SUPPORTED_LANGUAGES)
    for language, by_category in LEXICONS.items():
        for category in (SUICIDAL, SELF_HARM, DISTRESS):
            assert by_category.get(category), f"{language} has no {category} phrases"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I want to die"),
        ("en", "honestly there's no reason to live anymore"),
        ("en", "I'm going to kill myself lol"),  # sarcasm is still flagged
        ("en", "everyone would be better off without me"),
        ("es", "Quiero morir"),
        ("es", "me quiero matar"),
        ("es", "Ya no quiero vivir"),
        ("fr", "Je veux mourir"),
        ("fr", "j’ai envie de mourir"),
        ("de", "Ich möchte sterben"),
        ("de", "ich will mich umbringen"),
        ("ja", "もう死にたい"),
        ("ja", "生きる意味がない"),
        ("ar", "أريدُ أنْ أموت"),
        ("ar", "بدي موت"),
        ("hi", "मैं मरना चाहता हूँ"),
        ("hi", "main marna chahta hu"),
        ("ru", "Я хочу умереть"),
        ("ru", "покончу с собой"),
        ("zh", "我想死"),
        ("zh", "我不想活了"),
        ("zh", "我真的活不下去"),
        ("ko", "죽고 싶어요"),
        ("he", "אני רוצה למות"),
        ("vi", "Tôi muốn chết"),
        ("vi", "toi muon chet"),
        ("tr", "Ölmek istiyorum"),
        ("pl", "Chcę umrzeć"),
        ("cs", "Chci umřít"),
        ("el", "Θέλω να πεθάνω"),
        ("uk", "Я вб’ю себе"),
        ("ro", "Vreau să mor"),
        ("id", "aku ingin mati"),
        ("nl", "Ik wil dood"),
        ("sv", "Jag vill dö"),
        ("da", "Jeg vil dø"),
        ("it", "Voglio morire"),
        ("pt", "Quero morrer"),
    ],
)
def test_suicidal_ideation_is_flagged(checker: LexiconSafetyChecker, language: str, text: str) -> None:
    result = checker.check_sync(text, language=language)
    assert result.flagged
    assert result.category == SUICIDAL
    assert result.matched and result.engine == "lexicon"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I keep cutting myself"),
        ("en", "thinking about self-harm again"),
        ("es", "quiero hacerme daño"),
        ("fr", "j'ai envie de me faire du mal"),
        ("de", "ich ritze mich"),
        ("ja", "リスカしちゃった"),
        ("zh", "我又伤害自己了"),
        ("ru", "хочу причинить себе боль"),
        ("ar", "أريد أن أؤذي نفسي"),
        ("hi", "खुद को नुकसान पहुंचाना"),
    ],
)
def test_self_harm_is_flagged(checker: LexiconSafetyChecker, language: str, text: str) -> None:
    result = checker.check_sync(text, language=language)
    assert (result.flagged, result.category) == (True, SELF_HARM)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I can't go on like this"),
        ("es", "ya no aguanto más"),
        ("fr", "je n'en peux plus"),
        ("de", "Ich kann nicht mehr"),
        ("ja", "もう限界"),
        ("ru", "я больше не могу"),
    ],
)
def test_distress_is_flagged(checker: LexiconSafetyChecker, language: str, text: str) -> None:
    result = checker.check_sync(text, language=language)
    assert (result.flagged, result.category) == (True, DISTRESS)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I hate this product"),
        ("en", "this bug is killing me"),
        ("en", "The Suicide Squad movie was fun"),
        ("en", "I could die for this cake"),
        ("en", "my battery died again"),
        ("en", "Thanks, the support team was great!"),
        ("es", "el jefe me va a matar"),
        ("es", "odio este producto"),
        ("fr", "ce bug me tue"),
        ("de", "Das Produkt ist furchtbar"),
        ("zh", "我想死你了"),  # "I miss you so much"
        ("vi", "từ từ thôi"),  # "slowly", not "tự tử"
        ("ja", "この映画、死ぬほど面白い"),
        ("ar", "هذا المنتج سيء جدا"),
        ("", ""),
        ("en", "   "),
    ],
)
def test_everyday_text_is_not_flagged(checker: LexiconSafetyChecker, language: str, text: str) -> None:
    result = checker.check_sync(text, language=language)
    assert not result.flagged, result.matched
    assert result.category == "" and result.matched == ()


def test_misdetected_language_still_flags(checker: LexiconSafetyChecker) -> None:
    assert checker.check_sync("quiero morir", language="pt").flagged
    assert checker.check_sync("死にたい", language="zh").flagged


def test_most_severe_category_wins(checker: LexiconSafetyChecker) -> None:
    result = checker.check_sync("I can't go on, I want to die", language="en")
    assert result.category == SUICIDAL
    assert set(result.matched) == {"can't go on", "want to die"}


def test_matching_ignores_case_accents_and_spacing(checker: LexiconSafetyChecker) -> None:
    assert checker.check_sync("QUIERO   MORÍR", language="es").flagged
    assert checker.check_sync("nao quero mais viver", language="pt").flagged
    assert checker.check_sync("죽고싶어", language="ko").flagged


def test_normalize_folds_case_marks_and_apostrophes() -> None:
    assert normalize("Ich MÖCHTE") == "ich mochte"
    assert normalize("can’t") == "can't"
    assert normalize("أريدُ") == "اريد"
    assert normalize("Tôi muốn", strip_marks=False) == "tôi muốn"


def test_unknown_category_is_rejected() -> None:
    with pytest.raises(ValueError):
        LexiconSafetyChecker({"en": {"sadness": ("sad",)}})


@pytest.mark.parametrize(
    "text",
    ["I wanna die", "kms", "suicide", "I'd rather be dead", "I want to hang myself",
     "ich will nicht mehr", "je veux en finir"],
)
def test_reported_misses_are_flagged(checker: LexiconSafetyChecker, text: str) -> None:
    """The misses reported by a user test of the first version (issue 11)."""
    assert checker.check_sync(text, language="en").flagged


@pytest.mark.parametrize(
    "text",
    ["I ran 5 kms today", "ich will nicht mehr warten", "an article on suicide rates in Japan",
     "can you hang the picture yourself?"],
)
def test_new_phrases_leave_their_everyday_neighbours_alone(checker: LexiconSafetyChecker, text: str) -> None:
    assert not checker.check_sync(text, language="en").flagged
