"""The optional Bot Framework endpoint settings: off by default, complete when any one is set."""

from __future__ import annotations

import pytest
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants, GovernmentConstants

from bot.settings import GOVERNMENT_CHANNEL_SERVICE, PUBLIC_CLOUD_ENDPOINTS, SettingsError
from tests.conftest import make_settings

NAMES = (
    "CHANNEL_SERVICE",
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
    "OAUTH_URL",
    "CALLER_ID",
)


def inner_kind(env: dict[str, str]) -> str:
    """Which of botbuilder's authentications ConfigurationBotFrameworkAuthentication picked."""
    return type(ConfigurationBotFrameworkAuthentication(make_settings(**env))._inner).__name__


def test_unset_endpoints_leave_botbuilder_on_its_public_cloud_defaults() -> None:
    settings = make_settings(MicrosoftAppId="app", MicrosoftAppPassword="secret")
    assert all(getattr(settings, name) is None for name in NAMES)
    assert settings.VALIDATE_AUTHORITY is True
    assert inner_kind({"MicrosoftAppId": "app", "MicrosoftAppPassword": "secret"}) == (
        "_PublicCloudBotFrameworkAuthentication"
    )


def test_one_endpoint_switches_botbuilder_to_parameterized_with_public_cloud_for_the_rest() -> None:
    env = {"TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": "https://127.0.0.1:9/common/v2.0/.well-known/openid-configuration"}
    settings = make_settings(**env)
    assert settings.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL == env["TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL"]
    assert settings.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == "https://api.botframework.com"
    assert settings.TO_CHANNEL_FROM_BOT_LOGIN_URL == "https://login.microsoftonline.com/botframework.com"
    assert inner_kind(env) == "_ParameterizedBotFrameworkAuthentication"


def test_public_cloud_values_match_botbuilders_constants() -> None:
    constants = AuthenticationConstants
    assert PUBLIC_CLOUD_ENDPOINTS.to_bot_from_emulator_openid_metadata_url == (
        constants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
    )
    assert PUBLIC_CLOUD_ENDPOINTS.to_bot_from_channel_openid_metadata_url == (
        constants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    )
    assert PUBLIC_CLOUD_ENDPOINTS.to_bot_from_channel_token_issuer == constants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
    assert PUBLIC_CLOUD_ENDPOINTS.to_channel_from_bot_login_url == (
        constants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + constants.DEFAULT_CHANNEL_AUTH_TENANT
    )
    assert PUBLIC_CLOUD_ENDPOINTS.to_channel_from_bot_oauth_scope == constants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    assert PUBLIC_CLOUD_ENDPOINTS.oauth_url == constants.OAUTH_URL
    assert PUBLIC_CLOUD_ENDPOINTS.caller_id == CallerIdConstants.public_azure_channel.value
    assert GOVERNMENT_CHANNEL_SERVICE == GovernmentConstants.CHANNEL_SERVICE


def test_government_channel_service_selects_botbuilders_government_cloud() -> None:
    assert inner_kind({"CHANNEL_SERVICE": GOVERNMENT_CHANNEL_SERVICE}) == "_GovernmentCloudBotFrameworkAuthentication"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHANNEL_SERVICE", "https://somewhere.example"),
        ("TO_CHANNEL_FROM_BOT_LOGIN_URL", "login.example/tenant"),
        ("VALIDATE_AUTHORITY", "maybe"),
    ],
)
def test_bad_endpoint_setting_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        make_settings(**{variable: value})
    assert raised.value.variable == variable
