"""A local HTTPS (CONNECT) proxy that sends Microsoft's login host to the fake.

With `HTTPS_PROXY` pointing here, MSAL and botbuilder reach `login.microsoftonline.com`
exactly as in production, without DNS tricks or network; every other host is refused
and recorded, so a test can prove nothing else was contacted.
"""

from __future__ import annotations

import asyncio
import contextlib

ROUTED_HOSTS = ("login.microsoftonline.com:443",)


class ConnectProxy:
    """Tunnels CONNECT requests for routed hosts to one local port."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self.tunnels: list[str] = []
        self.refused: list[str] = []
        self._open: set[asyncio.StreamWriter] = set()
        self.url = ""

    async def start(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        """Close the listener and every open tunnel (clients keep connections alive)."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        method, _, rest = head.decode("latin-1").partition(" ")
        target = rest.split(" ", 1)[0]
        if method != "CONNECT" or target not in ROUTED_HOSTS:
            self.refused.append(f"{method} {target}")
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        self.tunnels.append(target)
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._open |= {writer, upstream_writer}
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._open -= {writer, upstream_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(ConnectionError, RuntimeError):
            writer.close()
