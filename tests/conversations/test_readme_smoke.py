"""The README's smoke test of a deployment, run as written against `python -m bot` on its defaults.

A real process (SQLite state, the offline engines, as `make run` starts it); every
conversation that scripts fake engines is skipped and said so, the rest must pass.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from tests.state.botproc import BotProcess

ROOT = Path(__file__).resolve().parents[2]
README_COMMAND = re.compile(r"python -m chatscripts run\s+tests/conversations/\*\.chat --url")


async def test_the_readme_smoke_command_passes_against_the_default_bot():
    assert README_COMMAND.search((ROOT / "README.md").read_text(encoding="utf-8")), "README lost the command"
    bot = await BotProcess({"BOT_ANALYSIS": "on", "LOG_LEVEL": "INFO"}).start()
    try:
        files = sorted(str(path) for path in (ROOT / "tests" / "conversations").glob("*.chat"))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatscripts", "run", *files, "--url", bot.messages_url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT,
        )
        output = (await asyncio.wait_for(process.communicate(), 300))[0].decode()
    finally:
        bot.stop()
    assert process.returncode == 0, output + bot.log_tail()
    ran = re.search(r"(\d+) passed, 0 failed, (\d+) skipped", output)
    assert ran is not None, output
    assert int(ran.group(1)) >= 8 and int(ran.group(2)) >= 1  # smoke.chat and the button-driven ones
    assert "PASS smoke - welcome, help, a person" in output
    assert "SKIP" in output and "it scripts fake engines" in output
