"""Emulator conversations with auth on: real botbuilder token checks and MSAL, against a local Entra ID."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest

from adapters.engines import Engines
from tests.auth.conftest import (
    APP_ID,
    APP_PASSWORD,
    AuthRecordingChannel,
    LocalIdentity,
    endpoint_settings,
    serve_harness,
)
from tests.auth.entra import FakeEntraId, new_signing_key
from tests.harness import EmulatorConversation, Harness, PostResult


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def join(conversation: EmulatorConversation, headers: dict[str, str]) -> PostResult:
    return await conversation.post(
        {"type": "conversationUpdate", "membersAdded": [{"id": "showcase-bot", "role": "bot"}, conversation.user]},
        headers=headers,
    )


async def say(conversation: EmulatorConversation, text: str, headers: dict[str, str]) -> PostResult:
    return await conversation.post({"type": "message", "text": text, "textFormat": "plain"}, headers=headers)


def messages(result: PostResult) -> list[dict]:
    return [reply for reply in result.replies if reply["type"] == "message"]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
async def test_emulator_token_gets_a_welcome_and_replies_signed_with_the_bots_token(
    auth_harness: Harness, offline_login: LocalIdentity, version: str
) -> None:
    fake = offline_login.fake
    channel = auth_harness.channel
    assert isinstance(channel, AuthRecordingChannel)
    token_requests_before = len(fake.token_requests)
    conversation = auth_harness.conversation()
    headers = bearer(fake.emulator_token(APP_ID, version=version))

    welcome = await join(conversation, headers)
    assert welcome.status == 201, welcome.body
    assert len(messages(welcome)) == 1 and messages(welcome)[0]["suggestedActions"]["actions"]
    answer = await say(conversation, "hello there", headers)
    assert answer.status == 201, answer.body
    assert messages(answer), "the bot did not answer"

    # The bot fetched one token for itself, with its own id and password, for the channel's scope...
    new_requests = fake.token_requests[token_requests_before:]
    assert len(new_requests) == 1, new_requests
    form = new_requests[0].form
    assert new_requests[0].tenant == "botframework.com"
    assert (form["grant_type"], form["client_id"], form["client_secret"]) == (
        "client_credentials", APP_ID, APP_PASSWORD,
    )
    assert form["scope"] == "https://api.botframework.com/.default"
    # ...and every reply it sent carried exactly that token.
    issued = new_requests[0].issued
    assert issued is not None
    assert len(channel.authorizations) == len(welcome.replies) + len(answer.replies) >= 2
    assert set(channel.authorizations) == {f"Bearer {issued}"}
    # The Emulator token was checked against the fake's published keys; nothing else was contacted.
    assert any(line.endswith("/common/discovery/v2.0/keys") for line in fake.requests)
    assert offline_login.proxy.refused == []


async def test_public_cloud_defaults_reach_only_microsofts_login_host(
    offline_login: LocalIdentity, engines: Engines
) -> None:
    """Without endpoint settings the bot uses botbuilder's built-in URLs; here they land on the fake."""
    fake = offline_login.fake
    seen_before = len(fake.requests)
    async for harness in serve_harness({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD}, engines):
        result = await join(harness.conversation(), bearer(fake.emulator_token(APP_ID)))
        assert result.status == 201 and messages(result)
    new = fake.requests[seen_before:]
    assert "GET login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration" in new
    assert "POST login.microsoftonline.com/botframework.com/oauth2/v2.0/token" in new
    assert "login.microsoftonline.com:443" in offline_login.proxy.tunnels


async def test_configured_login_url_still_triggers_msal_instance_discovery(
    offline_login: LocalIdentity, engines: Engines
) -> None:
    """botbuilder 4.17.1 does not hand VALIDATE_AUTHORITY to MSAL: a custom login host is looked up."""
    fake = offline_login.fake
    seen_before = len(fake.requests)
    env = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD, **endpoint_settings(offline_login)}
    async for harness in serve_harness(env, engines):
        result = await join(harness.conversation(), bearer(fake.emulator_token(APP_ID)))
        assert result.status == 201 and messages(result)
    new = fake.requests[seen_before:]
    assert "GET login.microsoftonline.com/common/discovery/instance" in new
    host = offline_login.url.removeprefix("https://")
    assert f"POST {host}/botframework.com/oauth2/v2.0/token" in new


def _expired(fake: FakeEntraId) -> str:
    return fake.emulator_token(APP_ID, lifetime_s=-3600)


