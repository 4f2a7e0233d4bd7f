"""`python -m adapters`: try the engine chains from a shell, one JSON object per input.

    python -m adapters analyze "Hola, ¿qué tal?" --to en
    printf '{"id": 1, "text": "Je veux mourir"}\\n' | python -m adapters analyze --engines local

Azure engines are used when the same AZURE_* variables as the bot's are set.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from adapters.config import AzureLanguageConfig, AzureTranslatorConfig, EngineConfig
from adapters.contracts import SUPPORTED_LANGUAGES
from adapters.engines import ENGINE_NAMES, EngineConfigError, Engines, build_engines
from adapters.fallback import UNDETERMINED

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_ENGINE = 0, 1, 2, 3


@dataclass(frozen=True)
class Item:
    """One input to analyse: its id (given, or its position) and text."""

    id: Any
    text: str
    to: str | None = None


@dataclass(frozen=True)
class BadInput:
    """A line that could not be read as an input, reported instead of a traceback."""

    line: int
    error: str
    id: Any = None


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def azure_from_env(
    environ: Mapping[str, str],
) -> tuple[AzureLanguageConfig | None, AzureTranslatorConfig | None]:
    """The Azure configs the bot would build from the same variables (None when unset)."""
    language = translator = None
    if endpoint := _env(environ, "AZURE_LANGUAGE_ENDPOINT"):
        language = AzureLanguageConfig(endpoint, _env(environ, "AZURE_LANGUAGE_KEY"))
    if endpoint := _env(environ, "AZURE_TRANSLATOR_ENDPOINT"):
        translator = AzureTranslatorConfig(
            endpoint,
            _env(environ, "AZURE_TRANSLATOR_KEY"),
            _env(environ, "AZURE_TRANSLATOR_REGION"),
        )
    return language, translator


def _engine_list(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in ENGINE_NAMES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(ENGINE_NAMES)}, got {value!r}"
        )
    return names


def _language(value: str) -> str:
    if value not in SUPPORTED_LANGUAGES:
        raise argparse.ArgumentTypeError(
            f"unsupported language {value!r}; supported: {' '.join(SUPPORTED_LANGUAGES)}"
        )
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m adapters",
        description="Run the bot's language, sentiment, translation and safety engines.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser(
        "analyze",
        help="analyse texts given as arguments, or JSON lines on stdin",
        description=(
            "Analyse each TEXT, or, with no TEXT (or '-'), each JSON line on stdin "
            'such as {"id": 1, "text": "hola"}. Prints one JSON object per input.'
        ),
    )
    analyze.add_argument("texts", nargs="*", metavar="TEXT")
    analyze.add_argument("--to", type=_language, help="also translate into this language")
    analyze.add_argument(
        "--engines",
        type=_engine_list,
        default=("azure", "local"),
        help="engine order for every capability (default: azure,local; "
        "azure is used only when AZURE_* variables are set)",
    )
    for capability in ("language", "sentiment", "translation"):
        analyze.add_argument(
            f"--{capability}-engines",
            type=_engine_list,
            default=None,
            metavar="ENGINES",
            help=f"engine order for {capability} only (overrides --engines)",
        )
    analyze.add_argument("--timeout", type=float, default=2.0, help="seconds per engine call (default: 2)")
    analyze.add_argument(
        "--min-confidence",
        type=float,
        default=0.5,
        help="language confidence below which the next engine is asked (default: 0.5)",
    )
    analyze.add_argument("--metrics", action="store_true", help="print engine metrics to stderr at the end")
    analyze.add_argument("-v", "--verbose", action="store_true", help="log fallbacks to stderr")
    return root


def read_items(texts: Sequence[str], stdin: TextIO) -> Iterator[Item | BadInput]:
    """Inputs from the arguments, or else from JSON lines on stdin."""
    if texts and list(texts) != ["-"]:
        for position, text in enumerate(texts, start=1):
            yield Item(position, text)
        return
    for number, raw in enumerate(stdin, start=1):
        line = raw.strip()
        if not line:
            continue
        yield parse_line(number, line)


def parse_line(number: int, line: str) -> Item | BadInput:
    """One JSON line as an Item, or a BadInput saying what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadInput(number, f"not JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return BadInput(number, 'expected a JSON object like {"id": 1, "text": "..."}')
    item_id = data.get("id", number)
    text = data.get("text")
    if not isinstance(text, str):
        return BadInput(number, '"text" must be a string', item_id)
    to = data.get("to")
    if to is not None and to not in SUPPORTED_LANGUAGES:
        return BadInput(number, f'"to" must be one of {" ".join(SUPPORTED_LANGUAGES)}', item_id)
    return Item(item_id, text, to)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def _plain(value: object) -> Any:
    """A result dataclass as JSON-ready data: enums as strings, scores to 4 decimals."""
    return _rounded(dataclasses.asdict(value))  # type: ignore[call-overload]


async def analyze(engines: Engines, item: Item, *, to: str | None, working: str) -> dict[str, Any]:
    """Everything the engines say about one text, as one JSON-ready object."""
    [language] = await engines.language.detect([item.text])
    known = language.language if language.language != UNDETERMINED else None
    [sentiment] = await engines.sentiment.analyze([item.text], language=known or working)
    output: dict[str, Any] = {
        "id": item.id,
        "text": item.text,
        "language": _plain(language),
        "sentiment": {**_plain(sentiment), "confidence": sentiment.confidence},
    }
    parts: list[tuple[str, Any]] = [("language", language), ("sentiment", sentiment)]
    checked = [("original", item.text)]
    target = item.to or to
    if target is not None:
        [translation] = await engines.translation.translate([item.text], to=target, source=known)
        output["translation"] = _plain(translation)
        parts.append(("translation", translation))
        if translation.translated and translation.text != item.text:
            checked.append(("translation", translation.text))
    results = [await engines.safety.check(text, language=known or working) for _, text in checked]
    safety = next((r for r in results if r.flagged), results[0])
    output["safety"] = {**_plain(safety), "checked": [where for where, _ in checked]}
    output["fallbacks"] = [
        {"part": part, **_plain(skip)} for part, result in parts for skip in result.skipped
    ]
    return output


def _emit(out: TextIO, payload: Mapping[str, Any]) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")
    out.flush()


async def run(
    args: argparse.Namespace,
    *,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
    build: Callable[[EngineConfig], Engines] = build_engines,
) -> int:
    """Analyse every input of `args`; returns the process exit status."""
    azure_language, azure_translator = azure_from_env(environ)
    config = EngineConfig(
        language_engines=args.language_engines or args.engines,
        sentiment_engines=args.sentiment_engines or args.engines,
        translation_engines=args.translation_engines or args.engines,
        language_min_confidence=args.min_confidence,
        call_timeout_s=args.timeout,
        azure_language=azure_language,
        azure_translator=azure_translator,
    )
    try:
        engines = build(config)
    except EngineConfigError as exc:
        stderr.write(f"python -m adapters: {exc}\n")
        return EXIT_USAGE
    except (OSError, ImportError) as exc:  # a model file or package missing from the install
        stderr.write(f"python -m adapters: cannot load an engine: {exc}\n")
        return EXIT_ENGINE
    status = EXIT_OK
    try:
        for item in read_items(args.texts, stdin):
            if isinstance(item, BadInput):
                _emit(stdout, {"id": item.id, "line": item.line, "error": item.error})
                status = EXIT_BAD_INPUT
                continue
            _emit(stdout, await analyze(engines, item, to=args.to, working=config.working_language))
        if args.metrics:
            metrics = {k: [_plain(m) for m in v] for k, v in engines.metrics().items()}
            stderr.write(json.dumps({"metrics": metrics}, ensure_ascii=False) + "\n")
    finally:
        await engines.close()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s %(message)s",
    )
    try:
        return asyncio.run(
            run(args, stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr, environ=os.environ)
        )
    except KeyboardInterrupt:
        return 130
