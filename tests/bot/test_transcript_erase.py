""""Delete my data" deletes the conversation's recorded `.transcript` file, and only that one."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app import create_app
from bot.transcripts import FileTranscriptStore
from tests.conftest import make_settings, serve
from tests.harness import Harness

DELETED = "I've deleted everything I stored about you and this conversation."


async def test_the_eraser_deletes_that_conversations_file_only(tmp_path: Path) -> None:
    store = FileTranscriptStore(tmp_path)
    leaving = store.path_for("msteams", "19:abc@thread.tacv2;messageid=1")
    staying = store.path_for("msteams", "19:abc@thread.tacv2;messageid=2")
    for path in (leaving, staying):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[]\n", encoding="utf-8")

    await store.erase("msteams", "19:abc@thread.tacv2;messageid=1", "user-1")
    await store.erase("msteams", "never-recorded", "user-1")  # nothing there is fine

    assert not leaving.exists()
    assert staying.exists()
    assert store.erasures("msteams", "19:abc@thread.tacv2;messageid=1") == 1


async def test_delete_my_data_deletes_the_recording_and_records_nothing_more_of_that_turn(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "transcripts"
    settings = make_settings(BOT_TRANSCRIPT_DIR=str(directory), BOT_ANALYSIS="off")
    runner, url = await serve(create_app(settings))
    try:
        async with Harness(f"{url}/api/messages") as harness:
            leaving, staying = harness.conversation(), harness.conversation()
            await leaving.say("my secret order number is 4711")
            await staying.say("hello")
            store = FileTranscriptStore(directory)
            mine = store.path_for(leaving.channel_id, leaving.conversation_id)
            theirs = store.path_for(staying.channel_id, staying.conversation_id)
            assert "4711" in mine.read_text(encoding="utf-8")
            before = theirs.read_text(encoding="utf-8")

            await leaving.say("privacy")
            await leaving.say("Delete my data")
            [reply] = await leaving.say_texts("yes")
            assert reply.startswith(DELETED)

            assert not mine.exists()  # not even the confirmation was recorded again
            assert theirs.read_text(encoding="utf-8") == before

            await leaving.say("hello again")  # the next turn is recorded afresh
            texts = [record.get("text") for record in json.loads(mine.read_text(encoding="utf-8"))]
    finally:
        await runner.cleanup()
    assert "hello again" in texts
    assert not any("4711" in (text or "") for text in texts)
