"""Records a real Web Chat session (the bot's own page, headless Debian Chromium) as a transcript.

`python -m tests.conversations.record_webchat` re-records the example
`tests/conversations/webchat_session.transcript` after the dialogs change; the test
suite records a fresh one and replays it (test_webchat_recording.py).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from bot.app import RUNTIME, create_app
from bot.conversation_bot import PATIENT
from bot.transcripts import install_transcript_logging
from tests.channels.conftest import CHROMIUM_ARGS, local_only_page, require_chromium, require_node_package
from tests.conftest import make_settings, serve

EXAMPLE = Path(__file__).parent / "webchat_session.transcript"
SESSION = (
    "hello",
    "Hola, hoy estoy muy contento con el servicio, ¡gracias!",
    "Analizar un texto",
    "Me encanta este producto, funciona muy bien.",
)
BOT_BUBBLES = ".webchat__bubble:not(.webchat__bubble--from-user)"
WAIT_S = 30.0


async def record_webchat_session(directory: Path, messages: tuple[str, ...] = SESSION) -> Path:
    """Serve the app with recording on, chat through its Web Chat page, return the transcript."""
    from playwright.async_api import async_playwright

    require_node_package("botframework-webchat")
    app = create_app(make_settings(**PATIENT))

    async def start_recording(app: web.Application) -> None:
        install_transcript_logging(app[RUNTIME].adapter, directory)

    app.on_startup.append(start_recording)
    runner, url = await serve(app)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(require_chromium()), args=CHROMIUM_ARGS
            )
            try:
                page = await local_only_page(browser)
                await page.goto(f"{url}/?transport=polling")
                await page.locator(BOT_BUBBLES).first.wait_for()
                await _until_recorded(directory, replies=1)
                for text in messages:
                    await _say(page, text)
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    (path,) = _transcripts(directory)
    return path


async def _say(page, text: str) -> None:
    """Type and send; the Direct Line POST answers once the bot's turn is over (and recorded)."""
    box = page.get_by_role("textbox", name="Message input box")
    if not await box.count():
        box = page.locator("input.webchat__send-box-text-box__input, textarea").first
    await box.fill(text)
    async with page.expect_response(
        lambda response: response.request.method == "POST" and response.url.endswith("/activities")
    ) as posted:
        await box.press("Enter")
    response = await posted.value
    if response.status != 200:
        raise RuntimeError(f"Direct Line refused {text!r}: HTTP {response.status}")


async def _until_recorded(directory: Path, *, replies: int) -> None:
    """Wait until the welcome turn is on disk (it runs when the page opens the conversation)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while asyncio.get_running_loop().time() < deadline:
        files = _transcripts(directory)
        if files and files[0].read_text(encoding="utf-8").count('"role": "bot"') >= replies:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the welcome was not recorded in {WAIT_S} s")


def _transcripts(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.transcript"))


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        path = asyncio.run(record_webchat_session(Path(scratch)))
        shutil.copy(path, EXAMPLE)
    print(f"recorded {EXAMPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
