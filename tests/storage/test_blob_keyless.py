"""Keyless Blob state (AZURE_STORAGE_ACCOUNT_URL + a token credential) against a real Azurite.

This Azurite (its own, not the session's) serves HTTPS with a certificate from a test CA
and checks bearer tokens (`--oauth basic`, see tests/storage/oauth.py for what it checks).
Nothing in the SDK is patched: the store's ContainerClient trusts the CA through azure-core's
`connection_verify` and gets its tokens from the credential it is given. The eTag contract
tests of test_etag_contract.py run here again on the keyless store.
"""

from __future__ import annotations

import logging
import ssl
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import DefaultAzureCredential

from bot.runtime import create_storage as create_configured_storage
from bot.settings import load_settings
from bot.storage import StorageError, StorageUnavailableError
from bot.storage.blob_store import AzureBlobStorage
from bot.storage.factory import create_storage
from tests.auth.certs import Certificates, make_certificates
from tests.auth.entra import FakeEntraId
from tests.storage.azurite import AzuriteNotInstalledError, AzuriteServer
from tests.storage.conftest import StoreOpener
from tests.storage.oauth import STORAGE_SCOPE, TokenCredential, unsigned_jwt

# The whole eTag contract, collected again in this module so it runs on the keyless store
# (this module's `open_store` replaces the parametrised one from conftest.py).
from tests.storage.test_etag_contract import (  # noqa: F401
    test_create_only_etag_creates_once,
    test_current_etag_updates,
    test_delete_removes_only_the_given_keys,
    test_empty_etag_is_refused,
    test_item_without_etag_creates_and_overwrites,
    test_keys_with_channel_punctuation_stay_distinct,
    test_read_leaves_out_missing_keys,
    test_stale_etag_after_delete_does_not_bring_data_back,
    test_stale_etag_is_a_conflict_and_changes_nothing,
    test_star_etag_overwrites_whatever_is_stored,
    test_store_item_objects_round_trip,
    test_write_puts_the_new_etag_on_the_callers_item,
    test_written_item_reads_back_with_an_etag,
)


@dataclass(frozen=True)
class OAuthAzurite:
    server: AzuriteServer
    certificates: Certificates

    @property
    def ca_bundle(self) -> str:
        return str(self.certificates.ca_bundle)

    def store(self, credential: AsyncTokenCredential, container: str | None = None) -> AzureBlobStorage:
        return AzureBlobStorage(
            None,
            container or f"k-{uuid.uuid4().hex}",
            account_url=self.server.account_url,
            credential=credential,
            connection_verify=self.ca_bundle,
            retry_total=1,
        )


@pytest.fixture(scope="module")
def oauth_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthAzurite]:
    certificates = make_certificates(tmp_path_factory.mktemp("azurite-tls"))
    server = AzuriteServer(cert=certificates.server_cert, key=certificates.server_key, oauth=True)
    try:
        server.start()
    except AzuriteNotInstalledError as error:
        pytest.fail(str(error), pytrace=False)
    yield OAuthAzurite(server, certificates)
    server.stop()


@pytest.fixture
def open_store(oauth_azurite: OAuthAzurite) -> StoreOpener:
    """Keyless stores on one fresh container, each a new client with a valid token."""
    container = f"k-{uuid.uuid4().hex}"
    return lambda: oauth_azurite.store(TokenCredential(unsigned_jwt()), container)


async def test_keyless_write_then_read_round_trips_with_etags(oauth_azurite: OAuthAzurite) -> None:
    container = f"k-{uuid.uuid4().hex}"
    writer_credential = TokenCredential(unsigned_jwt())
    async with oauth_azurite.store(writer_credential, container) as writer:
        item = {"topic": "weather", "lang": "es"}
        await writer.write({"conversation/1": item, "user/1": {"name": "Ana"}})
    async with oauth_azurite.store(TokenCredential(unsigned_jwt()), container) as reader:
        found = await reader.read(["conversation/1", "user/1"])

    assert found["conversation/1"]["lang"] == "es" and found["user/1"]["name"] == "Ana"
    assert found["conversation/1"]["e_tag"] == item["e_tag"]  # the service's ETag, both ways
    assert writer_credential.scopes and set(writer_credential.scopes) == {(STORAGE_SCOPE,)}
    assert not writer_credential.closed  # a credential handed in stays its owner's to close


