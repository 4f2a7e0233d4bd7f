"""Two containers of the image behind one nginx address, sharing one Azurite Blob store.

Round-robin sends each turn of a conversation to the other replica, so each turn reads
the state the other one wrote; a SIGTERM to one replica during a burst of turns must
lose none of them (the replica finishes its turns in flight, nginx sends new ones to the
other).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.deploy.conftest import PATIENT_ENGINES, BuiltImage
from tests.deploy.containers import NGINX, BotContainer, RoundRobinBalancer
from tests.harness import EmulatorConversation, Harness
from tests.state.stores import blob_records, conversation_key, turns_of, user_key
from tests.storage.azurite import AzuriteServer

SPANISH_SCRIPT = [  # (user says, the reply starts with)
    ("Hola, ¿qué tal?", ""),  # sentiment and language, then the menu: "Idioma: español" checked below
    ("quiero traducir algo", "¿Qué quieres que traduzca?"),
    ("ok", "¿A qué idioma?"),  # a short reply: the conversation stays in Spanish
    ("Inglés", "En inglés:"),
    ("Dar mi opinión", "¿Qué tal tu experiencia?"),
    ("El envío fue lento y llegó roto", "Siento que no haya ido bien"),
    ("sí", "¿Quieres que llame a una persona"),
]
BURST = 8  # turns of the same conversation posted at once, after the script
CONVERSATIONS, TURNS_EACH = 8, 6  # the SIGTERM burst
STOP_AFTER = 10  # turns answered before the SIGTERM
ANSWERED_LOG = re.compile(r"POST /api/messages 20[01] ")  # aiohttp's access log line of a finished turn


class Replicas:
    def __init__(self, image: BuiltImage, env: dict[str, str]) -> None:
        self.bots = [BotContainer(image.engine, image.name, env=env) for _ in range(2)]
        self.balancer: RoundRobinBalancer | None = None

    @property
    def messages_url(self) -> str:
        assert self.balancer is not None
        return f"{self.balancer.url}/api/messages"

    def logs(self) -> str:
        return "\n".join(f"--- replica {n}\n{bot.logs()[-4000:]}" for n, bot in enumerate(self.bots))


@pytest.fixture(scope="module")
def replicas(bot_image: BuiltImage, azurite: AzuriteServer) -> Iterator[Replicas]:
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: apt-get install nginx-light (or nginx)", pytrace=False)
    container = f"replicas-{uuid.uuid4().hex[:12]}"
    env = {
        "BOT_STORAGE": "blob",
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "AZURE_STORAGE_CONTAINER": container,
        "BOT_ENGINE_WORKERS": "1",  # two replicas on a 2-core machine
        **PATIENT_ENGINES,
    }
    pair = Replicas(bot_image, env)
    try:
        asyncio.run(_start_all(pair.bots))
        pair.balancer = RoundRobinBalancer([bot.port for bot in pair.bots]).start()
        yield pair
    finally:
        if pair.balancer is not None:
            pair.balancer.stop()
        for bot in pair.bots:
            bot.remove()


async def _start_all(bots: list[BotContainer]) -> None:
    await asyncio.gather(*(bot.start() for bot in bots))


def replies_to(harness: Harness, conversation: EmulatorConversation, activity_id: str) -> list[dict]:
    return [a for a in harness.channel.received[conversation.conversation_id] if a.get("replyToId") == activity_id]


async def test_a_spanish_conversation_alternating_replicas_keeps_dialog_and_language(
    replicas: Replicas, azurite: AzuriteServer
) -> None:
    assert replicas.balancer is not None
    seen_before = len(replicas.balancer.requests())
    async with Harness(replicas.messages_url) as harness:
        conversation = harness.conversation(locale="en-US")  # Spanish can come only from the state
        await conversation.join()
        for text, expected in SPANISH_SCRIPT:
            replies = await conversation.say_texts(text)
            assert replies and replies[0].startswith(expected), (text, replies, replicas.logs())
            if text == SPANISH_SCRIPT[0][0]:
                assert "Idioma: español" in replies[0], replies
        finished = await conversation.say("No")  # the feedback dialog ends: its summary is stored
        assert finished, replicas.logs()

        burst = [f"burst-{uuid.uuid4().hex[:8]}" for _ in range(BURST)]
        await asyncio.gather(*(conversation.say("gracias", id=activity_id) for activity_id in burst))
        unanswered = [a for a in burst if not replies_to(harness, conversation, a)]
        assert not unanswered, replicas.logs()

    turns = [row for row in replicas.balancer.requests()[seen_before:] if row[3] == "/api/messages"]
    sequential = [row[4] for row in turns[: 2 + len(SPANISH_SCRIPT)]]  # join, script, "No"
    assert all(status in ("200", "201") for _, _, status, _, _ in turns), turns
    assert all(a != b for a, b in itertools.pairwise(sequential)), sequential  # alternated
    assert len(set(sequential)) == 2

    records = await blob_records(azurite.connection_string, replicas.bots[0].env["AZURE_STORAGE_CONTAINER"])
    stored = records[conversation_key(conversation.conversation_id)]
    user = records[user_key(conversation.user["id"])]
    assert stored["profile"]["language"] == "es"
    assert turns_of(stored) == len(SPANISH_SCRIPT) + 1 + BURST  # no turn's write was lost
    assert len(user["profile"]["feedback"]) == 1


async def test_sigterm_to_a_replica_during_a_burst_loses_no_turn(
    replicas: Replicas, azurite: AzuriteServer
) -> None:
    stopping, other = replicas.bots
    answered = 0
    signalled = asyncio.Event()

    async def talk(conversation: EmulatorConversation, harness: Harness) -> list[str]:
        nonlocal answered
        await conversation.join()
        ids = []
        for n in range(TURNS_EACH):
            activity_id = f"turn-{n}-{uuid.uuid4().hex[:6]}"
            ids.append(activity_id)
            result = await conversation.post({"type": "message", "text": f"mensaje número {n}, gracias", "id": activity_id})
            assert result.status in (200, 201), (result, replicas.logs())
            answered += 1
            if answered == STOP_AFTER:
                stopping.signal("TERM")
                signalled.set()
        return ids

    async with Harness(replicas.messages_url) as harness:
        conversations = [harness.conversation(locale="es-ES") for _ in range(CONVERSATIONS)]
        started = time.time()
        sent = await asyncio.gather(*(talk(c, harness) for c in conversations))
        took = time.time() - started
        assert signalled.is_set()
        lost = [(c.conversation_id, a) for c, ids in zip(conversations, sent, strict=True)
                for a in ids if not replies_to(harness, c, a)]
        assert not lost, replicas.logs()

    exit_code = stopping.wait()
    logs = stopping.logs()
    assert exit_code == 0, logs[-4000:]
    after_stop = logs.split("stopping: no new connections", 1)
    assert len(after_stop) == 2, logs[-4000:]
    # Turns that were in flight on the stopping replica finished after the SIGTERM, answered.
    assert ANSWERED_LOG.search(after_stop[1]), logs[-4000:]
    assert "INFO bot stopped" in after_stop[1]

    records = await blob_records(azurite.connection_string, other.env["AZURE_STORAGE_CONTAINER"])
    for conversation in conversations:
        assert turns_of(records[conversation_key(conversation.conversation_id, "emulator")]) == TURNS_EACH
    finished_after = len(ANSWERED_LOG.findall(after_stop[1]))
    assert replicas.balancer is not None
    resent = sum(", " in row[4] for row in replicas.balancer.requests())
    print(f"\n{CONVERSATIONS * TURNS_EACH} turns in {took:.1f} s over 2 replicas; SIGTERM after {STOP_AFTER}; "
          f"{finished_after} finished on the stopping replica after its SIGTERM; {resent} sent again by nginx "
          "to the other replica (connection refused or reset); none lost")

    stopping.remove()
    await stopping.start()  # the pair is whole again for any test that follows
