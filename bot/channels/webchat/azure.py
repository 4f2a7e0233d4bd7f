"""Azure mode: exchange the Direct Line secret for a short-lived token, server-side only.

The secret stays in this process; the browser only ever sees the token Direct Line
returns for one new conversation.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import aiohttp

log = logging.getLogger("bot.channels.webchat.azure")


class TokenExchangeError(RuntimeError):
    """Azure Direct Line did not give a token (bad secret, outage, unexpected reply)."""


@dataclass(frozen=True)
class DirectLineToken:
    """A token for one conversation, as the page needs it."""

    token: str
    conversation_id: str
    expires_in: int
    domain: str


class SecretExchanger:
    """Calls `POST {endpoint}/v3/directline/tokens/generate` with the secret as Bearer."""

    def __init__(self, endpoint: str, secret: str, session: aiohttp.ClientSession) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._secret = secret
        self._session = session

    @property
    def domain(self) -> str:
        return f"{self._endpoint}/v3/directline"

    async def token(self) -> DirectLineToken:
        user_id = f"dl_{secrets.token_hex(8)}"
        try:
            async with self._session.post(
                f"{self.domain}/tokens/generate",
                headers={"Authorization": f"Bearer {self._secret}"},
                json={"user": {"id": user_id}},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                if response.status != 200:
                    raise TokenExchangeError(f"Direct Line answered {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TokenExchangeError(f"Direct Line token request failed: {type(error).__name__}") from None
        if not isinstance(body, dict) or not isinstance(body.get("token"), str):
            raise TokenExchangeError("Direct Line answered without a token")
        return DirectLineToken(
            token=body["token"],
            conversation_id=str(body.get("conversationId", "")),
            expires_in=int(body.get("expires_in", 1800)),
            domain=self.domain,
        )
