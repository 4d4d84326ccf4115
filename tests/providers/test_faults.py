"""Every fault, on all three protocols (OpenAI Chat Completions, Anthropic Messages, OpenAI
Responses): the kind, the sentence, the fix, and the text that arrived before the fault still
handed over. One table (defined in tests/faults.py, shared with the CLI and app fault matrices),
run against real sockets."""

from __future__ import annotations

import email.utils
import socket
import time
from typing import Any

import pytest

from craft_tui.config.schema import Connection
from craft_tui.config.urls import chat_url
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.types import Driver, TextDelta
from tests.faults import (
    DRIVER_FAULTS,
    DRIVER_PROTOCOLS,
    FAULTS,
    HEALTHY_REPLY,
    MIDSTREAM,
    REPLY,
    RESPONSES_STREAM_FAULTS,
    Fault,
    Protocol,
    check,
    connection_fields,
    scene,
)
from tests.providers.conftest import KEY, ask, connection_for
from tests.servers import FakeLLMServer


def _stream_faults(protocol: Protocol) -> list[Fault]:
    extra = RESPONSES_STREAM_FAULTS if protocol == "openai-responses" else []
    return [MIDSTREAM[protocol], *extra]


CASES = [
    pytest.param(protocol, fault, id=f"{protocol}-{fault.name}")
    for protocol in DRIVER_PROTOCOLS
    for fault in [*DRIVER_FAULTS, *_stream_faults(protocol)]
]


def _connection(server: FakeLLMServer, **fields: Any) -> Connection:
    """A connection to `server` at the base URL of the server's protocol (both OpenAI
    protocols share the /v1 base)."""
    fields.setdefault("base_url", server.base_url)
    return connection_for(server, **fields)


async def _run_until_error(driver: Driver) -> tuple[str, ProviderError]:
    text = ""
    with pytest.raises(ProviderError) as caught:
        async for event in driver.stream(ask()):
            if isinstance(event, TextDelta):
                text += event.text
    return text, caught.value


@pytest.mark.parametrize(("protocol", "fault"), CASES)
async def test_fault_is_reported_with_its_kind_sentence_fix_and_partial_text(
    fake_server: Any, protocol: str, fault: Fault
) -> None:
    server: FakeLLMServer = fake_server(protocol=protocol, reply=REPLY, **fault.switches)
    driver = make_driver(_connection(server, **fault.connection), KEY)
    text, error = await _run_until_error(driver)
    await driver.aclose()
    check(fault, error.kind, error.message, error.hint, text)
    assert error.message.endswith((".", ")")) and "\n" not in error.message
    if fault.retry_after is not None:
        assert error.retry_after == fault.retry_after
    assert KEY not in str(error) and KEY not in repr(error)


async def test_retry_after_as_http_date_becomes_seconds(fake_openai: FakeLLMServer) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    fake_openai.configure(error="retry_after_date", retry_after=when)
    driver = make_driver(connection_for(fake_openai), KEY)
    _, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is ErrorKind.RATE_LIMITED
    assert error.retry_after is not None and 60 < error.retry_after <= 121


@pytest.mark.parametrize("protocol", DRIVER_PROTOCOLS)
async def test_nothing_listening_says_connection_refused(protocol: str) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}" + ("" if protocol == "anthropic" else "/v1")
    connection = Connection(slug="x", name="X", protocol=protocol, base_url=base)  # type: ignore[arg-type]
    driver = make_driver(connection, KEY)
    _, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert "connection refused" in error.message
    assert f"127.0.0.1:{port}" in error.message
    assert "Start the server" in error.hint


async def test_https_to_a_plain_http_server_is_a_tls_error(fake_openai: FakeLLMServer) -> None:
    base = fake_openai.openai_base_url.replace("http://", "https://")
    driver = make_driver(Connection(slug="x", name="X", protocol="openai", base_url=base), KEY)
    _, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is ErrorKind.TLS
    assert "http://" in error.hint


@pytest.mark.parametrize("protocol", ["openai", "openai-responses"])
async def test_missing_v1_gets_a_suggested_base_url(fake_server: Any, protocol: str) -> None:
    server: FakeLLMServer = fake_server(protocol=protocol, prefix="/api")
    connection = connection_for(server, base_url=server.root_url + "/api")
    driver = make_driver(connection, KEY)
    _, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert error.suggested_base_url == server.root_url + "/api/v1"
    assert chat_url(protocol, server.root_url + "/api") in error.message
    fixed = make_driver(connection_for(server, base_url=error.suggested_base_url), KEY)
    assert [e async for e in fixed.stream(ask()) if isinstance(e, TextDelta)]
    await fixed.aclose()


async def test_doubled_v1_gets_a_suggested_base_url(fake_openai: FakeLLMServer) -> None:
    connection = connection_for(fake_openai, base_url=fake_openai.root_url + "/v1/v1")
    driver = make_driver(connection, KEY)
    _, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert error.suggested_base_url == fake_openai.root_url + "/v1"
    assert fake_openai.root_url + "/v1" in error.hint


@pytest.mark.parametrize("protocol", DRIVER_PROTOCOLS)
async def test_server_hanging_up_without_an_answer(fake_server: Any, protocol: str) -> None:
    server: FakeLLMServer = fake_server(protocol=protocol, hang_up=True)
    driver = make_driver(_connection(server), KEY)
    text, error = await _run_until_error(driver)
    await driver.aclose()
    assert text == ""
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert "closed the connection without answering" in error.message


SOCKET_FAULTS = [fault for fault in FAULTS.values() if fault.target != "server"]


@pytest.mark.parametrize("protocol", DRIVER_PROTOCOLS)
@pytest.mark.parametrize("fault", SOCKET_FAULTS, ids=lambda fault: fault.name)
async def test_socket_fault_is_reported_and_a_retry_works_once_healed(
    monkeypatch: pytest.MonkeyPatch, protocol: Protocol, fault: Fault
) -> None:
    """Faults before HTTP (refused, DNS, TLS, connect timeout, dead proxy) through the driver;
    the same Scene the CLI and app matrices use, healed again, answers."""
    with scene(protocol, fault) as built:
        for name, value in built.environment.items():
            monkeypatch.setenv(name, value)
        driver = make_driver(
            connection_for(built.server, **connection_fields(built.connection)), KEY
        )
        text, error = await _run_until_error(driver)
        await driver.aclose()
        check(fault, error.kind, error.message, error.hint, text)
        fixed = connection_fields({**built.connection, **built.heal()})
        healed = make_driver(connection_for(built.server, **fixed), KEY)
        events = [event async for event in healed.stream(ask())]
        await healed.aclose()
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == HEALTHY_REPLY
        if fault.target == "proxy_down":
            assert built.went_through_proxy()
