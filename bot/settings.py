"""One typed settings object, read once from the environment (a `.env` file is allowed).

A wrong value stops start-up with a message naming the variable and what it accepts,
so a misconfigured deployment fails at once instead of on the first user's turn.

Over 300 lines on purpose: every variable the bot reads, with its default and its check,
is in this one file, so an operator (and the deployment test) reads the whole surface here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from adapters.config import (
    LOCAL_ENCODERS,
    AzureContentSafetyConfig,
    AzureLanguageConfig,
    AzureTranslatorConfig,
    EngineConfig,
)
from adapters.contracts import SUPPORTED_LANGUAGES

T = TypeVar("T")

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
ENGINE_NAMES = ("azure", "local")
STORAGE_KINDS = ("sqlite", "memory", "blob")
EVENT_LOOPS = ("uvloop", "asyncio")


class SettingsError(ValueError):
    """A setting has a value the bot cannot run with."""

    def __init__(self, variable: str, value: str, accepted: str) -> None:
        super().__init__(f"{variable}={value!r} is not valid; accepted: {accepted}")
        self.variable = variable


@dataclass(frozen=True)
class BotFrameworkEndpoints:
    """Where tokens are checked and fetched; all None means botbuilder's public-cloud defaults."""

    channel_service: str | None = None
    validate_authority: bool = True
    to_bot_from_emulator_openid_metadata_url: str | None = None
    to_bot_from_channel_openid_metadata_url: str | None = None
    to_bot_from_channel_token_issuer: str | None = None
    to_channel_from_bot_login_url: str | None = None
    to_channel_from_bot_oauth_scope: str | None = None
    oauth_url: str | None = None
    caller_id: str | None = None

    @property
    def parameterized(self) -> bool:
        """botbuilder switches to its parameterized authentication when any of these is set."""
        return any(
            (
                self.to_bot_from_emulator_openid_metadata_url,
                self.to_bot_from_channel_openid_metadata_url,
                self.to_bot_from_channel_token_issuer,
                self.to_channel_from_bot_login_url,
                self.to_channel_from_bot_oauth_scope,
                self.oauth_url,
                self.caller_id,
            )
        )


# Public-cloud values (botframework.connector.auth.AuthenticationConstants) used for the
# endpoints left unset once any one is overridden: botbuilder's parameterized mode has no defaults.
PUBLIC_CLOUD_ENDPOINTS = BotFrameworkEndpoints(
    to_bot_from_emulator_openid_metadata_url=(
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    ),
    to_bot_from_channel_openid_metadata_url=(
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    ),
    to_bot_from_channel_token_issuer="https://api.botframework.com",
    to_channel_from_bot_login_url="https://login.microsoftonline.com/botframework.com",
    to_channel_from_bot_oauth_scope="https://api.botframework.com",
    oauth_url="https://api.botframework.com",
    caller_id="urn:botframework:azure",
)
GOVERNMENT_CHANNEL_SERVICE = "https://botframework.azure.us"