async def test_default_azure_credential_signs_in_and_the_store_works(
    oauth_azurite: OAuthAzurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production credential class, end to end: a service principal from the environment
    gets a signed token from a local Entra ID stand-in (tests/auth/entra.py), Azurite takes it."""
    fake = FakeEntraId(apps={"3f2c1b0a-0000-4000-8000-00000000b10b": "test-only-secret~storage"})
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=oauth_azurite.certificates.server_context()).start()
    authority = f"https://127.0.0.1:{runner.addresses[0][1]}"
    monkeypatch.setenv("AZURE_TENANT_ID", "00000000-0000-4000-8000-0000000000aa")
    monkeypatch.setenv("AZURE_CLIENT_ID", "3f2c1b0a-0000-4000-8000-00000000b10b")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "test-only-secret~storage")
    credential = DefaultAzureCredential(authority=authority, connection_verify=oauth_azurite.ca_bundle)
    try:
        async with oauth_azurite.store(credential) as store:
            await store.write({"a": {"n": 1}, "b": {"n": 2}})
            item = (await store.read(["a"]))["a"]
            item["n"] = 3
            await store.write({"a": item})
            assert (await store.read(["a"]))["a"]["n"] == 3
    finally:
        await credential.close()
        await runner.cleanup()

    (request,) = fake.token_requests  # one token, cached by azure-core across requests
    assert request.form["scope"] == STORAGE_SCOPE and request.issued
    assert request.tenant == "00000000-0000-4000-8000-0000000000aa"


async def test_azurite_refuses_requests_without_a_token(oauth_azurite: OAuthAzurite) -> None:
    """The round trips above pass because of the token: anonymous requests get 403."""
    container = f"k-{uuid.uuid4().hex}"
    async with oauth_azurite.store(TokenCredential(unsigned_jwt()), container) as store:
        await store.write({"k": {"n": 1}})
    context = ssl.create_default_context(cafile=oauth_azurite.ca_bundle)
    async with aiohttp.ClientSession() as http:
        for url in (
            f"{oauth_azurite.server.account_url}/{container}/k",
            f"{oauth_azurite.server.account_url}/{container}?restype=container&comp=list",
        ):
            async with http.get(url, ssl=context, headers={"x-ms-version": "2025-11-05"}) as response:
                assert response.status == 403, await response.text()
                assert "AuthorizationFailure" in await response.text()


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (unsigned_jwt(aud="https://vault.azure.net"), "Invalid token audience"),
        (unsigned_jwt(iss="https://login.example.com/tenant/"), "Invalid token issuer"),
        (unsigned_jwt(lifetime_s=-120), "expired"),
        ("not-a-jwt-" + uuid.uuid4().hex, "Bearer is not supported"),
    ],
    ids=["wrong-audience", "wrong-issuer", "expired", "not-a-jwt"],
)
async def test_a_refused_token_is_a_storage_error_that_does_not_carry_the_token(
    oauth_azurite: OAuthAzurite, token: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # azure-core logs every request and response at DEBUG
    async with oauth_azurite.store(TokenCredential(token)) as store:
        with pytest.raises(StorageError) as raised:
            await store.write({"k": {"n": 1}})
        with pytest.raises(StorageError):
            await store.read(["k"])

    error = raised.value
    assert not isinstance(error, StorageUnavailableError)  # refused, not unreachable: no retry storm
    assert "refused" in str(error) and reason in str(error)
    told = "".join(traceback.format_exception(error)) + repr(error) + repr(store)
    assert token not in told
    assert token not in caplog.text
    assert "'Authorization': 'REDACTED'" in caplog.text, (
        "azure-core's request log was not captured, so the check above proved nothing"
    )


async def test_settings_build_a_keyless_store_on_default_azure_credential(tmp_path: Path) -> None:
    """Production: AZURE_STORAGE_ACCOUNT_URL alone gives a store that signs in as the identity."""
    settings = load_settings(
        {"BOT_STORAGE": "blob", "AZURE_STORAGE_ACCOUNT_URL": "https://showcasest1.blob.core.windows.net/"},
        dotenv=False,
    )
    store = create_configured_storage(settings)
    try:
        assert isinstance(store, AzureBlobStorage) and store.keyless
        assert isinstance(store._owned_credential, DefaultAzureCredential)
        assert store._container.url.startswith("https://showcasest1.blob.core.windows.net/bot-state")
    finally:
        await store.close()


async def test_factory_refuses_both_or_neither_blob_location(tmp_path: Path) -> None:
    for both_or_neither in ({}, {"blob_connection_string": "x", "blob_account_url": "https://a.example"}):
        with pytest.raises(StorageError, match=r"AZURE_STORAGE_ACCOUNT_URL.*AZURE_STORAGE_CONNECTION_STRING"):
            create_storage("blob", path=tmp_path, **both_or_neither)
    with pytest.raises(StorageError, match="must be an https:// URL"):
        create_storage("blob", path=tmp_path, blob_account_url="http://127.0.0.1:10000/devstoreaccount1")


async def test_factory_passes_the_given_credential_to_the_store(
    oauth_azurite: OAuthAzurite, tmp_path: Path
) -> None:
    credential = TokenCredential(unsigned_jwt())
    store = create_storage(
        "blob", path=tmp_path, blob_account_url=oauth_azurite.server.account_url, blob_credential=credential
    )
    try:
        assert isinstance(store, AzureBlobStorage) and store._owned_credential is None
    finally:
        await store.close()
    assert not credential.closed
