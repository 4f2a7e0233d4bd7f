"""A local stand-in for Microsoft Entra ID: OpenID metadata, signing keys, client-credentials tokens.

It answers the requests botbuilder and MSAL make (tenant and instance discovery, JWKS,
`/oauth2/v2.0/token`) with the real service's JSON shapes, signs with an RSA key made
for the test run, and mints the tokens the Bot Framework Emulator would send.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

# The botframework.com tenant: the issuer of the Emulator's tokens and of the bot's own.
BOTFRAMEWORK_TENANT_ID = "d6d49420-f39b-4df7-a1dc-d59a935871db"
EMULATOR_ISSUER_V1 = f"https://sts.windows.net/{BOTFRAMEWORK_TENANT_ID}/"
EMULATOR_ISSUER_V2 = f"https://login.microsoftonline.com/{BOTFRAMEWORK_TENANT_ID}/v2.0"
TENANT_IDS = {"botframework.com": BOTFRAMEWORK_TENANT_ID, "common": "{tenantid}"}


def new_signing_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class TokenRequest:
    """One request to the token endpoint, as the fake saw it."""

    tenant: str
    form: dict[str, str]
    issued: str | None


@dataclass
class FakeEntraId:
    """The routes and state of the fake; serve `app()` over TLS."""

    apps: dict[str, str] = field(default_factory=dict)  # client id -> client secret
    key: RSAPrivateKey = field(default_factory=new_signing_key)
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    requests: list[str] = field(default_factory=list)
    token_requests: list[TokenRequest] = field(default_factory=list)
    served_at: str = ""  # host:port the fake listens on, set once it is serving

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/common/discovery/instance", self._instance_discovery)
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid_configuration)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self._keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.host}{request.path}")
        return await handler(request)

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "x5t": self.kid}]}

    def sign(self, claims: dict[str, Any], *, key: RSAPrivateKey | None = None, kid: str | None = None) -> str:
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid, "x5t": kid or self.kid}
        )

    def emulator_token(
        self,
        app_id: str,
        *,
        version: str = "1.0",
        audience: str | None = None,
        lifetime_s: int = 3600,
        **signing: Any,
    ) -> str:
        """A token shaped like the one the Emulator gets for the bot's app id and password."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience or app_id,
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + lifetime_s,
            "tid": BOTFRAMEWORK_TENANT_ID,
            "uti": secrets.token_urlsafe(16),
            "ver": version,
        }
        if version == "2.0":
            claims |= {"iss": EMULATOR_ISSUER_V2, "azp": app_id, "azpacr": "1"}
        else:
            claims |= {"iss": EMULATOR_ISSUER_V1, "appid": app_id, "appidacr": "1", "idp": EMULATOR_ISSUER_V1}
        return self.sign(claims, **signing)

    def issued_tokens(self) -> list[str]:
        return [request.issued for request in self.token_requests if request.issued]

    async def _instance_discovery(self, request: web.Request) -> web.Response:
        # MSAL sends the authority's host without its port; any host but Microsoft's is this fake.
        authorize = urlsplit(request.query.get("authorization_endpoint", ""))
        tenant = authorize.path.strip("/").split("/")[0]
        host = authorize.netloc if authorize.netloc == "login.microsoftonline.com" else self.served_at
        return web.json_response({
            "tenant_discovery_endpoint": f"https://{host}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        })

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        tenant_id = TENANT_IDS.get(tenant, tenant)
        base = f"https://{request.host}/{tenant}"
        return web.json_response({
            "issuer": f"https://login.microsoftonline.com/{tenant_id}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "WW",
        })

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response(self.jwks())

    async def _token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
        error = self._reject(form)
        if error is not None:
            self.token_requests.append(TokenRequest(tenant, form, None))
            return web.json_response(
                {"error": error[0], "error_description": error[1], "correlation_id": str(uuid.uuid4())},
                status=400 if error[0] != "invalid_client" else 401,
            )
        now = int(time.time())
        tenant_id = TENANT_IDS.get(tenant, tenant)
        token = self.sign({
            "aud": form["scope"].removesuffix("/.default"),
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now, "nbf": now, "exp": now + 3600,
            "appid": form["client_id"], "appidacr": "1", "tid": tenant_id, "ver": "1.0",
        })
        self.token_requests.append(TokenRequest(tenant, form, token))
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _reject(self, form: dict[str, str]) -> tuple[str, str] | None:
        if form.get("grant_type") != "client_credentials":
            return "unsupported_grant_type", "AADSTS70003: only client_credentials is served here."
        if form.get("client_id") not in self.apps:
            return "unauthorized_client", f"AADSTS700016: Application '{form.get('client_id')}' not found."
        if form.get("client_secret") != self.apps[form["client_id"]]:
            return "invalid_client", "AADSTS7000215: Invalid client secret provided."
        if not form.get("scope", "").endswith("/.default"):
            return "invalid_scope", "AADSTS1002012: client credentials need a /.default scope."
        return None
