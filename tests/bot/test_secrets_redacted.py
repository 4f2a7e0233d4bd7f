"""No secret from the environment shows in a repr, a str, or a log line of starting and using the bot."""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

import pytest

from adapters.config import AzureContentSafetyConfig, AzureLanguageConfig, AzureTranslatorConfig
from bot.app import create_app
from bot.settings import Settings, load_settings
from bot.storage.blob_store import AzureBlobStorage
from tests.conftest import serve
from tests.harness import Harness
from tests.storage.azurite import AzuriteServer, free_port

# Distinctive values, so a leak anywhere (even inside a longer line) is found.
SECRETS = {
    "MicrosoftAppPassword": "S3CRET-app-password-0d1f",
    "AZURE_LANGUAGE_KEY": "S3CRET-language-key-7a2c",
    "AZURE_TRANSLATOR_KEY": "S3CRET-translator-key-91be",
    "AZURE_CONTENT_SAFETY_KEY": "S3CRET-content-safety-key-4e70",
    "DIRECT_LINE_SECRET": "S3CRET-direct-line-secret-c55d",
    "BOT_DIRECT_LINE_LOCAL_SECRET": "S3CRET-local-direct-line-secret-2b19",
}
SECRET_FIELD = re.compile(r"key|secret|password|connection_string|token|credential", re.IGNORECASE)


def environment(azurite: AzuriteServer | None = None, *, app_id: str = "") -> dict[str, str]:
    """Everything configured, each service on a closed local port (calls fail fast, and log)."""
    closed = f"http://127.0.0.1:{free_port()}"
    connection_string = (
        azurite.connection_string if azurite is not None
        else "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=S3CRET-account-key-ab12==;"
    )
    return {
        **SECRETS,
        "MicrosoftAppId": app_id,
        "AZURE_LANGUAGE_ENDPOINT": closed,
        "AZURE_TRANSLATOR_ENDPOINT": closed,
        "AZURE_TRANSLATOR_REGION": "westeurope",
        "AZURE_CONTENT_SAFETY_ENDPOINT": closed,
        "BOT_ENGINE_TIMEOUT_MS": "500",
        "BOT_ENGINE_WORKERS": "1",
        "BOT_STORAGE": "blob" if azurite is not None else "memory",
        "AZURE_STORAGE_CONNECTION_STRING": connection_string,
        "AZURE_STORAGE_CONTAINER": "secrets-test",
        "DIRECT_LINE_ENDPOINT": closed,
        "BOT_DIRECT_LINE_LOCAL": "on",
        "LOG_LEVEL": "DEBUG",
    }


def secrets_of(env: dict[str, str]) -> dict[str, str]:
    """The secret values of an environment: the keys above, the connection string and its account key."""
    connection_string = env["AZURE_STORAGE_CONNECTION_STRING"]
    account_key = re.search(r"AccountKey=([^;]+)", connection_string)
    found = {**SECRETS, "AZURE_STORAGE_CONNECTION_STRING": connection_string}
    if account_key:
        found["AccountKey"] = account_key.group(1)
    return found


def assert_no_secret(text: str, secrets: dict[str, str], where: str) -> None:
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, f"{where} shows {leaked}"


def nested_configs(settings: Settings) -> list[Any]:
    engines = settings.engines
    return [settings.engines, settings.endpoints, engines.azure_language, engines.azure_translator,
            engines.azure_content_safety]


def test_settings_and_nested_configs_show_no_secret_in_repr_or_str() -> None:
    env = environment()
    settings = load_settings(env, dotenv=False)
    assert settings.engines.azure_language is not None and settings.engines.azure_language.key  # all are set
    assert settings.engines.azure_translator is not None and settings.engines.azure_content_safety is not None
    assert settings.blob_connection_string and settings.app_password and settings.direct_line_secret

    for value in (settings, *nested_configs(settings)):
        assert value is not None
        assert_no_secret(repr(value), secrets_of(env), f"repr({type(value).__name__})")
        assert_no_secret(str(value), secrets_of(env), f"str({type(value).__name__})")
    assert_no_secret(f"{settings!r} {settings}", secrets_of(env), "an f-string of the settings")


@pytest.mark.parametrize(
    "config", [Settings, AzureLanguageConfig, AzureTranslatorConfig, AzureContentSafetyConfig]
)
def test_every_field_named_like_a_secret_is_left_out_of_repr(config: type) -> None:
    """A new secret setting cannot forget `repr=False`: checked by its name (text fields only)."""
    shown = [
        field.name for field in dataclasses.fields(config)
        if SECRET_FIELD.search(field.name) and str(field.type) in ("str", "str | None") and field.repr
    ]
    assert shown == []


def test_the_blob_store_repr_shows_its_container_not_its_connection_string() -> None:
    env = environment()
    store = AzureBlobStorage(env["AZURE_STORAGE_CONNECTION_STRING"], "bot-state")
    assert "bot-state" in repr(store)
    assert_no_secret(repr(store), secrets_of(env), "repr(AzureBlobStorage)")


async def test_starting_and_serving_the_bot_logs_no_secret(
    azurite: AzuriteServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Auth on (app id and password), Blob Storage, Azure Direct Line, every Azure engine configured."""
    env = environment(azurite, app_id="00000000-0000-0000-0000-00000000abcd")
    caplog.set_level(logging.DEBUG)  # every logger, the Azure SDKs' HTTP logging included
    runner, url = await serve(create_app(load_settings(env, dotenv=False)))
    try:
        async with Harness(f"{url}/api/messages") as harness:
            session = harness.session
            assert session is not None
            async with session.get(f"{url}/readyz") as response:
                assert response.status == 200, await response.text()  # the store was reached
            refused = await harness.conversation().post({"type": "message", "text": "hi"})
            assert refused.status == 401  # no token: auth is on
            async with session.post(f"{url}/api/directline/token") as response:
                assert response.status >= 500  # the secret exchange with Direct Line failed, and logged
    finally:
        await runner.cleanup()

    output = capsys.readouterr()
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert_no_secret(caplog.text, secrets_of(env), "the log")
    assert_no_secret(output.out + output.err, secrets_of(env), "stdout/stderr")


async def test_a_turn_whose_azure_engines_fail_logs_no_secret(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Auth off so a message gets through; every Azure call fails and the fallbacks log why."""
    env = environment()
    caplog.set_level(logging.DEBUG)
    runner, url = await serve(create_app(load_settings(env, dotenv=False)))
    try:
        async with Harness(f"{url}/api/messages") as harness:
            replies = await harness.conversation().say_texts("analyze: I love this product")
            assert replies
    finally:
        await runner.cleanup()

    output = capsys.readouterr()
    assert any("azure" in record.getMessage().lower() for record in caplog.records)  # the failures were logged
    assert_no_secret(caplog.text, secrets_of(env), "the log")
    assert_no_secret(output.out + output.err, secrets_of(env), "stdout/stderr")
