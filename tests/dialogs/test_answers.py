"""The answer catalogs: every language ships every list, and free text is read for what it says."""

from __future__ import annotations

import json
import time

import pytest

from dialogs.answers import (
    ANSWERS_DIR,
    LIST_KEYS,
    NUMBER_KEYS,
    NUMBERS,
    ORDINALS,
    Answer,
    answer_languages,
    feeling_of,
    find,
    read_rating,
    said,
    starts_with,
    strong_feeling,
    whole_reply_value,
    words,
)
from dialogs.choices import catalog_languages


def test_every_catalog_language_ships_answers() -> None:
    assert set(answer_languages()) == set(catalog_languages())


@pytest.mark.parametrize("language", sorted(path.stem for path in ANSWERS_DIR.glob("*.json")))
def test_answer_catalogs_have_every_list(language: str) -> None:
    raw = json.loads((ANSWERS_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert set(raw) == {*LIST_KEYS, *NUMBER_KEYS}
    for key in LIST_KEYS:
        if key != "stars":
            assert words(language, key), f"{language}: {key} is empty"
    for key in NUMBER_KEYS:
        assert sorted(raw[key]) == ["1", "2", "3", "4", "5"], f"{language}: {key}"
    assert any(raw[ORDINALS][n] for n in "12345")


@pytest.mark.parametrize(
    ("language", "text", "answer"),
    [
        ("en", "yes, erase all of it", Answer.DELETE),
        ("en", "I'm done here", Answer.DONE),
        ("es", "bórralo todo, por favor", Answer.DELETE),
        ("es", "no analices mis mensajes", Answer.OPT_OUT),
        ("de", "die Analyse bitte ausschalten", Answer.OPT_OUT),
        ("fr", "supprimez tout s'il vous plaît", Answer.DELETE),
        ("ja", "データを全部消してください", Answer.DELETE),
        ("zh", "请把数据都删除", Answer.DELETE),
        ("ar", "امسح كل بياناتي من فضلك", Answer.DELETE),
        ("ru", "удали всё, пожалуйста", Answer.DELETE),
        ("tr", "hepsini sil lütfen", Answer.DELETE),
        ("pt", "pode apagar tudo", Answer.DELETE),
        ("ja", "お願いします", Answer.YES),
        ("de", "lieber nicht", Answer.NO),
    ],
)
def test_requests_in_the_users_words(language: str, text: str, answer: Answer) -> None:
    assert answer.value in said(text, (language, "en"), [a.value for a in Answer])


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "please don't delete anything"),
        ("es", "no borres nada"),
        ("de", "bitte nichts löschen"),
        ("fr", "ne supprimez rien"),
        ("ja", "削除しないでください"),
        ("zh", "不要删除"),
    ],
)
def test_a_negated_request_is_not_a_request(language: str, text: str) -> None:
    hits = [hit for hit in find(text, (language, "en"), (Answer.DELETE.value,))]
    assert hits and all(hit.negated for hit in hits)
    assert Answer.DELETE.value not in said(text, (language, "en"), (Answer.DELETE.value,))


@pytest.mark.parametrize(
    ("language", "text", "feeling"),
    [
        ("en", "I am really upset about it", Answer.NEGATIVE),
        ("en", "not good at all", Answer.NEGATIVE),
        ("en", "pretty good actually", Answer.POSITIVE),
        ("es", "la verdad es que me gustó bastante", Answer.POSITIVE),
        ("es", "estoy muy enfadado con todo esto", Answer.NEGATIVE),
        ("de", "ich bin ziemlich enttäuscht", Answer.NEGATIVE),
        ("fr", "un peu des deux", Answer.MIXED),
        ("ja", "良いところも悪いところもあって、半々かな", Answer.MIXED),
        ("tr", "memnun değilim", Answer.NEGATIVE),
        ("zh", "不满意", Answer.NEGATIVE),
        ("en", "not bad", None),
        ("en", "the parcel took three weeks to arrive", None),
    ],
)
def test_feelings_in_the_users_words(language: str, text: str, feeling: Answer | None) -> None:
    assert feeling_of(text, (language, "en")) is feeling


@pytest.mark.parametrize(
    ("language", "text", "strong"),
    [("en", "I feel so alone lately", True), ("es", "Estoy muy decepcionado", True),
     ("ja", "誰も助けてくれなくて腹が立ちます", True), ("ja", "腹が立たない", False),
     ("de", "ich bin nicht traurig", False), ("en", "the parcel is late", False)],
)
def test_strong_feelings_are_worth_acknowledging(language: str, text: str, strong: bool) -> None:
    assert strong_feeling(text, (language, "en")) is strong


@pytest.mark.parametrize(
    ("language", "text", "value", "sure"),
    [
        ("en", "four stars", 4, True),
        ("ja", "星四つ", 4, True),
        ("ar", "أربعة", 4, True),
        ("de", "Fünf Sterne", 5, True),
        ("tr", "dört yıldız", 4, True),
        ("en", "I'd give it a 3", 3, True),
        ("en", "I waited 3 days for it and nobody answered", 3, False),
        ("es", "muy bueno", None, False),
        ("es", "es una maravilla", None, False),
    ],
)
def test_ratings_in_words_and_how_sure(language: str, text: str, value: int | None, sure: bool) -> None:
    read = read_rating(text, (language, "en"))
    assert (read.value, read.sure) == (value, sure)


def test_a_number_off_the_scale_is_reported() -> None:
    assert read_rating("7", ("en",)).off_scale == 7
    assert read_rating("10/10", ("en",)).value is None


@pytest.mark.parametrize(
    ("language", "text", "value"),
    [("en", "the second one", 2), ("ja", "二番目", 2), ("ja", "三", 3), ("es", "la primera", 1),
     ("de", "die dritte", None), ("de", "dritte", 3), ("fr", "deuxième", 2), ("en", "2", 2)],
)
def test_a_whole_reply_that_is_a_number_or_an_ordinal(language: str, text: str, value: int | None) -> None:
    assert whole_reply_value(text, (language, "en"), (NUMBERS, ORDINALS)) == value


@pytest.mark.parametrize(
    ("text", "opens"),
    [("yes please, someone who can help", True), ("Yes!", True), ("yesterday it broke", False)],
)
def test_a_reply_that_opens_with_yes(text: str, opens: bool) -> None:
    assert starts_with(text, ("en",), Answer.YES.value, ("yes",)) is opens


@pytest.mark.parametrize("unit", ["a ", "no ", "delete ", "don't ", "四", "not good ", "1 ", "a" * 40 + ", ", "وال", "وال ", "ו", "،لا "])
def test_reading_a_huge_reply_stays_linear(unit: str) -> None:
    text = unit * (100_000 // len(unit))
    languages = tuple(answer_languages())
    started = time.perf_counter()
    find(text, languages, [a.value for a in Answer])
    feeling_of(text, languages)
    read_rating(text, languages)
    starts_with(text, languages, Answer.YES.value)
    assert time.perf_counter() - started < 10.0