def _other_key(fake: FakeEntraId) -> str:
    return fake.emulator_token(APP_ID, key=new_signing_key())


def _unknown_kid(fake: FakeEntraId) -> str:
    return fake.emulator_token(APP_ID, key=new_signing_key(), kid="not-published")


def _wrong_audience(fake: FakeEntraId) -> str:
    return fake.emulator_token(APP_ID, audience="00000000-0000-0000-0000-000000000000")


def _other_app(fake: FakeEntraId) -> str:
    return fake.emulator_token("00000000-0000-0000-0000-000000000000")


def _untrusted_issuer(fake: FakeEntraId) -> str:
    now = int(time.time())
    return fake.sign({"iss": "https://evil.example/", "aud": APP_ID, "appid": APP_ID, "ver": "1.0",
                      "iat": now, "nbf": now, "exp": now + 600})


def _no_version(fake: FakeEntraId) -> str:
    now = int(time.time())
    return fake.sign({"iss": "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
                      "aud": APP_ID, "appid": APP_ID, "iat": now, "nbf": now, "exp": now + 600})


HEADERS: dict[str, Callable[[FakeEntraId], dict[str, str]]] = {
    "missing": lambda fake: {},
    "empty bearer": lambda fake: {"Authorization": "Bearer "},
    "not a jwt": lambda fake: bearer("not-a-jwt"),
    "basic scheme": lambda fake: {"Authorization": "Basic dXNlcjpwYXNz"},
    "three parts": lambda fake: {"Authorization": f"Bearer {fake.emulator_token(APP_ID)} extra"},
    "bad signature": lambda fake: bearer(_other_key(fake)),
    "unknown signing key": lambda fake: bearer(_unknown_kid(fake)),
    "expired": lambda fake: bearer(_expired(fake)),
    "wrong audience": lambda fake: bearer(_wrong_audience(fake)),
    "another app's token": lambda fake: bearer(_other_app(fake)),
    "untrusted issuer": lambda fake: bearer(_untrusted_issuer(fake)),
    "no ver claim": lambda fake: bearer(_no_version(fake)),
}


# What the 401's reason must mention, so each case is refused for its own fault.
REASONS: dict[str, str | None] = {
    "missing": None,  # wording differs between botbuilder's two modes
    "empty bearer": "Bearer <token>",
    "not a jwt": "Not enough segments",
    "basic scheme": "Bearer <token>",
    "three parts": "Bearer <token>",
    "bad signature": "Signature verification failed",
    "unknown signing key": "unknown signing key",
    "expired": "expired",
    "wrong audience": "Invalid audience",
    "another app's token": "Invalid AppId",
    "untrusted issuer": None,
    "no ver claim": "'ver' claim is required",
}


@pytest.mark.parametrize("case", list(HEADERS))
async def test_bad_or_missing_token_gets_401_with_a_reason_and_no_reply(
    auth_harness: Harness, offline_login: LocalIdentity, case: str
) -> None:
    channel = auth_harness.channel
    assert isinstance(channel, AuthRecordingChannel)
    conversation = auth_harness.conversation()
    result = await say(conversation, "hello", HEADERS[case](offline_login.fake))
    assert result.status == 401, result.body
    assert isinstance(result.body, dict) and result.body["error"].startswith("unauthorized"), result.body
    assert REASONS[case] is None or REASONS[case] in result.body["error"].replace('"', "'"), result.body
    assert result.replies == [] and channel.authorizations == []


async def test_wrong_password_means_no_reply_is_sent(offline_login: LocalIdentity, engines: Engines) -> None:
    """The bot really presents its password: the fake refuses a wrong one, so nothing reaches the channel."""
    fake = offline_login.fake
    before = len(fake.token_requests)
    env = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "wrong-password"}
    async for harness in serve_harness(env, engines):
        result = await join(harness.conversation(), bearer(fake.emulator_token(APP_ID)))
        assert result.status in (200, 201), result.body
        assert result.replies == []
    refused = fake.token_requests[before:]
    assert refused and all(request.issued is None for request in refused)
    assert refused[0].form["client_secret"] == "wrong-password"


@pytest.fixture
async def open_harness(engines: Engines) -> AsyncIterator[Harness]:
    async for harness in serve_harness({}, engines):
        yield harness


async def test_auth_off_replies_without_an_authorization_header(open_harness: Harness) -> None:
    channel = open_harness.channel
    assert isinstance(channel, AuthRecordingChannel)
    replies = await open_harness.conversation().join()
    assert replies and channel.authorizations == [None] * len(replies)
