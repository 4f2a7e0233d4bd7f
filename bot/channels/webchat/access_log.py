"""An access log without query strings or capability URLs.

Direct Line puts the conversation's token in the stream URL (`...?t=TOKEN`, the protocol's
own shape, since a browser WebSocket cannot send headers), and uploads are served at
unguessable URLs. aiohttp's default access log writes the whole request line, so either
would end up in the logs; this one writes method, path (no query), status, bytes, time.
"""

from __future__ import annotations

from aiohttp.abc import BaseRequest
from aiohttp.web import StreamResponse
from aiohttp.web_log import AccessLogger

MAX_LOGGED_PATH = 200
# Paths whose last segments are secrets themselves: logged up to the prefix.
_CAPABILITY_PREFIXES = ("/v3/directline/attachments/",)


def loggable_path(raw_path: str) -> str:
    """The request's raw (still percent-encoded) path, minus anything that grants access."""
    path = "".join(ch if " " < ch < "\x7f" else f"%{ord(ch):02X}" for ch in raw_path.split("?", 1)[0])
    for prefix in _CAPABILITY_PREFIXES:
        if path.startswith(prefix):
            return f"{prefix}..."
    return path if len(path) <= MAX_LOGGED_PATH else f"{path[:MAX_LOGGED_PATH]}..."


class SafeAccessLogger(AccessLogger):
    """`METHOD /path STATUS BYTES SECONDS`; pass as `access_log_class` to `web.run_app`."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        method = request.method if request is not None else "-"
        path = loggable_path(request.raw_path) if request is not None else "-"
        self.logger.info(
            "%s %s %s %s %.3f", method, path, response.status, response.body_length, time,
            extra={"method": method, "path": path, "response_status": response.status,
                   "response_size": response.body_length, "request_time_frac": f"{time:.6f}"},
        )
