"""How much ordinary text the learned safety engine's n-gram gate clears without the encoder.

Every text the gate cannot clear costs an embedding (~35 ms of CPU) when the sentiment
engine has not embedded it (analysis off, or its fast stage was sure). Measured on held-out
text the gate never trained on: the XLM-T validation tweets (8 languages) and the Lingua
language-ID sentences and word pairs (24 languages), plus the share of distress positives
of a safety split the gate clears (it should be about none: what it clears, the head never sees).
Run: .venv/bin/python -m bench.safety_gate
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from adapters.learned_safety import SafetyHead
from adapters.local_sentiment import embedding_text, prepare_text
from bench.train_safety import load_safety

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
XLMT_VAL = SHARED_DATA / "sentiment-xlmt-val"
LINGUA_DEV = SHARED_DATA / "langid-lingua-dev"


def clears(head: SafetyHead, texts: list[str]) -> np.ndarray:
    """Whether the gate clears each text, as the engine decides on the text's first window."""
    return np.array([head.gate_clears(embedding_text(prepare_text(text))) for text in texts], dtype=bool)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def held_out_sets() -> dict[str, dict[str, list[str]]]:
    """Set name -> language -> texts; sets whose folder is missing are left out."""
    sets: dict[str, dict[str, list[str]]] = {}
    if XLMT_VAL.is_dir():
        sets["xlmt_val"] = {p.name.split(".")[0]: _lines(p) for p in sorted(XLMT_VAL.glob("*.text.txt"))}
    for kind in ("sentences", "word-pairs"):
        files = sorted(LINGUA_DEV.glob(f"*.{kind}.txt")) if LINGUA_DEV.is_dir() else []
        if files:
            sets[f"lingua_{kind}"] = {p.name.split(".")[0]: _lines(p) for p in files}
    return sets


def run(split: str = "val", head: SafetyHead | None = None) -> dict:
    head = head if head is not None else SafetyHead.load()
    report: dict = {"gate_bits": head.gate_bits, "gate_threshold": head.gate_threshold, "held_out": {}}
    for name, by_language in held_out_sets().items():
        per_language = {language: float(clears(head, texts).mean()) for language, texts in by_language.items()}
        everything = [text for texts in by_language.values() for text in texts]
        report["held_out"][name] = {"all": float(clears(head, everything).mean()), "per_language": per_language}
    positives = [example.text for example in load_safety(split) if example.distress]
    cleared = clears(head, positives)
    report["distress_cleared"] = {"split": split, "positives": len(positives), "cleared": int(cleared.sum()),
                                  "texts": [text for text, done in zip(positives, cleared, strict=True) if done]}
    return report


def print_report(report: dict) -> None:
    print(f"\nGate (bits {report['gate_bits']}, threshold {report['gate_threshold']:.4f}): "
          "share of held-out ordinary text cleared without the encoder")
    for name, row in report["held_out"].items():
        cells = " ".join(f"{language} {value:.2f}" for language, value in row["per_language"].items())
        print(f"  {name:<18} all {row['all']:.3f} | {cells}")
    cleared = report["distress_cleared"]
    print(f"  distress positives of data/safety/{cleared['split']} the gate clears: "
          f"{cleared['cleared']} of {cleared['positives']}")


def main() -> None:
    report = run()
    print_report(report)
    print(json.dumps(report["distress_cleared"]["texts"], ensure_ascii=False))


if __name__ == "__main__":
    main()
