"""The bot's own page: the official Web Chat bundle in Debian Chromium, over the local Direct Line.

Each test is a whole conversation: the welcome, a Spanish message and its reply, and an
analysis that renders as an Adaptive Card, over WebSocket and again over polling.
"""

from __future__ import annotations

import pytest

from tests.channels.conftest import (
    ANALYZE_TEXT,
    SPANISH_TEXT,
    local_only_page,
    looks_spanish,
    require_node_package,
)

BOT_BUBBLES = ".webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content"
USER_BUBBLES = ".webchat__bubble--from-user .webchat__bubble__content"

# The dialogs answer Spanish in Spanish (checked with looks_spanish); set False only to debug the transport.
ASSERT_SPANISH_REPLY = True


async def send(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message input box")
    if not await box.count():
        box = page.locator("input.webchat__send-box-text-box__input, textarea").first
    await box.fill(text)
    await box.press("Enter")


async def exchange(page, sent: str) -> str:
    """Send `sent` and return the text of the first bot message rendered after it."""
    previous_bot_count = await page.locator(BOT_BUBBLES).count()
    await send(page, sent)
    await page.locator(USER_BUBBLES).filter(has_text=sent).first.wait_for()
    await page.wait_for_function(
        "([selector, count]) => document.querySelectorAll(selector).length > count",
        arg=[BOT_BUBBLES, previous_bot_count],
    )
    return (await page.locator(BOT_BUBBLES).nth(previous_bot_count).inner_text()).strip()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_webchat_page_holds_a_multilingual_conversation(browser, channel_bot, transport):
    require_node_package("botframework-webchat")
    page = await local_only_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    await page.goto(f"{channel_bot}/?transport={transport}")
    await page.get_by_role("heading", name="Showcase Bot").wait_for()
    await page.locator(BOT_BUBBLES).first.wait_for()
    welcome = await page.locator(BOT_BUBBLES).first.inner_text()
    assert "Showcase Bot" in welcome
    status = await page.locator("#status").inner_text()
    assert status == f"Connected (local Direct Line, {'WebSocket' if transport == 'websocket' else 'polling'})."
    assert await page.locator("#language option").count() > 10  # the language picker is filled

    reply = await exchange(page, SPANISH_TEXT)
    assert reply
    if ASSERT_SPANISH_REPLY:
        assert looks_spanish(reply), reply

    await send(page, ANALYZE_TEXT)
    card = page.locator(".ac-adaptiveCard").last
    await card.wait_for()
    assert (await card.inner_text()).strip()
    await page.screenshot(path=f"/tmp/showcase-webchat-{transport}.png")
    assert errors == []


async def test_language_picker_sends_set_language_and_locale(browser, channel_bot):
    require_node_package("botframework-webchat")
    page = await local_only_page(browser)
    posted: list[dict] = []
    page.on("request", lambda request: posted.append(request.post_data_json)
            if request.method == "POST" and request.url.endswith("/activities") else None)
    await page.goto(f"{channel_bot}/?transport=polling")
    await page.locator(BOT_BUBBLES).first.wait_for()
    await page.locator("#language").select_option("es")
    reply = await exchange(page, "hola")
    if ASSERT_SPANISH_REPLY:
        assert looks_spanish(reply), reply
    events = [a for a in posted if a and a.get("type") == "event"]
    assert events and events[0]["name"] == "setLanguage" and events[0]["value"] == "es"
    messages = [a for a in posted if a and a.get("type") == "message"]
    assert messages[-1]["locale"] == "es"
