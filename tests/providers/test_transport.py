"""Transport settings a company network needs: TLS verification with a CA bundle or switched off,
and proxies from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from tests.providers.conftest import KEY, ask, collect, connection_for, text_of
from tests.servers import FakeLLMServer


@pytest.fixture
def https_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(tls=True, reply="over tls") as server:
        yield server


async def test_untrusted_certificate_is_a_tls_error_pointing_at_the_ca_bundle(
    https_server: FakeLLMServer,
) -> None:
    driver = make_driver(connection_for(https_server), KEY)
    with pytest.raises(ProviderError) as caught:
        await collect(driver, ask())
    await driver.aclose()
    assert caught.value.kind is ErrorKind.TLS
    assert "certificate verify failed" in caught.value.message
    assert "CA bundle" in caught.value.hint
    assert https_server.chat_requests == []  # the key never left before the handshake failed


async def test_ca_bundle_makes_a_self_signed_server_trusted(https_server: FakeLLMServer) -> None:
    connection = connection_for(https_server, ca_bundle=https_server.cert_path)
    driver = make_driver(connection, KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "over tls"


async def test_verify_tls_off_is_honoured(https_server: FakeLLMServer) -> None:
    driver = make_driver(connection_for(https_server, verify_tls=False), KEY)
    assert text_of(await collect(driver, ask())) == "over tls"
    await driver.aclose()


def test_unreadable_ca_bundle_is_a_clear_tls_error(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with FakeLLMServer() as server, pytest.raises(ProviderError) as caught:
        make_driver(connection_for(server, ca_bundle=bogus), KEY)
    assert caught.value.kind is ErrorKind.TLS
    assert str(bogus) in caught.value.message


async def test_proxy_from_the_environment_is_used(
    fake_openai: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake answers absolute-form requests too, so it can play the company proxy.
    monkeypatch.setenv("HTTP_PROXY", fake_openai.root_url)
    connection = connection_for(fake_openai, base_url="http://llm.corp.test/v1")
    driver = make_driver(connection, KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "Hello from the fake server."
    assert fake_openai.chat_requests[-1].headers["host"] == "llm.corp.test"
