"""`python -m chatscripts run FILE --url ...` against the app served on a real port."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

from chatscripts.live import run_live
from chatscripts.render import render
from chatscripts.script import parse_script

SMOKE = Path(__file__).parent / "smoke.chat"  # also runs in-process, as an example

WRONG = """\
title: wrong on purpose
engines: app
user: hello
bot: this is certainly not what the bot says
"""

ENGINE_LINE = """\
engine: sentiment "hello" -> negative 0.99
user: hello
bot: ...
"""


async def cli(*args: str) -> tuple[int, str]:
    """Run the real command line in a subprocess (the test's event loop keeps serving the bot)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatscripts", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_a_matching_script_passes_over_http_with_exit_code_0(bot_url: str):
    code, output = await cli("run", str(SMOKE), "--url", f"{bot_url}/api/messages")
    assert code == 0, output
    assert "PASS smoke - welcome, help, a person" in output
    assert "1 passed, 0 failed" in output


async def test_a_wrong_expectation_fails_over_http_with_exit_code_1_and_a_diff(bot_url: str, tmp_path: Path):
    (tmp_path / "wrong.chat").write_text(WRONG, encoding="utf-8")
    code, output = await cli("run", str(SMOKE), str(tmp_path), "--url", f"{bot_url}/api/messages")
    assert code == 1, output
    assert "FAIL wrong on purpose" in output
    assert "4 | bot: this is certainly not what the bot says" in output
    assert 'line 4: text: expected "this is certainly not what the bot says", got "' in output
    assert "1 passed, 1 failed" in output


async def test_conversations_on_fake_engines_are_skipped_live_and_said_so(bot_url: str, tmp_path: Path):
    (tmp_path / "scripted.chat").write_text("title: scripted\n" + ENGINE_LINE, encoding="utf-8")
    code, output = await cli("run", str(SMOKE), str(tmp_path), "--url", f"{bot_url}/api/messages")
    assert code == 0, output
    assert "SKIP scripted: it scripts fake engines" in output
    assert "1 passed, 0 failed, 1 skipped" in output


async def test_include_fake_runs_them_anyway(bot_url: str, tmp_path: Path):
    (tmp_path / "scripted.chat").write_text("title: scripted\n" + ENGINE_LINE, encoding="utf-8")
    code, output = await cli("run", str(tmp_path), "--url", f"{bot_url}/api/messages", "--include-fake")
    assert code == 0, output
    assert "PASS scripted" in output and "SKIP" not in output


async def test_nothing_left_to_run_is_an_error_not_a_silent_pass(bot_url: str, tmp_path: Path):
    (tmp_path / "scripted.chat").write_text("title: scripted\n" + ENGINE_LINE, encoding="utf-8")
    code, output = await cli("run", str(tmp_path), "--url", f"{bot_url}/api/messages")
    assert code == 2, output
    assert "nothing to run: all 1 conversation(s) script fake engines" in output


async def test_replies_arrive_on_the_channel_routes_the_runner_serves(bot_url: str):
    (conversation,) = parse_script(SMOKE.read_text(encoding="utf-8"), SMOKE)
    (outcome,) = await run_live([conversation], f"{bot_url}/api/messages")
    assert outcome.passed, render(outcome)
    assert [row.status for row in outcome.rows] == ["user", "ok", "user", "ok", "user", "ok", "ok"]


async def test_engine_lines_are_reported_as_ignored_against_a_live_bot(bot_url: str):
    (conversation,) = parse_script(ENGINE_LINE, "engines.chat")
    (outcome,) = await run_live([conversation], f"{bot_url}/api/messages")
    assert outcome.passed
    assert outcome.rows[0].status == "note"
    assert outcome.rows[0].actual == "ignored: a live bot runs on its own engines"


async def test_an_unreachable_bot_fails_the_conversation_with_the_reason():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (conversation,) = parse_script(WRONG, "wrong.chat")
    (outcome,) = await run_live([conversation], f"http://127.0.0.1:{port}/api/messages", timeout_s=5)
    assert not outcome.passed
    assert "cannot reach" in outcome.failures[0].actual


async def test_an_unreadable_file_exits_with_2(tmp_path: Path):
    broken = tmp_path / "broken.chat"
    broken.write_text("user: hi\nbot: ~ /(oops/\n", encoding="utf-8")
    code, output = await cli("run", str(broken), "--url", "http://127.0.0.1:9/api/messages")
    assert code == 2
    assert "broken.chat:2: bad regular expression" in output


def test_without_url_the_command_runs_in_process_and_check_only_parses(capsys):
    from chatscripts.cli import main

    assert main(["check", str(SMOKE)]) == 0
    assert "1 conversation(s) read without errors" in capsys.readouterr().out
    assert main(["run", str(SMOKE), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "PASS smoke - welcome, help, a person" in shown
    assert "| = | bot: event handoff.initiate" in shown
