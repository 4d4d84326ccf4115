"""Keys go only where they belong: their own base URL, the right header, never into a repr,
an error, a log line or another host."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from craft_tui.config.schema import make_auth
from craft_tui.config.secrets import SecretStore
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver, open_driver
from craft_tui.providers.http import USER_AGENT
from tests.providers.conftest import KEY, ask, collect, connection_for
from tests.servers import ErrorResponse, FakeLLMServer


async def test_openai_env_key_is_never_sent_to_a_custom_base_url(
    fake_openai: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-" + "envkey" * 3 + "0000")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-" + "envkey" * 3 + "0000")
    SecretStore.open().set("fake", KEY)
    driver = open_driver(connection_for(fake_openai))
    await collect(driver, ask())
    await driver.list_models()
    await driver.aclose()
    for request in fake_openai.requests:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert "envkey" not in repr(request.headers)


async def test_named_env_variable_is_used_when_the_connection_names_it(
    fake_openai: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_GATEWAY_KEY", "gateway-key-123456789")
    connection = connection_for(fake_openai, auth=make_auth("api_key", "MY_GATEWAY_KEY"))
    driver = open_driver(connection)
    await collect(driver, ask())
    await driver.aclose()
    assert fake_openai.chat_requests[-1].headers["authorization"] == "Bearer gateway-key-123456789"


async def test_missing_key_is_a_missing_key_error_with_the_fix(fake_openai: FakeLLMServer) -> None:
    with pytest.raises(ProviderError) as caught:
        open_driver(connection_for(fake_openai))
    assert caught.value.kind is ErrorKind.MISSING_KEY
    assert "craft-tui connection key fake --api-key-stdin" in caught.value.hint


async def test_no_auth_sends_no_credentials(fake_openai: FakeLLMServer) -> None:
    driver = open_driver(connection_for(fake_openai, auth=make_auth("none")))
    await collect(driver, ask())
    await driver.aclose()
    headers = fake_openai.chat_requests[-1].headers
    assert "authorization" not in headers and "x-api-key" not in headers


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_connection_headers_and_user_agent_reach_the_server(
    fake_server: Any, protocol: str
) -> None:
    server: FakeLLMServer = fake_server(protocol=protocol)
    connection = connection_for(
        server, headers={"HTTP-Referer": "https://example.org/app", "X-Title": "craft-tui"}
    )
    driver = make_driver(connection, KEY)
    await collect(driver, ask())
    await driver.list_models()
    await driver.aclose()
    for request in server.requests:
        assert request.headers["http-referer"] == "https://example.org/app"
        assert request.headers["x-title"] == "craft-tui"
        assert request.headers["user-agent"] == USER_AGENT
        assert USER_AGENT.startswith("craft-tui/")


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_redirect_to_another_host_does_not_carry_the_key(
    fake_server: Any, protocol: str
) -> None:
    elsewhere: FakeLLMServer = fake_server(protocol=protocol)
    server: FakeLLMServer = fake_server(protocol=protocol, redirect_to=elsewhere.root_url)
    driver = make_driver(connection_for(server), KEY)
    with pytest.raises(ProviderError) as caught:
        await collect(driver, ask())
    await driver.aclose()
    assert elsewhere.requests == []
    assert caught.value.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert elsewhere.root_url in caught.value.message
    assert caught.value.suggested_base_url == elsewhere.base_url


async def test_key_never_in_repr_error_or_log(
    fake_openai: FakeLLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = ErrorResponse(401, b'{"error": {"message": "Invalid key ' + KEY.encode() + b'"}}')
    fake_openai.configure(error=echo)
    driver = make_driver(connection_for(fake_openai), KEY)
    assert KEY not in repr(driver)
    assert "key=set" in repr(driver)
    with pytest.raises(ProviderError) as caught:
        await collect(driver, ask())
    await driver.aclose()
    error = caught.value
    for text in (str(error), repr(error), error.message, error.hint, error.server_reason or ""):
        assert KEY not in text
    assert "[key]" in error.message
    assert "401 authentication" in caplog.text  # the failure is logged...
    assert KEY not in caplog.text  # ...without the key


@pytest.mark.parametrize("bad", ["sk-abc\u200bdef-123456", "sk-abc def", "sk-abc\ndef", "sk-ünï"])
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_key_with_unsendable_characters_is_a_clear_error(
    fake_server: Any, protocol: str, bad: str
) -> None:
    server: FakeLLMServer = fake_server(protocol=protocol)
    driver = make_driver(connection_for(server), bad)
    with pytest.raises(ProviderError) as caught:
        await collect(driver, ask())
    await driver.aclose()
    assert caught.value.kind is ErrorKind.AUTHENTICATION
    assert "Paste the key again" in caught.value.hint
    assert bad not in str(caught.value)
    assert server.chat_requests == []
