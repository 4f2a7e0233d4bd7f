"""Direct Line tokens for the local endpoint: HMAC-signed, bound to one conversation, short-lived.

A token names its conversation and user and carries its expiry; the signing key is random
per process, so nothing is stored per token and a restart invalidates every token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_LIFETIME_S = 1800
# Ours are ~150 characters; anything longer is refused before it is decoded or hashed.
MAX_TOKEN_CHARS = 2048
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class TokenError(PermissionError):
    """A token is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class TokenGrant:
    """What a valid token allows: one conversation, as one user, until `expires_at`."""

    conversation_id: str
    user_id: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks tokens; one instance per app, its key never leaves the process."""

    def __init__(
        self,
        *,
        lifetime_s: int = DEFAULT_LIFETIME_S,
        key: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lifetime_s = lifetime_s
        self._key = key if key is not None else secrets.token_bytes(32)
        self._clock = clock

    def issue(self, conversation_id: str, user_id: str) -> str:
        """A fresh token for this conversation and user, valid for `lifetime_s`."""
        claims = {"c": conversation_id, "u": user_id, "x": int(self._clock()) + self.lifetime_s,
                  "n": secrets.token_hex(4)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str) -> TokenGrant:
        """The grant a token carries, or TokenError if it is forged, malformed or expired.

        The shape is checked first (length, then ASCII base64url "body.signature"), so a
        hostile token costs no decoding and never reaches `compare_digest` with non-ASCII
        text (which raises TypeError, i.e. a 500).
        """
        if len(token) > MAX_TOKEN_CHARS or not token.isascii() or not _TOKEN_SHAPE.fullmatch(token):
            raise TokenError("invalid token")
        body, _, signature = token.partition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise TokenError("invalid token")
        try:
            claims = json.loads(_unb64(body))
            grant = TokenGrant(str(claims["c"]), str(claims["u"]), float(claims["x"]))
        except (ValueError, KeyError, TypeError) as error:
            raise TokenError("invalid token") from error
        if grant.expires_at <= self._clock():
            raise TokenError("token expired")
        return grant

    def refresh(self, token: str) -> str:
        """A new token for the same conversation and user; the old one must still be valid."""
        grant = self.verify(token)
        return self.issue(grant.conversation_id, grant.user_id)

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())


def bearer_token(authorization: str) -> str:
    """The token from an `Authorization: Bearer ...` header, or TokenError."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("missing bearer token")
    return token.strip()
