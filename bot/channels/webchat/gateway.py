"""Hands Direct Line activities to the bot in-process, and lets the bot reply over loopback.

The local endpoint has already checked the user's Direct Line token, so the activity is
given to `CloudAdapter.process_activity` with an already-authenticated result instead of
a JWT: this works whether or not `MicrosoftAppId` is set. The bot's replies go to the
endpoint's connector routes with a per-process key, never to Azure's token service.
"""

from __future__ import annotations

import secrets

from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
)

LOCAL_APP_ID = "local-directline"


class LoopbackCredentials(AppCredentials):
    """Signs the bot's calls to the local connector routes with the process's own key."""

    def __init__(self, app_id: str, key: str) -> None:
        super().__init__(app_id=app_id or LOCAL_APP_ID)
        self._key = key

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._key


class _LoopbackConnectorFactory(ConnectorFactory):
    """Always the one connector client pointed at this process's connector routes."""

    def __init__(self, gateway: BotGateway) -> None:
        self._gateway = gateway

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return self._gateway.connector(service_url)


class BotGateway:
    """Runs bot turns for the local Direct Line endpoint; one per app."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.key = secrets.token_urlsafe(32)
        self._clients: dict[str, ConnectorClient] = {}

    def connector(self, service_url: str) -> ConnectorClient:
        client = self._clients.get(service_url)
        if client is None:
            client = ConnectorClient(LoopbackCredentials(self.app_id, self.key), base_url=service_url)
            # Loopback to this same process: a refused connection means it is stopping, so don't
            # retry with backoff (msrest's default would hold shutdown for seconds).
            client.config.retry_policy.retries = 0
            self._clients[service_url] = client
        return client

    def authenticated(self) -> AuthenticateRequestResult:
        """The result JWT validation would give for a channel request to this bot."""
        result = AuthenticateRequestResult()
        result.claims_identity = ClaimsIdentity(
            {
                AuthenticationConstants.AUDIENCE_CLAIM: self.app_id,
                AuthenticationConstants.APP_ID_CLAIM: self.app_id,
            },
            True,
        )
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = None
        result.connector_factory = _LoopbackConnectorFactory(self)
        return result

    async def run_turn(self, adapter: CloudAdapter, bot: Bot, activity: Activity) -> None:
        await adapter.process_activity(self.authenticated(), activity, bot.on_turn)

    def is_loopback_key(self, authorization: str) -> bool:
        scheme, _, key = authorization.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(key.strip(), self.key)

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.__aexit__(None, None, None)
