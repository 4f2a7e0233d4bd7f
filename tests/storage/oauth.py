"""Entra ID-shaped bearer tokens for Azurite's `--oauth basic`, and a credential that hands them out.

Azurite's basic OAuth check (src/blob/authentication/BlobTokenAuthenticator.ts) decodes the
JWT without checking its signature, then wants `iat`, `nbf` and `exp` with now inside
[nbf, exp], an issuer starting with a known security token service (e.g.
`https://sts.windows.net/`) and a storage audience (`https://storage.azure.com`). So an
unsigned token with those claims passes, and one with any of them wrong is refused (401).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from azure.core.credentials import AccessToken

TENANT_ID = "00000000-0000-4000-8000-00000000d0e5"  # any tenant: Azurite checks the issuer's prefix
STORAGE_AUDIENCE = "https://storage.azure.com"
STORAGE_SCOPE = f"{STORAGE_AUDIENCE}/.default"  # what azure-storage-blob asks a credential for


def _b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_jwt(lifetime_s: int = 3600, **overrides: Any) -> str:
    """A JWT (alg "none") with the claims of a managed identity's storage token."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": STORAGE_AUDIENCE,
        "iss": f"https://sts.windows.net/{TENANT_ID}/",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + lifetime_s,
        "oid": "11111111-2222-4333-8444-555555555555",
        "tid": TENANT_ID,
        "ver": "1.0",
    }
    claims.update(overrides)
    return f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}."


class TokenCredential:
    """An async TokenCredential (azure-core's protocol) that returns one given token.

    It records the scopes it was asked for, so a test can see what the SDK requested.
    """

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self.token = token
        self.expires_on = expires_on if expires_on is not None else int(time.time()) + 3600
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, self.expires_on)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> TokenCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return "TokenCredential(<token hidden>)"