def _read_endpoints(read: _Reader) -> BotFrameworkEndpoints:
    """Optional endpoint overrides (e.g. a local identity provider in tests)."""
    given = BotFrameworkEndpoints(
        channel_service=read.url("CHANNEL_SERVICE") or None,
        validate_authority=read.switch("VALIDATE_AUTHORITY", True),
        to_bot_from_emulator_openid_metadata_url=read.url("TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL") or None,
        to_bot_from_channel_openid_metadata_url=read.url("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL") or None,
        to_bot_from_channel_token_issuer=read.raw("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER") or None,
        to_channel_from_bot_login_url=read.url("TO_CHANNEL_FROM_BOT_LOGIN_URL") or None,
        to_channel_from_bot_oauth_scope=read.raw("TO_CHANNEL_FROM_BOT_OAUTH_SCOPE") or None,
        oauth_url=read.url("OAUTH_URL") or None,
        caller_id=read.raw("CALLER_ID") or None,
    )
    if not given.parameterized:
        if given.channel_service not in (None, GOVERNMENT_CHANNEL_SERVICE):
            raise SettingsError(
                "CHANNEL_SERVICE",
                given.channel_service or "",
                f"{GOVERNMENT_CHANNEL_SERVICE}, or any value with the TO_* endpoint variables set",
            )
        return given
    filled = {
        name: getattr(given, name) or getattr(PUBLIC_CLOUD_ENDPOINTS, name)
        for name in BotFrameworkEndpoints.__dataclass_fields__
        if name not in ("channel_service", "validate_authority")
    }
    return BotFrameworkEndpoints(
        channel_service=given.channel_service, validate_authority=given.validate_authority, **filled
    )


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment, validated."""

    port: int = 3978
    host: str = "127.0.0.1"
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    analysis: bool = True
    engines: EngineConfig = field(default_factory=EngineConfig)
    turn_budget_s: float = 5.0
    storage: str = "sqlite"
    state_dir: Path = Path("data")
    blob_connection_string: str = field(default="", repr=False)
    blob_account_url: str = ""  # keyless Blob state: Entra ID tokens, no account key
    blob_container: str = "bot-state"
    direct_line_secret: str = field(default="", repr=False)
    direct_line_endpoint: str = "https://directline.botframework.com"
    teams_app_name: str = "Showcase Bot"
    transcript_dir: Path | None = None
    max_body_bytes: int = 512 * 1024
    max_text_chars: int = 5120  # longer messages get a localized "too long" reply, unanalysed
    direct_line_local: bool = True  # serve the local Direct Line endpoint (default: only without MicrosoftAppId)
    direct_line_local_secret: str = field(default="", repr=False)  # needed for tokens/generate when set
    direct_line_tokens_per_minute: int = 20  # token requests per client address
    direct_line_conversation_bytes: int = 1024 * 1024  # history + uploads of one conversation
    direct_line_total_bytes: int = 64 * 1024 * 1024  # all local Direct Line conversations together
    direct_line_idle_s: int = 1800  # a conversation unused this long is forgotten
    checkin_window: int = 3  # this many strongly negative turns in a row lead to one gentle check-in
    checkin_negative: float = 0.8  # "strongly negative": negative sentiment at least this sure
    log_level: str = "INFO"
    log_text: bool = False
    event_loop: str = "uvloop"  # python -m bot's event loop (bot/event_loop.py): uvloop | asyncio
    endpoints: BotFrameworkEndpoints = field(default_factory=BotFrameworkEndpoints)
    # Observability (docs/observability.md): nothing is exported unless one of these is set.
    otlp_traces_endpoint: str = ""  # from OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT (OTLP/HTTP protobuf)
    otlp_metrics_endpoint: str = ""  # from OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT
    appinsights_connection_string: str = field(default="", repr=False)  # Azure Monitor
    prometheus: bool = False  # serve GET /metrics, behind metrics_token
    metrics_token: str = field(default="", repr=False)  # bearer token of /metrics
    admin_token: str = field(default="", repr=False)  # serves /admin (operator page) when set

    # Names botbuilder's ConfigurationBotFrameworkAuthentication reads.
    @property
    def APP_ID(self) -> str:
        return self.app_id

    @property
    def APP_PASSWORD(self) -> str:
        return self.app_password

    @property
    def APP_TYPE(self) -> str:
        return self.app_type

    @property
    def APP_TENANTID(self) -> str:
        return self.app_tenant_id

    # Optional Bot Framework endpoints, read by the same getattr names; None keeps the public cloud.
    @property
    def CHANNEL_SERVICE(self) -> str | None:
        return self.endpoints.channel_service

    @property
    def VALIDATE_AUTHORITY(self) -> bool:
        return self.endpoints.validate_authority

    @property
    def TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL(self) -> str | None:
        return self.endpoints.to_bot_from_emulator_openid_metadata_url

    @property
    def TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL(self) -> str | None:
        return self.endpoints.to_bot_from_channel_openid_metadata_url

    @property
    def TO_BOT_FROM_CHANNEL_TOKEN_ISSUER(self) -> str | None:
        return self.endpoints.to_bot_from_channel_token_issuer

    @property
    def TO_CHANNEL_FROM_BOT_LOGIN_URL(self) -> str | None:
        return self.endpoints.to_channel_from_bot_login_url

    @property
    def TO_CHANNEL_FROM_BOT_OAUTH_SCOPE(self) -> str | None:
        return self.endpoints.to_channel_from_bot_oauth_scope

    @property
    def OAUTH_URL(self) -> str | None:
        return self.endpoints.oauth_url

    @property
    def CALLER_ID(self) -> str | None:
        return self.endpoints.caller_id

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def working_language(self) -> str:
        return self.engines.working_language

    @property
    def languages(self) -> tuple[str, ...]:
        return self.engines.supported_languages


class _Reader:
    """Reads and validates one variable at a time from a mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def raw(self, name: str, default: str = "") -> str:
        return self._env.get(name, default).strip()

    def parse(self, name: str, default: T, convert: Callable[[str], T], accepted: str) -> T:
        value = self.raw(name)
        if not value:
            return default
        try:
            return convert(value)
        except ValueError:
            raise SettingsError(name, value, accepted) from None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        def convert(value: str) -> int:
            number = int(value)
            if not low <= number <= high:
                raise ValueError(value)
            return number

        return self.parse(name, default, convert, f"an integer from {low} to {high}")

    def number(self, name: str, default: float, low: float, high: float) -> float:
        def convert(value: str) -> float:
            number = float(value)
            if not low <= number <= high:
                raise ValueError(value)
            return number

        return self.parse(name, default, convert, f"a number from {low} to {high}")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        lookup = {choice.lower(): choice for choice in choices}

        def convert(value: str) -> str:
            if value.lower() not in lookup:
                raise ValueError(value)
            return lookup[value.lower()]

        return self.parse(name, default, convert, " | ".join(choices))

    def switch(self, name: str, default: bool) -> bool:
        words = {"on": True, "true": True, "1": True, "yes": True,
                 "off": False, "false": False, "0": False, "no": False}

        def convert(value: str) -> bool:
            if value.lower() not in words:
                raise ValueError(value)
            return words[value.lower()]

        return self.parse(name, default, convert, "on | off")

    def names(self, name: str, default: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
        def convert(value: str) -> tuple[str, ...]:
            items = tuple(item.strip().lower() for item in value.split(",") if item.strip())
            if not items or any(item not in allowed for item in items) or len(set(items)) != len(items):
                raise ValueError(value)
            return items

        return self.parse(
            name, default, convert, f"a comma-separated list of distinct {', '.join(allowed)}"
        )

    def url(self, name: str) -> str:
        value = self.raw(name)
        if value and not value.startswith(("https://", "http://")):
            raise SettingsError(name, value, "an http(s):// URL")
        return value


BLOB_ACCOUNT_URL_ACCEPTED = (
    "the account's blob endpoint, https://<account>.blob.core.windows.net, with no query or "
    "credentials in it (tokens go over TLS only: for Azurite, https with --oauth basic)"
)


def _read_blob_account(read: _Reader, storage: str) -> tuple[str, str]:
    """(connection string, account URL): exactly one of them when BOT_STORAGE=blob."""
    connection_string = read.raw("AZURE_STORAGE_CONNECTION_STRING")
    account_url = read.raw("AZURE_STORAGE_ACCOUNT_URL").rstrip("/")
    if account_url:
        parts = urlsplit(account_url)
        if parts.query or parts.fragment or "@" in parts.netloc:
            # It may carry a SAS token or a password: never echo it.
            raise SettingsError("AZURE_STORAGE_ACCOUNT_URL", "(hidden)", BLOB_ACCOUNT_URL_ACCEPTED)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise SettingsError("AZURE_STORAGE_ACCOUNT_URL", account_url, BLOB_ACCOUNT_URL_ACCEPTED)
    if storage == "blob" and bool(connection_string) == bool(account_url):
        raise SettingsError(
            "AZURE_STORAGE_ACCOUNT_URL",
            account_url,
            "exactly one of AZURE_STORAGE_ACCOUNT_URL (keyless, with DefaultAzureCredential) and "
            "AZURE_STORAGE_CONNECTION_STRING when BOT_STORAGE=blob"
            + (", not both" if account_url else ""),
        )
    return connection_string, account_url


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read and validate every setting; raises SettingsError naming the first bad variable."""
    if env is None:
        if dotenv:
            from dotenv import dotenv_values

            env = {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}
        else:
            env = os.environ
    read = _Reader(env)

    languages = read.names("BOT_LANGUAGES", SUPPORTED_LANGUAGES, SUPPORTED_LANGUAGES)
    working_language = read.choice("BOT_WORKING_LANGUAGE", "en", languages)

    language_endpoint = read.url("AZURE_LANGUAGE_ENDPOINT")
    translator_endpoint = read.url("AZURE_TRANSLATOR_ENDPOINT")
    content_safety_endpoint = read.url("AZURE_CONTENT_SAFETY_ENDPOINT")
    engines = EngineConfig(
        language_engines=read.names("BOT_LANGUAGE_ENGINES", ("azure", "local"), ENGINE_NAMES),
        sentiment_engines=read.names("BOT_SENTIMENT_ENGINES", ("azure", "local"), ENGINE_NAMES),
        translation_engines=read.names("BOT_TRANSLATION_ENGINES", ("azure", "local"), ENGINE_NAMES),
        language_min_confidence=read.number("BOT_LANGUAGE_MIN_CONFIDENCE", 0.5, 0.0, 1.0),
        sentiment_min_confidence=read.number("BOT_SENTIMENT_MIN_CONFIDENCE", 0.0, 0.0, 1.0),
        call_timeout_s=read.integer("BOT_ENGINE_TIMEOUT_MS", 2000, 10, 60_000) / 1000,
        circuit_failures=read.integer("BOT_CIRCUIT_FAILURES", 3, 1, 1000),
        circuit_cooldown_s=read.number("BOT_CIRCUIT_COOLDOWN_S", 30.0, 0.0, 86_400.0),
        supported_languages=languages,
        working_language=working_language,
        executor_workers=read.integer("BOT_ENGINE_WORKERS", 2, 1, 64),
        sentiment_cascade=read.switch("BOT_SENTIMENT_CASCADE", True),
        local_encoder=read.choice("BOT_LOCAL_ENCODER", "onnx", LOCAL_ENCODERS),
        safety_engines=read.names("BOT_SAFETY_ENGINES", ("azure", "local"), ENGINE_NAMES),
        safety_severity=read.integer("BOT_SAFETY_SEVERITY", 2, 1, 7),
        azure_content_safety=(
            AzureContentSafetyConfig(content_safety_endpoint, read.raw("AZURE_CONTENT_SAFETY_KEY") or None)
            if content_safety_endpoint
            else None
        ),
        azure_language=(
            AzureLanguageConfig(language_endpoint, read.raw("AZURE_LANGUAGE_KEY") or None)
            if language_endpoint
            else None
        ),
        azure_translator=(
            AzureTranslatorConfig(
                translator_endpoint,
                read.raw("AZURE_TRANSLATOR_KEY") or None,
                read.raw("AZURE_TRANSLATOR_REGION") or None,
            )
            if translator_endpoint
            else None
        ),
    )
    transcript_dir = read.raw("BOT_TRANSCRIPT_DIR")
    storage = read.choice("BOT_STORAGE", "sqlite", STORAGE_KINDS)
    blob_connection_string, blob_account_url = _read_blob_account(read, storage)
    app_type = read.choice("MicrosoftAppType", "MultiTenant", APP_TYPES)
    app_tenant_id = read.raw("MicrosoftAppTenantId")
    if app_type == "SingleTenant" and read.raw("MicrosoftAppId") and not app_tenant_id:
        raise SettingsError("MicrosoftAppTenantId", "", "a tenant id when MicrosoftAppType=SingleTenant")

    app_id = read.raw("MicrosoftAppId")
    # The local Direct Line endpoint is for local use: with a Bot Service registration it is
    # served only when asked for, and then its token generation needs a server-side secret.
    direct_line_local = read.switch("BOT_DIRECT_LINE_LOCAL", not app_id)
    direct_line_local_secret = read.raw("BOT_DIRECT_LINE_LOCAL_SECRET")
    if direct_line_local and app_id and len(direct_line_local_secret) < 16:
        raise SettingsError(
            "BOT_DIRECT_LINE_LOCAL_SECRET",
            "",
            "a secret of 16 or more characters when BOT_DIRECT_LINE_LOCAL=on and MicrosoftAppId is set",
        )

    return Settings(
        port=read.integer("PORT", 3978, 1, 65535),
        host=read.raw("HOST", "127.0.0.1") or "127.0.0.1",
        app_id=app_id,
        app_password=read.raw("MicrosoftAppPassword"),
        app_type=app_type,
        app_tenant_id=app_tenant_id,
        analysis=read.switch("BOT_ANALYSIS", True),
        engines=engines,
        turn_budget_s=read.integer("BOT_TURN_BUDGET_MS", 5000, 100, 120_000) / 1000,
        storage=storage,
        state_dir=Path(read.raw("BOT_STATE_DIR", "data") or "data"),
        blob_connection_string=blob_connection_string,
        blob_account_url=blob_account_url,
        blob_container=read.raw("AZURE_STORAGE_CONTAINER", "bot-state") or "bot-state",
        direct_line_secret=read.raw("DIRECT_LINE_SECRET"),
        direct_line_endpoint=(read.url("DIRECT_LINE_ENDPOINT") or "https://directline.botframework.com").rstrip("/"),
        teams_app_name=read.raw("TEAMS_APP_NAME", "Showcase Bot") or "Showcase Bot",
        transcript_dir=Path(transcript_dir) if transcript_dir else None,
        max_body_bytes=read.integer("BOT_MAX_BODY_BYTES", 512 * 1024, 1024, 64 * 1024 * 1024),
        max_text_chars=read.integer("BOT_MAX_TEXT_CHARS", 5120, 16, 100_000),
        direct_line_local=direct_line_local,
        direct_line_local_secret=direct_line_local_secret,
        direct_line_tokens_per_minute=read.integer("BOT_DIRECT_LINE_TOKENS_PER_MINUTE", 20, 1, 100_000),
        direct_line_conversation_bytes=read.integer(
            "BOT_DIRECT_LINE_CONVERSATION_BYTES", 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024
        ),
        direct_line_total_bytes=read.integer(
            "BOT_DIRECT_LINE_TOTAL_BYTES", 64 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024 * 1024
        ),
        direct_line_idle_s=read.integer("BOT_DIRECT_LINE_IDLE_S", 1800, 10, 7 * 86_400),
        checkin_window=read.integer("BOT_CHECKIN_WINDOW", 3, 2, 50),
        checkin_negative=read.number("BOT_CHECKIN_NEGATIVE", 0.8, 0.0, 1.0),
        log_level=read.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        log_text=read.switch("BOT_LOG_TEXT", False),
        event_loop=read.choice("BOT_EVENT_LOOP", "uvloop", EVENT_LOOPS),
        endpoints=_read_endpoints(read),
        **_read_observability(read),
    )


MIN_TOKEN_CHARS = 16
OTLP_PROTOCOLS = ("http/protobuf",)


def _otlp_endpoint(read: _Reader, signal: str) -> str:
    """The OTLP/HTTP URL of one signal as the OpenTelemetry spec resolves it ("" when off)."""
    if read.raw("OTEL_SDK_DISABLED").lower() == "true" or read.raw(f"OTEL_{signal}_EXPORTER").lower() == "none":
        return ""
    for name in (f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        if read.raw(name):
            read.choice(name, "http/protobuf", OTLP_PROTOCOLS)
    own = read.url(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if own:
        return own
    base = read.url("OTEL_EXPORTER_OTLP_ENDPOINT")
    return f"{base.rstrip('/')}/v1/{signal.lower()}" if base else ""


def _token(read: _Reader, name: str) -> str:
    value = read.raw(name)
    if value and len(value) < MIN_TOKEN_CHARS:
        raise SettingsError(name, "(hidden)", f"a secret of {MIN_TOKEN_CHARS} or more characters")
    return value


def _read_observability(read: _Reader) -> dict[str, object]:
    """Exporters (standard OTEL_* and APPLICATIONINSIGHTS_* variables), /metrics and /admin."""
    connection_string = read.raw("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if connection_string and "instrumentationkey=" not in connection_string.lower():
        raise SettingsError(
            "APPLICATIONINSIGHTS_CONNECTION_STRING", "(hidden)", "an Application Insights connection string"
        )
    prometheus = read.switch("BOT_PROMETHEUS", False)
    metrics_token = _token(read, "BOT_METRICS_TOKEN")
    if prometheus and not metrics_token:
        raise SettingsError(
            "BOT_METRICS_TOKEN", "", f"a secret of {MIN_TOKEN_CHARS} or more characters when BOT_PROMETHEUS=on"
        )
    return {
        "otlp_traces_endpoint": _otlp_endpoint(read, "TRACES"),
        "otlp_metrics_endpoint": _otlp_endpoint(read, "METRICS"),
        "appinsights_connection_string": connection_string,
        "prometheus": prometheus,
        "metrics_token": metrics_token,
        "admin_token": _token(read, "BOT_ADMIN_TOKEN"),
    }
