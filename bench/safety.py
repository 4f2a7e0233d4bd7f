"""Distress detection on the validation split: recall and false alarms per language and category.

Scores the lexicon alone, the learned engine alone and both combined (any flag wins,
as the safety chain does), on data/safety/val (written apart from both detectors, see
data/safety/README.md). The learned engine runs as in a turn: the sentiment engine
(default cascade) scores the message first and lends its embedding; the "analysis off"
rows run it without sentiment (its n-gram gate decides what to embed).
Also the CPU each message adds: the safety engines' own CPU over a turn's sentiment, and
how much held-out ordinary text the gate clears without the encoder (bench/safety_gate.py).
Run: .venv/bin/python -m bench.safety [--split val]   (writes bench/results/safety.json)
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from adapters.embedding_cache import EmbeddingCache
from adapters.learned_safety import LearnedSafetyChecker
from adapters.local_safety import LexiconSafetyChecker
from adapters.local_sentiment import LocalSentimentAnalyzer
from bench import safety_gate
from bench.train_safety import Example, load_safety

RESULTS = Path(__file__).resolve().parent / "results" / "safety.json"
TARGETS = {"recall": 0.97, "recall_per_language": 0.90, "false_alarms": 0.05}


def rates(examples: list[Example], flagged: list[bool]) -> dict[str, float]:
    positives = [f for e, f in zip(examples, flagged, strict=True) if e.distress]
    negatives = [f for e, f in zip(examples, flagged, strict=True) if not e.distress]
    return {
        "positives": len(positives),
        "negatives": len(negatives),
        "recall": sum(positives) / len(positives) if positives else float("nan"),
        "false_alarms": sum(negatives) / len(negatives) if negatives else float("nan"),
    }


def grouped(examples: list[Example], flagged: list[bool], key: Callable[[Example], str]) -> dict:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        groups[key(example)].append(index)
    return {
        name: rates([examples[i] for i in indices], [flagged[i] for i in indices])
        for name, indices in sorted(groups.items())
    }


def run(split: str) -> dict:
    examples = load_safety(split)
    lexicon = LexiconSafetyChecker()
    cache = EmbeddingCache(size=4096)
    sentiment = LocalSentimentAnalyzer(cache=cache)  # the default cascade, as in a turn
    learned = LearnedSafetyChecker(sentiment.embed, cache=cache)
    alone = LearnedSafetyChecker(sentiment.embed, cache=EmbeddingCache(size=1))  # analysis off
    learned.check_sync("warm up")
    sentiment.analyze_sync(["warm up"], "en")

    verdicts: dict[str, list[bool]] = defaultdict(list)
    cpu = defaultdict(float)
    for example in examples:
        started = time.process_time()
        sentiment.analyze_sync([example.text], example.language)
        cpu["sentiment"] += time.process_time() - started
        started = time.process_time()
        by_lexicon = lexicon.check_sync(example.text, language=example.language).flagged
        cpu["lexicon"] += time.process_time() - started
        started = time.process_time()
        by_learned = learned.check_sync(example.text).flagged
        cpu["learned"] += time.process_time() - started
        started = time.process_time()
        by_alone = alone.check_sync(example.text).flagged
        cpu["learned_analysis_off"] += time.process_time() - started
        verdicts["lexicon"].append(by_lexicon)
        verdicts["learned"].append(by_learned)
        verdicts["combined"].append(by_lexicon or by_learned)
        verdicts["combined, analysis off"].append(by_lexicon or by_alone)

    count = len(examples)
    report: dict = {"split": split, "examples": count, "targets": TARGETS, "engines": {}}
    for name, flagged in verdicts.items():
        report["engines"][name] = {
            "overall": rates(examples, flagged),
            "per_language": grouped(examples, flagged, lambda e: e.language),
            "per_category": grouped(examples, flagged, lambda e: e.category),
        }
    report["cpu_ms_per_message"] = {name: 1000 * value / count for name, value in cpu.items()}
    report["learned_embedded_itself"] = {"with_sentiment": learned.embedded / count,
                                         "analysis_off": alone.embedded / count}
    return report


def print_report(report: dict) -> None:
    engines = report["engines"]
    names = list(engines)
    print(f"\nSafety on data/safety/{report['split']} ({report['examples']} messages)\n")
    print(f"{'':<12}" + "".join(f"{name:>26}" for name in names))
    print(f"{'language':<12}" + "".join(f"{'recall':>13}{'false al.':>13}" for _ in names))
    languages = sorted(engines["combined"]["per_language"])
    for language in [*languages, "ALL"]:
        cells = []
        for name in names:
            row = engines[name]["overall" if language == "ALL" else "per_language"]
            row = row if language == "ALL" else row[language]
            cells.append(f"{row['recall']:>13.3f}{row['false_alarms']:>13.3f}")
        print(f"{language:<12}" + "".join(cells))
    print("\nper category (combined; positives: recall, negatives: false-alarm rate)")
    for category, row in engines["combined"]["per_category"].items():
        value = row["recall"] if row["positives"] else row["false_alarms"]
        kind = "recall" if row["positives"] else "false alarms"
        print(f"  {category:<20}{kind:>14} {value:.3f}  (n={row['positives'] or row['negatives']})")
    cpu = report["cpu_ms_per_message"]
    print("\nCPU ms per message: " + ", ".join(f"{name} {value:.2f}" for name, value in cpu.items()))
    print("learned engine had to embed itself: "
          + ", ".join(f"{k} {v:.1%}" for k, v in report["learned_embedded_itself"].items()))
    combined = engines["combined"]
    worst = min(row["recall"] for row in combined["per_language"].values())
    met = (combined["overall"]["recall"] >= TARGETS["recall"] and worst >= TARGETS["recall_per_language"]
           and combined["overall"]["false_alarms"] <= TARGETS["false_alarms"])
    print(f"\ntargets (recall >= {TARGETS['recall']}, every language >= {TARGETS['recall_per_language']}, "
          f"false alarms <= {TARGETS['false_alarms']}): {'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="val", choices=("val", "train"))
    args = parser.parse_args()
    report = run(args.split)
    print_report(report)
    report["gate"] = safety_gate.run(args.split)
    safety_gate.print_report(report["gate"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    name = RESULTS if args.split == "val" else RESULTS.with_name(f"safety-{args.split}.json")
    name.write_text(json.dumps(report, indent=2))
    print(f"wrote {name.relative_to(Path.cwd()) if name.is_relative_to(Path.cwd()) else name}")


if __name__ == "__main__":
    main()
