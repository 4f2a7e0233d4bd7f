"""`python -m bot` serves on uvloop by default, on asyncio's loop when asked."""

from __future__ import annotations

import asyncio
import builtins

import pytest
import uvloop

from bot.event_loop import new_event_loop
from bot.settings import load_settings


def test_the_default_setting_is_uvloop() -> None:
    assert load_settings({}, dotenv=False).event_loop == "uvloop"
    assert load_settings({"BOT_EVENT_LOOP": "AsyncIO"}, dotenv=False).event_loop == "asyncio"


@pytest.mark.parametrize(("kind", "expected"), [("uvloop", uvloop.Loop), ("asyncio", asyncio.BaseEventLoop)])
def test_each_kind_gives_its_loop_which_runs_a_server(kind: str, expected: type) -> None:
    loop = new_event_loop(kind)
    try:
        assert isinstance(loop, expected)
        assert (kind == "uvloop") == isinstance(loop, uvloop.Loop)

        async def echo_once() -> bytes:
            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                writer.write(await reader.readline())
                await writer.drain()
                writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping\n")
            answer = await reader.readline()
            writer.close()
            server.close()
            await server.wait_closed()
            return answer

        assert loop.run_until_complete(echo_once()) == b"ping\n"
    finally:
        loop.close()


def test_without_uvloop_the_standard_loop_serves(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    real_import = builtins.__import__

    def no_uvloop(name: str, *args, **kwargs):
        if name == "uvloop":
            raise ImportError("no uvloop here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    loop = new_event_loop("uvloop")
    try:
        assert not isinstance(loop, uvloop.Loop)
        assert "uvloop is not installed" in caplog.text
    finally:
        loop.close()


def test_python_m_bot_serves_on_the_configured_loop_with_the_heap_settled(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.__main__ as entry
    from bot.heap import settle_heap_on_startup

    seen: dict = {}

    def fake_run_app(app, **kwargs) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(entry.web, "run_app", fake_run_app)
    monkeypatch.setattr(entry, "configure_logging", lambda level, **_: None)  # process-wide switches: not in pytest
    monkeypatch.setenv("BOT_STORAGE", "memory")
    monkeypatch.setenv("BOT_EVENT_LOOP", "uvloop")
    assert entry.main([]) == 0
    try:
        assert isinstance(seen["loop"], uvloop.Loop)
        assert settle_heap_on_startup in seen["app"].on_startup
    finally:
        seen["loop"].close()
