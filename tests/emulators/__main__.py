"""Run both emulators until interrupted, for trying the bot or a bench by hand.

    python -m tests.emulators --language-port 5010 --translator-port 5011 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from tests.emulators.faults import Fault
from tests.emulators.language import LanguageEmulator
from tests.emulators.translator import TranslatorEmulator


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--language-port", type=int, default=0)
    parser.add_argument("--translator-port", type=int, default=0)
    parser.add_argument("--key", default=None, help="require this subscription key")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    language = LanguageEmulator(key=args.key, host=args.host, port=args.language_port)
    translator = TranslatorEmulator(key=args.key, host=args.host, port=args.translator_port)
    async with language, translator:
        if args.latency > 0:
            language.faults.always(Fault.latency(args.latency))
            translator.faults.always(Fault.latency(args.latency))
        print(f"AZURE_LANGUAGE_ENDPOINT={language.url}", flush=True)
        print(f"AZURE_TRANSLATOR_ENDPOINT={translator.url}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse(argv)))


if __name__ == "__main__":
    main()
