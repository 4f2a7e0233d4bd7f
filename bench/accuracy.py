"""Accuracy and per-call latency of the cognitive engines on ../shared/data (language ID, sentiment).

Run from the repository root: .venv/bin/python -m bench.accuracy [--engines local]
Prints a table per capability and writes bench/results/accuracy.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adapters.config import AzureLanguageConfig, EngineConfig
from adapters.contracts import LanguageDetector, SentimentAnalyzer, SentimentLabel
from bench.train_sentiment_head import DEFAULT_DATA, XLMT_LANGUAGES, load_split

RESULTS = Path(__file__).resolve().parent / "results" / "accuracy.json"
LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)


@dataclass(frozen=True)
class EngineSet:
    """The language and sentiment engines measured under one name, and how to release them."""

    name: str
    language: LanguageDetector
    sentiment: SentimentAnalyzer
    close: Callable[[], Awaitable[None]]


def build_chain(order: tuple[str, ...], timeout_s: float) -> EngineSet:
    """The configured fallback chains (adapters.engines), e.g. ("local",) or ("azure", "local").

    The per-call budget is generous here: this bench measures accuracy, the turn
    bench measures latency under budget.
    """
    from adapters.engines import build_engines

    config = EngineConfig(
        language_engines=order, sentiment_engines=order, translation_engines=("local",),
        call_timeout_s=timeout_s, azure_language=azure_language_from_env(),
    )
    engines = build_engines(config)
    return EngineSet("+".join(order), engines.language, engines.sentiment, engines.close)


def azure_language_from_env() -> AzureLanguageConfig | None:
    """Azure AI Language settings when AZURE_LANGUAGE_ENDPOINT is set (key optional)."""
    endpoint = os.environ.get("AZURE_LANGUAGE_ENDPOINT", "")
    if not endpoint:
        return None
    return AzureLanguageConfig(endpoint, os.environ.get("AZURE_LANGUAGE_KEY") or None)


def _latency(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


async def language_accuracy(
    engine: LanguageDetector, data_dir: Path, languages: Sequence[str], limit: int | None
) -> dict[str, object]:
    """Accuracy per language on sentences and word pairs; one text per call (a chat turn)."""
    folder = data_dir / "langid-lingua-dev"
    per_language: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    for lang in languages:
        row: dict[str, float] = {}
        for kind in ("sentences", "word-pairs"):
            lines = [x for x in (folder / f"{lang}.{kind}.txt").read_text("utf-8").splitlines()
                     if x.strip()][:limit]
            right = confident = confident_right = 0
            for line in lines:
                t0 = time.perf_counter()
                [result] = await engine.detect([line])
                latencies.append((time.perf_counter() - t0) * 1000)
                ok = result.language == lang
                right += ok
                if result.score >= 0.5:
                    confident += 1
                    confident_right += ok
            row[kind] = right / len(lines)
            row[f"{kind}_coverage@0.5"] = confident / len(lines)
            row[f"{kind}_accuracy@0.5"] = confident_right / confident if confident else 0.0
        per_language[lang] = row
    summary = {
        kind: {
            "mean": float(np.mean([r[kind] for r in per_language.values()])),
            "min": float(min(r[kind] for r in per_language.values())),
        }
        for kind in ("sentences", "word-pairs")
    }
    return {"per_language": per_language, "summary": summary, "latency": _latency(latencies)}


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the three gold classes; a `mixed` answer (-1) is wrong for every class."""
    scores = []
    for c in range(3):
        tp = int(np.sum((pred == c) & (gold == c)))
        fp = int(np.sum((pred == c) & (gold != c)))
        fn = int(np.sum((pred != c) & (gold == c)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


async def sentiment_accuracy(
    engine: SentimentAnalyzer, data_dir: Path, split: str, limit: int | None, batch: int = 16
) -> dict[str, object]:
    """3-class accuracy, macro-F1 and confident-half accuracy per language (mixed counts wrong)."""
    per_language: dict[str, dict[str, float]] = {}
    pooled: list[tuple[float, bool]] = []
    latencies: list[float] = []
    for name, lang in XLMT_LANGUAGES.items():
        data = load_split(data_dir, split, name)
        texts, gold = list(data.texts[:limit]), data.labels[:limit]
        results = []
        for i in range(0, len(texts), batch):
            results.extend(await engine.analyze(texts[i : i + batch], language=lang))
        for text in texts[:30]:
            t0 = time.perf_counter()
            await engine.analyze([text], language=lang)
            latencies.append((time.perf_counter() - t0) * 1000)
        pred = np.array([LABELS.index(r.label) if r.label in LABELS else -1 for r in results])
        conf = np.array([r.confidence for r in results])
        right = pred == gold
        top = np.argsort(-conf, kind="stable")[: len(conf) // 2]
        pooled.extend(zip(conf.tolist(), right.tolist(), strict=True))
        per_language[lang] = {
            "accuracy": float(right.mean()),
            "macro_f1": macro_f1(gold, pred),
            "confident_half_accuracy": float(right[top].mean()),
            "mixed_rate": float(np.mean(pred == -1)),
            "n": len(texts),
        }
    pooled.sort(key=lambda item: -item[0])
    half = pooled[: len(pooled) // 2]
    summary = {
        "accuracy_mean": float(np.mean([r["accuracy"] for r in per_language.values()])),
        "accuracy_min": float(min(r["accuracy"] for r in per_language.values())),
        "macro_f1_mean": float(np.mean([r["macro_f1"] for r in per_language.values()])),
        "confident_half_accuracy": float(np.mean([ok for _, ok in half])),
        "rest_accuracy": float(np.mean([ok for _, ok in pooled[len(pooled) // 2 :]])),
    }
    return {"split": split, "per_language": per_language, "summary": summary,
            "latency": _latency(latencies)}


def print_tables(name: str, language: dict, sentiment: dict) -> None:
    """Markdown tables, one per capability."""
    if language:
        print(f"\n## Language ID, engine {name} (langid-lingua-dev, one text per call)\n")
        print("| lang | sentences | word pairs | word pairs: share >= 0.5 | accuracy there |")
        print("| --- | --- | --- | --- | --- |")
        for lang, r in language["per_language"].items():
            print(f"| {lang} | {r['sentences']:.3f} | {r['word-pairs']:.3f} | "
                  f"{r['word-pairs_coverage@0.5']:.2f} | {r['word-pairs_accuracy@0.5']:.3f} |")
        s = language["summary"]
        print(f"| **mean** | **{s['sentences']['mean']:.4f}** | **{s['word-pairs']['mean']:.4f}**"
              " | | |")
        print(f"| min | {s['sentences']['min']:.3f} | {s['word-pairs']['min']:.3f} | | |")
        lat = language["latency"]
        print(f"\nlatency per call: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms")
    if sentiment:
        print(f"\n## Sentiment, engine {name} (sentiment-xlmt-{sentiment['split']})\n")
        print("| lang | accuracy | macro-F1 | confident-half accuracy | mixed rate |")
        print("| --- | --- | --- | --- | --- |")
        for lang, r in sentiment["per_language"].items():
            print(f"| {lang} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
                  f"{r['confident_half_accuracy']:.3f} | {r['mixed_rate']:.3f} |")
        s = sentiment["summary"]
        print(f"| **mean** | **{s['accuracy_mean']:.3f}** | {s['macro_f1_mean']:.3f} | "
              f"**{s['confident_half_accuracy']:.3f}** (pooled; rest {s['rest_accuracy']:.3f})"
              " | |")
        lat = sentiment["latency"]
        print(f"\nlatency per call (one text): p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms")


async def run(args: argparse.Namespace) -> dict[str, object]:
    report: dict[str, object] = {"data": str(args.data), "engines": {}}
    languages = EngineConfig().supported_languages
    for spec in args.engines or ["local"]:
        engines = build_chain(tuple(spec.split(",")), args.timeout)
        try:
            language = {} if args.skip_language else await language_accuracy(
                engines.language, args.data, languages, args.limit)
            sentiment = {} if args.skip_sentiment else await sentiment_accuracy(
                engines.sentiment, args.data, args.split, args.limit)
        finally:
            await engines.close()
        print_tables(engines.name, language, sentiment)
        report["engines"][engines.name] = {  # type: ignore[index]
            "language": language, "sentiment": sentiment,
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--engines", action="append",
        help="one chain as a comma-separated engine order (repeatable); default: local",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="per-call budget, seconds")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="test", choices=("val", "test"),
                        help="sentiment split (final figures: test)")
    parser.add_argument("--limit", type=int, default=None, help="lines per file (quick runs)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--skip-language", action="store_true")
    parser.add_argument("--skip-sentiment", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
