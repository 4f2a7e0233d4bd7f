"""The Bot Framework adapter: CloudAdapter, authentication with client reuse, turn errors.

The stock CloudAdapter builds a new connector client and a new user-token client on
every turn (each one a fresh msrest pipeline and HTTP session, about 6.5 ms of CPU).
`ReusingAuthentication` keeps one connector client per (app id, serviceUrl, audience),
sends replies over one shared aiohttp session (bot/connector.py), and creates the
user-token client only when a turn actually asks for a token.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
import jwt
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, InputHints
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from bot.connector import ConnectorError, FastConnectorClient
from bot.settings import Settings
from dialogs.i18n import t

log = logging.getLogger("bot.hosting")


MAX_CONNECTORS = 256  # distinct (app id, serviceUrl, audience) clients kept for reuse
EVICTED_CLOSE_DELAY_S = 30.0  # longer than any turn still holding an evicted client


async def _close_later(client: FastConnectorClient) -> None:
    await asyncio.sleep(EVICTED_CLOSE_DELAY_S)
    await client.close()


class _CachingConnectorFactory(ConnectorFactory):
    """Hands out one shared connector client per serviceUrl and audience."""

    def __init__(self, inner: ConnectorFactory, owner: ReusingAuthentication, app_id: str):
        self._inner = inner
        self._owner = owner
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url, audience)
        client = self._owner.connectors.get(key)
        if client is None:
            stock = await self._inner.create(service_url, audience)
            client = FastConnectorClient(stock, self._owner.session(), service_url)
            self._owner.remember(key, client)
        else:
            self._owner.connectors.move_to_end(key)
        return client  # type: ignore[return-value]  # quacks like ConnectorClient


class _LazyUserTokenClient(UserTokenClient):
    """Creates the real user-token client on first use: most turns never need one."""

    def __init__(self, create: Callable[[], Awaitable[UserTokenClient]]):
        self._create = create
        self._client: UserTokenClient | None = None

    async def _real(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._create()
        return self._client

    async def get_user_token(self, *args, **kwargs):
        return await (await self._real()).get_user_token(*args, **kwargs)

    async def get_sign_in_resource(self, *args, **kwargs):
        return await (await self._real()).get_sign_in_resource(*args, **kwargs)

    async def sign_out_user(self, *args, **kwargs):
        return await (await self._real()).sign_out_user(*args, **kwargs)

    async def get_token_status(self, *args, **kwargs):
        return await (await self._real()).get_token_status(*args, **kwargs)

    async def get_aad_tokens(self, *args, **kwargs):
        return await (await self._real()).get_aad_tokens(*args, **kwargs)

    async def exchange_token(self, *args, **kwargs):
        return await (await self._real()).exchange_token(*args, **kwargs)


class ReusingAuthentication(BotFrameworkAuthentication):
    """Wraps botbuilder's authentication so clients are reused across turns."""

    def __init__(self, inner: BotFrameworkAuthentication):
        self._inner = inner
        # Keyed by serviceUrl, which a client chooses: bounded, least recently used go first.
        self.connectors: OrderedDict[tuple, FastConnectorClient] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None
        self._closing: set[asyncio.Task] = set()

    def remember(self, key: tuple, client: FastConnectorClient) -> None:
        """Cache a new client; past MAX_CONNECTORS the oldest is closed once its turns are done."""
        self.connectors[key] = client
        while len(self.connectors) > MAX_CONNECTORS:
            _, evicted = self.connectors.popitem(last=False)
            task = asyncio.ensure_future(_close_later(evicted))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def session(self) -> aiohttp.ClientSession:
        """One HTTP session (connection pool) for every reply this process sends.

        Without a cookie jar: channels authenticate replies with a bearer token, and a
        cookie one serviceUrl set must not ride along on other conversations' replies
        (nor cost a jar lookup on each one).
        """
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30), cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            result = await self._inner.authenticate_request(activity, _bearer_header(auth_header))
        except Exception as error:
            reason = _token_rejection(error)
            if reason is None:
                raise
            raise PermissionError(f"invalid token: {reason}") from error
        if result.connector_factory is not None:
            app_id = _app_id_of(result.claims_identity)
            result.connector_factory = _CachingConnectorFactory(result.connector_factory, self, app_id)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str):
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachingConnectorFactory(
            self._inner.create_connector_factory(claims_identity), self, _app_id_of(claims_identity)
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return _LazyUserTokenClient(lambda: self._inner.create_user_token_client(claims_identity))

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    @property
    def cached_connector_count(self) -> int:
        return len(self.connectors)

    async def close(self) -> None:
        """Close every cached connector client and the shared HTTP session."""
        clients, self.connectors = list(self.connectors.values()), OrderedDict()
        for task in list(self._closing):
            task.cancel()
        for client in clients:
            await client.close()
        if self._session is not None:
            await self._session.close()


def _bearer_header(auth_header: str | None) -> str | None:
    """None when absent (botbuilder's parameterized mode fails on ""), else 'Bearer <token>' or 401."""
    if not auth_header:
        return None
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token or " " in token:
        raise PermissionError("Authorization header must be 'Bearer <token>'")
    return auth_header


def _token_rejection(error: Exception) -> str | None:
    """Why botbuilder refused a token, when it says so with something other than PermissionError.

    Bad signatures, expiry and malformed tokens surface as PyJWT errors, an unknown signing
    key as IndexError, a missing `iss` claim as KeyError, an endorsement or algorithm
    mismatch as a bare Exception; anything else (e.g. the key endpoint being down) is not
    the caller's fault and stays an error.
    """
    if isinstance(error, jwt.PyJWTError) or type(error) is Exception:
        return str(error) or type(error).__name__
    if isinstance(error, IndexError):
        return "unknown signing key"
    if isinstance(error, KeyError):
        return f"missing claim {error}"
    return None


def _app_id_of(identity: ClaimsIdentity | None) -> str:
    if identity is None or not identity.claims:
        return ""
    return identity.claims.get("aud") or identity.claims.get("appid") or ""


def create_authentication(settings: Settings, *, reuse_clients: bool = True) -> BotFrameworkAuthentication:
    stock = ConfigurationBotFrameworkAuthentication(settings)
    return ReusingAuthentication(stock) if reuse_clients else stock


ErrorReply = Callable[[TurnContext], Awaitable[None]]


def install_turn_error_handler(
    adapter: CloudAdapter,
    reset_dialogs: ErrorReply | None = None,
    apologise: ErrorReply | None = None,
) -> None:
    """Log with the conversation id, tell the user briefly (in their language), trace only on the Emulator.

    After a failed turn the saved dialog stack may be what failed, and resuming it
    would fail again on every message: `reset_dialogs` clears it (and only it).
    """

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        conversation_id = context.activity.conversation.id if context.activity.conversation else "?"
        log.error(
            "turn failed conversation=%s error=%s",
            conversation_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        try:
            if apologise is not None:
                await apologise(context)
            else:
                await context.send_activity(
                    Activity(
                        type=ActivityTypes.message,
                        text=t(context, "Sorry, something went wrong on my side. Please try again."),
                        input_hint=InputHints.accepting_input,
                    )
                )
            if context.activity.channel_id == "emulator":
                await context.send_activity(
                    Activity(
                        type=ActivityTypes.trace,
                        name="OnTurnError Trace",
                        label="TurnError",
                        value="".join(traceback.format_exception(error)),
                        value_type="https://www.botframework.com/schemas/error",
                    )
                )
        except (TimeoutError, OSError, ConnectorError) as send_error:
            log.warning("could not tell the user about the error: %s", send_error)
        if reset_dialogs is not None:
            try:
                await reset_dialogs(context)
            except Exception as reset_error:  # storage may be what failed
                log.warning("could not reset the dialog stack: %s", type(reset_error).__name__)

    adapter.on_turn_error = on_turn_error
