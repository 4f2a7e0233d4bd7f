"""deploy/azuredeploy.json read against the bot's own settings code (nothing is deployed).

The container's environment is fed to `load_settings` (ARM expressions replaced by
plausible values), so the bot itself says what the deployment configures; the names it
reads are recorded, so an env var the bot never reads (a typo) fails too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.settings import load_settings

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "azuredeploy.json"
RESOURCE_ID = re.compile(r"resourceId\('([^']+)', (variables\('\w+'\)|parameters\('\w+'\))\)")
# Read by a library rather than bot/settings.py: azure-identity's DefaultAzureCredential picks
# the user-assigned identity by AZURE_CLIENT_ID (the OTEL_* variables by the OpenTelemetry SDK).
READ_ELSEWHERE = {"AZURE_CLIENT_ID"}
SECRET_WORDS = ("KEY", "PASSWORD", "SECRET", "CONNECTION_STRING", "TOKEN")
ROLES = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
}


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers every name the settings code looks up."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return self.values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["resources"] if r["type"] == kind]


def the_app(template: dict[str, Any]) -> dict[str, Any]:
    (app,) = resources(template, "Microsoft.App/containerApps")
    return app


def container_env(template: dict[str, Any]) -> list[dict[str, str]]:
    (container,) = the_app(template)["properties"]["template"]["containers"]
    return container["env"]


def created(template: dict[str, Any], kind: str, name_expression: str) -> dict[str, Any]:
    """The resource of this type whose name is this expression, e.g. variables('storageName')."""
    found = [r for r in resources(template, kind) if r["name"] == f"[{name_expression}]"]
    assert len(found) == 1, f"{kind} {name_expression} is not created by the template"
    return found[0]


def plausible(name: str, value: str) -> str:
    """What an ARM expression would evaluate to, as far as the settings code cares."""
    if not value.startswith("["):
        return value
    if name.endswith("_ENDPOINT"):
        return "https://example.cognitiveservices.azure.com/"
    if name == "AZURE_STORAGE_ACCOUNT_URL":
        return "https://examplest1.blob.core.windows.net/"  # primaryEndpoints.blob ends with a slash
    return "00000000-0000-0000-0000-000000000000"


def secret_value(name: str) -> str:
    """What a Container Apps secret would hold, as far as the settings code checks its shape."""
    if name == "APPLICATIONINSIGHTS_CONNECTION_STRING":
        return "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.com/"
    return "secret-from-secretRef"


def test_the_bot_reads_the_deployment_as_keyless_blob_state_azure_engines(template: dict[str, Any]) -> None:
    env = container_env(template)
    values = {e["name"]: plausible(e["name"], e["value"]) if "value" in e else secret_value(e["name"]) for e in env}
    recording = RecordingEnv(values)
    settings = load_settings(recording, dotenv=False)

    assert settings.host == "0.0.0.0" and settings.port == the_app(template)["properties"]["configuration"][
        "ingress"]["targetPort"]
    assert settings.app_type == "UserAssignedMSI" and settings.app_id and settings.app_tenant_id
    assert not settings.app_password  # the identity signs the bot's replies: no password anywhere
    assert settings.storage == "blob" and settings.blob_account_url  # keyless: tokens, no account key
    assert not settings.blob_connection_string
    engines = settings.engines
    for config in (engines.azure_language, engines.azure_translator, engines.azure_content_safety):
        assert config is not None and config.key is None  # configured, keyless (DefaultAzureCredential)
    assert not settings.direct_line_local  # the local Direct Line endpoint is off behind the Azure Bot

    unread = {e["name"] for e in env} - recording.read - READ_ELSEWHERE
    unread = {name for name in unread if not name.startswith("OTEL_")}
    assert not unread, f"set by the template but read by nothing: {sorted(unread)}"


def test_every_resource_the_settings_point_at_is_created(template: dict[str, Any]) -> None:
    env = {e["name"]: e for e in container_env(template)}
    for name, kind in [
        ("AZURE_LANGUAGE_ENDPOINT", "TextAnalytics"),
        ("AZURE_TRANSLATOR_ENDPOINT", "TextTranslation"),
        ("AZURE_CONTENT_SAFETY_ENDPOINT", "ContentSafety"),
    ]:
        (target,) = RESOURCE_ID.findall(env[name]["value"])
        account = created(template, target[0], target[1])
        assert account["kind"] == kind
        assert account["properties"]["disableLocalAuth"] is True  # keys cannot be used at all
        assert account["properties"]["customSubDomainName"]  # Entra ID tokens need a custom domain

    secrets = {s["name"]: s["value"] for s in the_app(template)["properties"]["configuration"]["secrets"]}
    account_url = env["AZURE_STORAGE_ACCOUNT_URL"]["value"]
    (storage,) = RESOURCE_ID.findall(account_url)
    assert account_url.endswith(").primaryEndpoints.blob]")  # the account's own blob endpoint
    account = created(template, *storage)
    assert account["type"] == "Microsoft.Storage/storageAccounts"
    assert account["properties"]["allowSharedKeyAccess"] is False  # account keys cannot be used at all
    blob_container = env["AZURE_STORAGE_CONTAINER"]["value"]
    assert any(
        c["name"] == f"[format('{{0}}/default/{{1}}', {storage[1]}, {blob_container[1:-1]})]"
        for c in resources(template, "Microsoft.Storage/storageAccounts/blobServices/containers")
    ), "the state container is not created in the state's storage account"

    insights_secret = secrets[env["APPLICATIONINSIGHTS_CONNECTION_STRING"]["secretRef"]]
    created(template, *RESOURCE_ID.findall(insights_secret)[0])

    identity = RESOURCE_ID.findall(env["MicrosoftAppId"]["value"])[0]
    assert identity[0] == "Microsoft.ManagedIdentity/userAssignedIdentities"
    created(template, *identity)
    assert env["AZURE_CLIENT_ID"]["value"] == env["MicrosoftAppId"]["value"]
    assert list(the_app(template)["identity"]["userAssignedIdentities"]) == [f"[resourceId('{identity[0]}', {identity[1]})]"]


def test_the_azure_bot_reaches_the_app_with_the_same_identity_on_teams_and_web_chat(
    template: dict[str, Any],
) -> None:
    (bot,) = resources(template, "Microsoft.BotService/botServices")
    properties = bot["properties"]
    env = {e["name"]: e for e in container_env(template)}
    assert properties["msaAppType"] == "UserAssignedMSI"
    assert properties["msaAppId"] == env["MicrosoftAppId"]["value"]
    assert properties["msaAppTenantId"] == env["MicrosoftAppTenantId"]["value"]
    app_id = f"resourceId('Microsoft.App/containerApps', {the_app(template)['name'][1:-1]})"
    assert properties["endpoint"] == (
        f"[format('https://{{0}}/api/messages', reference({app_id}, '2024-03-01').configuration.ingress.fqdn)]"
    )
    channels = {c["properties"]["channelName"] for c in resources(template, "Microsoft.BotService/botServices/channels")}
    assert {"MsTeamsChannel", "WebChatChannel", "DirectLineChannel"} <= channels


def test_the_identity_holds_the_data_plane_roles(template: dict[str, Any]) -> None:
    granted: dict[str, set[str]] = {}
    for assignment in resources(template, "Microsoft.Authorization/roleAssignments"):
        role_variable = re.search(r"variables\('roles'\)\.(\w+)", assignment["properties"]["roleDefinitionId"])
        assert role_variable
        role = ROLES.get(template["variables"]["roles"][role_variable.group(1)])
        assert "userAssignedIdentities" in assignment["properties"]["principalId"]
        scope_type = assignment["scope"].split("'")[1].rsplit("/", 1)[0]
        granted.setdefault(str(role), set()).add(scope_type + " " + assignment["scope"].split(", ")[1][:-2])
    assert granted["Storage Blob Data Contributor"] == {"Microsoft.Storage/storageAccounts variables('storageName')"}
    assert granted["Cognitive Services User"] == {
        f"Microsoft.CognitiveServices/accounts variables('{name}')"
        for name in ("languageName", "translatorName", "contentSafetyName")
    }
    assert granted["AcrPull"] == {"Microsoft.ContainerRegistry/registries parameters('registryName')"}


def test_replicas_scale_on_http_concurrency(template: dict[str, Any]) -> None:
    scale = the_app(template)["properties"]["template"]["scale"]
    parameters = template["parameters"]
    assert scale["minReplicas"] == "[parameters('minReplicas')]"
    assert parameters["minReplicas"]["defaultValue"] >= 2 and parameters["minReplicas"]["minValue"] >= 2
    (rule,) = scale["rules"]
    assert "concurrentRequests" in rule["http"]["metadata"]
    probes = {p["type"]: p["httpGet"]["path"] for p in the_app(template)["properties"]["template"]["containers"][0]["probes"]}
    assert probes == {"Startup": "/readyz", "Readiness": "/readyz", "Liveness": "/healthz"}


def test_the_longest_prefix_still_gives_a_valid_storage_account_name(template: dict[str, Any]) -> None:
    prefix = "a" * template["parameters"]["namePrefix"]["maxLength"]
    assert template["variables"]["storageName"] == "[toLower(format('{0}st{1}', parameters('namePrefix'), variables('suffix')))]"
    assert len(f"{prefix}st{'x' * 13}") <= 24  # uniqueString() gives 13 characters


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def test_no_storage_key_is_read_anywhere(template: dict[str, Any]) -> None:
    """Blob state is keyless: the only listKeys left is the Log Analytics key of the log sink."""
    listed = [
        match.group(1)
        for text in strings(template)
        for match in re.finditer(r"listKeys\(resourceId\('([^']+)'", text)
    ]
    assert listed == ["Microsoft.OperationalInsights/workspaces"]
    assert not [text for text in strings(template) if "listAccountSas" in text or "listServiceSas" in text]
    names = {e["name"] for e in container_env(template)}
    assert "AZURE_STORAGE_CONNECTION_STRING" not in names and "AZURE_STORAGE_ACCOUNT_URL" in names


def test_no_secret_is_a_literal(template: dict[str, Any]) -> None:
    secrets = {s["name"]: s["value"] for s in the_app(template)["properties"]["configuration"]["secrets"]}
    for value in secrets.values():
        assert value.startswith("[") and ("listKeys(" in value or "reference(" in value), value
    for entry in container_env(template):
        if any(word in entry["name"].upper() for word in SECRET_WORDS):
            assert "value" not in entry and entry["secretRef"] in secrets, entry
    for name, parameter in template["parameters"].items():
        if parameter["type"].lower() in ("securestring", "secureobject"):
            assert not parameter.get("defaultValue"), name
    literal_key = re.compile(r"AccountKey=[A-Za-z0-9+/]{20,}|InstrumentationKey=[0-9a-f-]{36}|[A-Za-z0-9+/]{60,}={0,2}")
    leaked = [s for s in strings(template) if literal_key.search(s)]
    assert not leaked, leaked
