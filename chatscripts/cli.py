"""`python -m chatscripts run FILE...`: replay conversations in-process or against a live bot."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from chatscripts.draft import draft as draft_script
from chatscripts.files import expand, load_conversations
from chatscripts.model import Conversation, ConversationError, Outcome
from chatscripts.render import render

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m chatscripts", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="replay .chat scripts and .transcript files")
    run.add_argument("files", nargs="+", type=Path, help="conversation files or directories")
    run.add_argument("--url", help="a live bot's messaging endpoint, e.g. http://localhost:3978/api/messages "
                     "(without it: in-process, through TestAdapter, on the bot --bot builds)")
    run.add_argument("--channel-id", default="emulator", help="channelId stamped on activities (live)")
    run.add_argument("--listen", default="127.0.0.1:0",
                     help="HOST:PORT the reply endpoint listens on (live; default: a free local port)")
    run.add_argument("--service-url", help="the serviceUrl the bot should reply to, when it is not the "
                     "listen address (e.g. a tunnel to this machine)")
    run.add_argument("--wait", type=float, default=0.0,
                     help="seconds to wait for late replies after each turn (live)")
    run.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (live)")
    run.add_argument("--bot", help="module:function building the bot under test in-process (a BotFactory; "
                     "default: conversation_bot in pyproject.toml's [tool.pytest.ini_options])")
    run.add_argument("--include-fake", action="store_true",
                     help="live: also run conversations that script fake engines (skipped by default: "
                     "a live bot runs its own engines, so their expectations cannot hold)")
    run.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    run.add_argument("--show", action="store_true",
                     help="print every conversation side by side, passing ones too (to write a script)")
    draft = commands.add_parser("draft", help="print a .chat script of what the bot actually says "
                                "(bot lines filled in from a run); add --url for a live bot")
    draft.add_argument("files", nargs="+", type=Path)
    draft.add_argument("--url")
    draft.add_argument("--bot", help="module:function building the bot under test (as for run)")
    check = commands.add_parser("check", help="parse files and report errors without running them")
    check.add_argument("files", nargs="+", type=Path)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        conversations = [c for path in expand(args.files) for c in load_conversations(path)]
    except ConversationError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not conversations:
        print("error: no .chat or .transcript file found", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "check":
        print(f"{len(conversations)} conversation(s) read without errors")
        return EXIT_PASSED
    if args.command == "draft":
        args.channel_id, args.listen, args.service_url, args.wait, args.timeout = "emulator", "127.0.0.1:0", None, 0, 30
        args.include_fake = True  # a draft records what the bot says, whatever it runs on
    skipped: list[Conversation] = []
    if args.url and not args.include_fake:
        skipped = [c for c in conversations if c.engines == "fake"]
        conversations = [c for c in conversations if c.engines != "fake"]
        for conversation in skipped:
            print(f"SKIP {conversation.name}: it scripts fake engines (engines: fake); a live bot runs "
                  "its own (--include-fake runs it anyway)")
        if not conversations:
            print(f"error: nothing to run: all {len(skipped)} conversation(s) script fake engines; "
                  "mark live-safe ones 'engines: app' or pass --include-fake", file=sys.stderr)
            return EXIT_USAGE
    if not args.url and not (args.bot or default_bot()):
        print("error: in-process runs need a bot: --bot module:function, or conversation_bot in "
              "pyproject.toml's [tool.pytest.ini_options]", file=sys.stderr)
        return EXIT_USAGE
    try:
        listen = _host_port(args.listen)
    except ValueError:
        print(f"error: --listen expects HOST:PORT, got {args.listen!r}", file=sys.stderr)
        return EXIT_USAGE
    outcomes = asyncio.run(_run(conversations, args, listen))
    if args.command == "draft":
        print("\n---\n".join(draft_script(outcome) for outcome in outcomes), end="")
        return EXIT_PASSED
    for outcome in outcomes:
        if args.show or not outcome.passed:
            print(render(outcome, full=args.show), end="\n\n")
        elif not args.quiet:
            print(f"PASS {outcome.conversation.name}")
    failed = sum(1 for o in outcomes if not o.passed)
    print(f"{len(outcomes) - failed} passed, {failed} failed" + (f", {len(skipped)} skipped" if skipped else ""))
    return EXIT_FAILED if failed else EXIT_PASSED


async def _run(conversations: list[Conversation], args: argparse.Namespace, listen: tuple[str, int]) -> list[Outcome]:
    if args.url:
        from chatscripts.live import run_live

        return await run_live(
            conversations, args.url, channel_id=args.channel_id, listen=listen,
            public_url=args.service_url, settle_s=args.wait, timeout_s=args.timeout,
        )
    from chatscripts.inprocess import run_in_process

    module_name, _, attribute = (args.bot or default_bot()).partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return [await run_in_process(conversation, factory) for conversation in conversations]


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def default_bot(start: Path | None = None) -> str:
    """`conversation_bot` from the nearest pyproject.toml's pytest ini, the same setting pytest reads."""
    folder = (start or Path.cwd()).resolve()
    for directory in (folder, *folder.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            with candidate.open("rb") as file:
                ini = tomllib.load(file).get("tool", {}).get("pytest", {}).get("ini_options", {})
            return str(ini.get("conversation_bot", ""))
    return ""
