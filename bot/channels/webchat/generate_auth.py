"""Who may call `tokens/generate`, and whose word on the user id counts.

As with Azure Direct Line, a caller holding the secret is a trusted server: it is not
rate-limited per address and may name the user (`{"user": {"id": ...}}`). Anyone else gets
a server-assigned `dl_` user, and with a Bot Service registration (`MicrosoftAppId` set)
no token at all: the local endpoint must not become a way around Bot Service auth.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

USER_ID_MAX = 64
# What a trusted server may name a user: printable ASCII without spaces or quotes.
_USER_ID = re.compile(rf"[A-Za-z0-9_.:@+=-]{{1,{USER_ID_MAX}}}")


@dataclass(frozen=True)
class GenerateVerdict:
    """A caller of `tokens/generate`: trusted or not, and the refusal if it must be refused."""

    trusted: bool
    status: int = 0  # 0: allowed; else 401 (no secret) or 403 (wrong secret)
    reason: str = ""


class GeneratePolicy:
    """Checks the `Authorization` header of `tokens/generate` against the configured secret."""

    def __init__(self, secret: str, *, secret_required: bool) -> None:
        if secret_required and not secret:
            raise ValueError("a secret is required when secret_required is set")
        self._secret = secret.encode("utf-8")
        self.secret_required = secret_required

    def check(self, authorization: str) -> GenerateVerdict:
        scheme, _, presented = authorization.partition(" ")
        presented = presented.strip()
        if scheme.lower() == "bearer" and presented and self._secret and hmac.compare_digest(
            presented.encode("utf-8", "surrogatepass"), self._secret
        ):
            return GenerateVerdict(trusted=True)
        if not self.secret_required:
            return GenerateVerdict(trusted=False)  # local development: open, limited, server-chosen users
        if not authorization.strip():
            return GenerateVerdict(False, 401, "tokens/generate needs the Direct Line secret as a Bearer token")
        return GenerateVerdict(False, 403, "the Direct Line secret is not valid")


def new_user_id() -> str:
    """A server-assigned user id, as Azure Direct Line gives (`dl_` and random)."""
    return f"dl_{secrets.token_hex(8)}"


def valid_user_id(value: object) -> str | None:
    """A trusted caller's user id if it is acceptable, else None."""
    if isinstance(value, str) and _USER_ID.fullmatch(value.strip()):
        return value.strip()
    return None
