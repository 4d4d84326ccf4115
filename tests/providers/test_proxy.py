"""A dead proxy is named, with the variable it came from — and only when requests really use it.

`environment_proxy` mirrors httpx's own choice of proxy (trust_env=True); the table below checks
the two agree, so an error never blames a proxy the client did not go through.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from craft_tui.config.schema import Connection
from craft_tui.providers.error_mapping import EnvProxy
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.http import environment_proxy
from craft_tui.providers.types import TextDelta
from tests.providers.conftest import KEY, ask, connection_for
from tests.servers import FakeLLMServer
from tests.servers.door import Door

_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")
P = "http://127.0.0.1:3128"
Q = "http://10.0.0.9:8080"

# (environment, url, the variable whose proxy is used, or None for a direct connection)
CHOICES: list[tuple[dict[str, str], str, str | None]] = [
    ({}, "https://api.example.com/v1", None),
    ({"HTTPS_PROXY": P}, "https://api.example.com/v1", "HTTPS_PROXY"),
    ({"https_proxy": P}, "https://api.example.com/v1", "https_proxy"),
    ({"HtTpS_PrOxY": P}, "https://api.example.com/v1", "HtTpS_PrOxY"),
    ({"HTTPS_PROXY": P}, "http://api.example.com/v1", None),  # only for https:// URLs
    ({"HTTP_PROXY": P}, "http://api.example.com/v1", "HTTP_PROXY"),
    ({"HTTP_PROXY": P}, "https://api.example.com/v1", None),
    ({"ALL_PROXY": P}, "https://api.example.com/v1", "ALL_PROXY"),
    ({"all_proxy": P}, "http://api.example.com/v1", "all_proxy"),
    ({"ALL_PROXY": Q, "HTTPS_PROXY": P}, "https://api.example.com", "HTTPS_PROXY"),
    ({"HTTPS_PROXY": Q, "https_proxy": P}, "https://api.example.com", "https_proxy"),
    ({"HTTPS_PROXY": Q, "https_proxy": ""}, "https://api.example.com", None),  # lowercase unsets
    ({"HTTPS_PROXY": P, "NO_PROXY": "*"}, "https://api.example.com", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https://api.example.com", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https://example.com", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https://notexample.com", "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P, "NO_PROXY": ".example.com"}, "https://example.com", "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P, "NO_PROXY": ".example.com"}, "https://api.example.com", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "other.org, example.com"}, "https://api.example.com", None),
    ({"HTTPS_PROXY": P, "no_proxy": "example.com"}, "https://api.example.com", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "127.0.0.1,localhost"}, "https://127.0.0.1:8443", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "127.0.0.1"}, "https://127.0.0.2:8443", "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P, "NO_PROXY": "localhost"}, "https://localhost:8443", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "::1"}, "https://[::1]:8443", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:8443"}, "https://example.com:8443", None),
    ({"HTTPS_PROXY": P, "NO_PROXY": "example.com:8443"}, "https://example.com", "HTTPS_PROXY"),
    ({"HTTPS_PROXY": P, "NO_PROXY": "https://example.com"}, "https://example.com", None),
    ({"HTTP_PROXY": P, "NO_PROXY": "https://example.com"}, "http://example.com", "HTTP_PROXY"),
    ({"HTTPS_PROXY": P, "NO_PROXY": ""}, "https://127.0.0.1:8443", "HTTPS_PROXY"),
    ({"HTTP_PROXY": P, "REQUEST_METHOD": "GET"}, "http://example.com", None),  # CGI rule
    ({"http_proxy": P, "REQUEST_METHOD": "GET"}, "http://example.com", "http_proxy"),
]


def _httpx_proxy(url: str) -> str | None:
    """The proxy URL httpx itself routes `url` through (None: straight to the server)."""
    client = httpx.Client(trust_env=True)
    try:
        transport: Any = client._transport_for_url(httpx.URL(url))
        if transport is client._transport:
            return None
        proxy_url = transport._pool._proxy_url
        return f"{proxy_url.scheme.decode()}://{proxy_url.host.decode()}:{proxy_url.port}"
    finally:
        client.close()


@pytest.mark.parametrize(("env", "url", "variable"), CHOICES)
def test_the_proxy_named_is_the_one_httpx_uses(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, variable: str | None
) -> None:
    for name in _PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    found = environment_proxy(url)
    assert (found.variable if found else None) == variable
    used = _httpx_proxy(url)
    if variable is None:
        assert used is None
    else:
        assert found is not None and used is not None
        assert used.endswith(found.address), (used, found)


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("http://alice:s3cret@proxy.corp:3128", "proxy.corp:3128"),
        ("proxy.corp:3128", "proxy.corp:3128"),
        ("http://proxy.corp", "proxy.corp:80"),
        ("https://bob:pw@proxy.corp", "proxy.corp:443"),
        ("socks5://[::1]:1080", "[::1]:1080"),
    ],
)
def test_the_proxy_address_never_carries_its_credentials(value: str, address: str) -> None:
    found = environment_proxy("https://api.example.com", {"HTTPS_PROXY": value})
    assert found == EnvProxy(variable="HTTPS_PROXY", address=address)
    assert "s3cret" not in repr(found) and "alice" not in repr(found)


async def _error_of(connection: Connection) -> ProviderError:
    driver = make_driver(connection, KEY)
    try:
        with pytest.raises(ProviderError) as caught:
            async for _ in driver.stream(ask()):
                pass
    finally:
        await driver.aclose()
    return caught.value


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
async def test_a_dead_proxy_is_blamed_not_the_server(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    with FakeLLMServer(tls=True) as server, Door(proxy=True) as dead:
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv(variable, f"http://me:hunter2@{dead.address}")
        assert server.cert_path is not None
        error = await _error_of(connection_for(server, ca_bundle=server.cert_path))
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert f"Cannot reach the proxy {dead.address} set in {variable}" in error.message
    assert "connection refused" in error.message
    assert f"unset {variable}" in error.hint and "add 127.0.0.1 to NO_PROXY" in error.hint
    assert "hunter2" not in str(error) and "me:" not in str(error)


async def test_a_proxy_that_does_not_answer_in_time_is_blamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeLLMServer() as server, Door(proxy=True) as jammed:
        jammed.jam()
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("http_proxy", f"http://{jammed.address}")
        timeouts = {"connect": 0.3, "read": 5, "write": 5, "pool": 5}
        error = await _error_of(connection_for(server, timeouts=timeouts))
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert f"proxy {jammed.address} set in http_proxy (no answer within 0.3 s)" in error.message


async def test_a_proxy_variable_for_the_other_scheme_is_not_blamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS_PROXY does not apply to an http:// server: the refusal is the server's own."""
    with Door(proxy=True) as dead, Door(upstream=("127.0.0.1", 9)) as closed:
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://{dead.address}")
        connection = Connection(
            slug="x", name="X", protocol="openai", base_url=f"http://{closed.address}/v1"
        )
        error = await _error_of(connection)
    assert f"Nothing is listening at {closed.address} (connection refused)" in error.message
    assert "proxy" not in error.message.lower()


async def test_no_proxy_exempts_the_server_and_it_is_reached_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeLLMServer(reply="Direct.") as server, Door(proxy=True) as dead:
        monkeypatch.setenv("HTTP_PROXY", f"http://{dead.address}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        driver = make_driver(connection_for(server), KEY)
        events = [event async for event in driver.stream(ask())]
        await driver.aclose()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Direct."
    assert dead.relayed == 0


def test_a_url_that_cannot_be_parsed_has_no_proxy_to_blame() -> None:
    assert environment_proxy("http://example.com:abc", {"HTTP_PROXY": P}) is None
    bad_proxy = environment_proxy("http://example.com", {"HTTP_PROXY": "http://proxy:abc"})
    assert bad_proxy == EnvProxy("HTTP_PROXY", "(unreadable address)")
