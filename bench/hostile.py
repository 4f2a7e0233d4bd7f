"""Hostile-input storm against the `make run` defaults: 10,000 seeded cases, one table, one JSON.

    python -m bench.hostile [--cases 10000] [--seed 1] [--mix full] [--concurrency 16]

The bot runs in this process as `make run` builds it (`create_app` on the default settings:
SQLite state, here in a temporary directory, the offline engines, the local Direct Line);
the cases, the storm and its checks are tests/hostile/fuzz.py's. The `full` mix also sends
long texts (1,000 characters up to the text limit) through the whole analysis.

Exits 1 when a promise is broken: a 5xx (but 501 for an unknown invoke), a dropped
connection, a failed turn, /healthz p99 over 100 ms during the storm, RSS afterwards over
1.5x before, an unhealthy bot afterwards, or an answer slower than `--max-answer-s`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bot.settings import load_settings
from tests.hostile import fuzz

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MAX_ANSWER_S = 2.0


def status_table(report: fuzz.StormReport) -> str:
    columns = sorted({label for counts in report.by_route.values() for label in counts}, key=str)
    header = f"{'route':18}" + "".join(f"{label!s:>8}" for label in columns)
    lines = [header, "-" * len(header)]
    rows = [*sorted(report.by_route.items()), ("all", Counter(report.statuses))]
    for route, counts in rows:
        lines.append(f"{route:18}" + "".join(f"{counts.get(label, 0):8d}" for label in columns))
    return "\n".join(lines)


def print_report(report: fuzz.StormReport, problems: list[str], concurrency: int) -> None:
    summary = report.summary()
    print(f"hostile storm: {report.cases:,} cases (mix {report.mix}, seed {report.seed}), "
          f"{concurrency} concurrent, {report.seconds:.1f} s ({report.cases / max(report.seconds, 1e-9):.0f}/s)\n")
    print(status_table(report))
    print(f"\nanswers: p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, max {summary['max_ms']:.1f} ms")
    for slow in summary["slowest"][:5]:
        print(f"  {slow['ms']:8.1f} ms  case {slow['index']}: {slow['request'][:110]}")
    print(f"/healthz during the storm: {summary['healthz_samples']} probes, p99 {summary['healthz_p99_ms']:.1f} ms, "
          f"max {summary['healthz_max_ms']:.1f} ms")
    print(f"RSS: {report.rss_before_mb:.0f} MB before, {report.rss_after_mb:.0f} MB after "
          f"(x{report.rss_after_mb / max(report.rss_before_mb, 1e-9):.2f})")
    print("after the storm: " + ", ".join(f"{check}: {'ok' if ok else 'FAILED'}" for check, ok in report.after.items()))
    if summary["warnings"]:
        print("warnings logged: " + ", ".join(f"{name} x{count}" for name, count in summary["warnings"].items()))
    print(f"\nproblems: {len(problems)}")
    for problem in problems[:40]:
        print(problem)
    if len(problems) > 40:
        print(f"... and {len(problems) - 40} more (all in the JSON)")


async def run(args: argparse.Namespace) -> tuple[fuzz.StormReport, list[str]]:
    mix = fuzz.MIXES[args.mix]

    def progress(done: int) -> None:
        if done % 1_000 == 0:
            print(f"... {done:,} cases", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="hostile-") as state_dir:
        settings = load_settings({"BOT_STATE_DIR": state_dir}, dotenv=False)
        report = await fuzz.storm(settings, fuzz.cases(args.seed, args.cases, mix), seed=args.seed, mix=mix,
                                  concurrency=args.concurrency, progress=progress)
    return report, report.problems(max_answer_s=args.max_answer_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=sorted(fuzz.MIXES), default=fuzz.FULL.name)
    parser.add_argument("--concurrency", type=int, default=fuzz.CONCURRENCY)
    parser.add_argument("--max-answer-s", type=float, default=MAX_ANSWER_S, help="slowest answer allowed")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where hostile.json goes")
    args = parser.parse_args(argv)
    report, problems = asyncio.run(run(args))
    print_report(report, problems, args.concurrency)
    args.results.mkdir(parents=True, exist_ok=True)
    summary = {**report.summary(), "problems": problems}
    recorded = {**vars(args), "results": str(args.results)}
    (args.results / "hostile.json").write_text(json.dumps({"args": recorded, **summary}, indent=2, ensure_ascii=False))
    print(f"json: {args.results / 'hostile.json'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
