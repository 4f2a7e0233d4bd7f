"""The image itself: health, a conversation, the Web Chat bundle, non-root, state on its volume."""

from __future__ import annotations

import uuid

import aiohttp

from tests.deploy.conftest import PATIENT_ENGINES, BuiltImage
from tests.deploy.containers import BotContainer
from tests.harness import Harness

WELCOME_ES = "Idioma: español"
ASK_EXPERIENCE_ES = "¿Qué tal tu experiencia? Cuéntamelo con tus propias palabras."
SORRY_ES = "Siento que no haya ido bien, y gracias por contármelo. ¿Qué salió mal?"


def healthcheck_passes(container: BotContainer) -> bool:
    """Run the image's own HEALTHCHECK command in the container, as the engine would."""
    engine = container.engine
    if engine.name == "podman":
        return engine.run("healthcheck", "run", container.name, check=False).returncode == 0
    test = engine.run("inspect", "--format", "{{json .Config.Healthcheck.Test}}", container.name).stdout
    import json

    command = json.loads(test)
    assert command[0] == "CMD", command
    return container.exec(*command[1:]).returncode == 0


async def test_the_container_serves_a_conversation_and_keeps_it_on_its_volume(bot_image: BuiltImage) -> None:
    engine = bot_image.engine
    volume = f"showcase-test-{uuid.uuid4().hex[:10]}"
    engine.run("volume", "create", volume)
    admin = {"BOT_ADMIN_TOKEN": "image-test-admin-token-0123456789"}
    bot = BotContainer(engine, bot_image.name, env={**PATIENT_ENGINES, **admin}, volumes=(f"{volume}:/app/data",))
    try:
        await bot.start()
        print(f"\nimage built in {bot_image.build_s:.0f} s; container ready (/readyz 200) in {bot.ready_after_s:.1f} s")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{bot.url}/healthz") as response:
                assert response.status == 200 and (await response.json()) == {"status": "alive"}
            async with session.get(f"{bot.url}/api/webchat/config") as response:
                assert (await response.json())["webchatUrl"] == "/static/webchat/webchat.js"  # not the CDN
            async with session.get(f"{bot.url}/static/webchat/webchat.js", allow_redirects=False) as response:
                assert response.status == 200 and len(await response.read()) > 1_000_000
            bearer = {"Authorization": f"Bearer {admin['BOT_ADMIN_TOKEN']}"}
            for name in ("uPlot.iife.min.js", "uPlot.min.css"):  # the operator page's charts, no CDN
                async with session.get(f"{bot.url}/admin/static/{name}", headers=bearer) as response:
                    assert response.status == 200 and len(await response.read()) > 1_000, name
        assert healthcheck_passes(bot)
        assert bot.exec("id", "-u").stdout.strip() not in ("", "0")  # not root

        async with Harness(bot.messages_url) as harness:
            conversation = harness.conversation(locale="en-US")
            await conversation.join()
            hello = await conversation.say_texts("Hola, ¿qué tal?")
            assert WELCOME_ES in hello[0], hello
            assert await conversation.say_texts("Dar mi opinión") == [ASK_EXPERIENCE_ES]

            bot.stop()  # SIGTERM: a clean stop, state saved
            assert bot.wait() == 0, bot.logs()[-3000:]
            logs = bot.logs()
            assert "stopping: no new connections" in logs and "INFO bot stopped" in logs, logs[-3000:]
            bot.remove()

            await bot.start()  # a new container on the same volume: the dialog goes on, in Spanish
            assert await conversation.say_texts("El envío fue lento y llegó roto") == [SORRY_ES]
    finally:
        bot.remove()
        engine.run("volume", "rm", "-f", volume, check=False)
