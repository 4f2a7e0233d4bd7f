"""Microsoft 365 Agents Playground (the Emulator's successor) against the bot, driven through its UI.

The CLI is started as a user would (`agentsplayground -e .../api/messages -c msteams`, then
`-c webchat`), and Chromium reads what its chat pane renders.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.channels.conftest import (
    ANALYZE_TEXT,
    SPANISH_TEXT,
    agents_playground,
    local_only_page,
    looks_spanish,
)

COMPOSER = '[data-lexical-editor="true"][role="textbox"], input[data-id="webchat-sendbox-input"]'


async def send(page, text: str) -> None:
    """Type into the Playground's composer: a Lexical contenteditable (msteams) or Web Chat's input."""
    box = page.locator(COMPOSER).last
    await box.click()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


async def text_after(page, sent: str, done, reads: int = 120) -> str:
    """What the chat shows after the last copy of `sent`, once `done(text)` holds (bounded reads)."""
    tail = ""
    for _ in range(reads):
        body = await page.locator("body").inner_text()
        if sent in body:
            tail = body.rsplit(sent, 1)[1]
            if done(tail):
                break
        await asyncio.sleep(0.25)
    return tail


@pytest.mark.parametrize("channel", ["msteams", "webchat"])
async def test_playground_conversation(browser, channel_bot, tmp_path, channel):
    async with agents_playground(channel_bot, channel, tmp_path) as playground:
        page = await local_only_page(browser)
        await page.goto(playground)
        await page.get_by_text("Write to me in any", exact=False).first.wait_for()

        await page.get_by_title("Toggle Log Panel").click()  # its copy of the messages would confuse reading
        await send(page, SPANISH_TEXT)
        reply = await text_after(page, SPANISH_TEXT, looks_spanish)
        assert looks_spanish(reply), reply

        await send(page, ANALYZE_TEXT)
        card = page.locator(".ac-adaptiveCard").last
        await card.wait_for()
        assert "analysis" in (await card.inner_text()).lower()
        await page.screenshot(path=f"/tmp/showcase-playground-{channel}.png")


async def test_playground_teams_channel_mention_is_answered_in_the_thread(browser, channel_bot, tmp_path):
    text = "hola, hoy estoy muy contento con el servicio"
    async with agents_playground(channel_bot, "msteams", tmp_path) as playground:
        page = await local_only_page(browser)
        await page.goto(playground)
        await page.get_by_text("Write to me in any", exact=False).first.wait_for()
        await page.get_by_title("Toggle Log Panel").click()
        await page.get_by_text("General", exact=True).first.click()
        box = page.locator(COMPOSER).last
        await box.click()
        await page.keyboard.type("@")
        await page.get_by_role("menuitem", name="Test Bot").click()  # a real @mention entity
        await page.keyboard.type(f" {text}")
        await page.keyboard.press("Enter")
        reply = await text_after(page, text, lambda tail: looks_spanish(tail) or "Invalid message" in tail)
        assert "Invalid message" not in reply, reply
        assert looks_spanish(reply), reply
