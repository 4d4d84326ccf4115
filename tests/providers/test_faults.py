"""Every fault, on both protocols: the kind, the sentence, the fix, and the text that arrived
before the fault still handed over. One table, run against real sockets."""

from __future__ import annotations

import email.utils
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from craft_tui.config.schema import Connection, Timeouts
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.types import Driver, TextDelta
from tests.providers.conftest import KEY, ask, connection_for
from tests.servers import FakeLLMServer

REPLY = "one two three four"


@dataclass(frozen=True)
class Fault:
    name: str
    switches: dict[str, Any]
    kind: ErrorKind
    sentence: str  # a phrase the message must contain
    hint: str  # a phrase the hint must contain
    partial: str = ""  # the text that must arrive before the error
    connection: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None


def _status(name: str, kind: ErrorKind, sentence: str, hint: str, **extra: Any) -> Fault:
    return Fault(name, {"error": name}, kind, sentence, hint, **extra)


COMMON: list[Fault] = [
    _status("openai_401", ErrorKind.AUTHENTICATION, "rejected the API key", "key"),
    _status(
        "openrouter_401",
        ErrorKind.AUTHENTICATION,
        "No auth credentials found",
        "keys start with sk-or-; check for spaces",
        connection={"preset": "openrouter"},
    ),
    _status(
        "anthropic_401",
        ErrorKind.AUTHENTICATION,
        "invalid x-api-key",
        "sk-ant-",
        connection={"preset": "anthropic"},
    ),
    _status("llamacpp_401_on_messages", ErrorKind.AUTHENTICATION, "Invalid API Key", "key"),
    _status(
        "openrouter_402",
        ErrorKind.BILLING,
        "requires more credits",
        "openrouter.ai/settings/credits",
        connection={"preset": "openrouter"},
    ),
    _status("anthropic_402", ErrorKind.BILLING, "credit balance is too low", "credits"),
    _status("openai_403", ErrorKind.ACCESS_DENIED, "does not have access", "permissions"),
    _status("anthropic_403", ErrorKind.ACCESS_DENIED, "permission", "another model"),
    _status("openai_404_model", ErrorKind.MODEL_NOT_FOUND, "does not exist", "model"),
    _status("anthropic_404_model", ErrorKind.MODEL_NOT_FOUND, "claude-9-opus", "model"),
    _status("ollama_404_model", ErrorKind.MODEL_NOT_FOUND, "not found", "ollama pull fake-small"),
    _status("openrouter_400_model", ErrorKind.MODEL_NOT_FOUND, "not a valid model ID", "model"),
    _status("vllm_400", ErrorKind.MODEL_NOT_FOUND, "does not exist", "model"),
    _status(
        "openrouter_data_policy",
        ErrorKind.DATA_POLICY,
        "data policy",
        "https://openrouter.ai/settings/privacy",
    ),
    _status("openai_429", ErrorKind.RATE_LIMITED, "Rate limit reached", "Wait 2 s", retry_after=2),
    _status("anthropic_429", ErrorKind.RATE_LIMITED, "rate limit", "Wait 17 s", retry_after=17),
    _status("openai_500", ErrorKind.OVERLOADED, "had an error", "Try again"),
    _status("openai_503", ErrorKind.OVERLOADED, "overloaded", "Try again"),
    _status("anthropic_529", ErrorKind.OVERLOADED, "Overloaded", "Try again"),
    _status("anthropic_500", ErrorKind.OVERLOADED, "Internal server error", "Try again"),
    _status("plain_500", ErrorKind.OVERLOADED, "Internal Server Error", "Try again"),
    _status("html_502", ErrorKind.HTML_RESPONSE, "502 Bad Gateway", "proxy"),
    _status("html_200_login", ErrorKind.HTML_RESPONSE, "web page", "base URL"),
    _status(
        "openai_400_context",
        ErrorKind.CONTEXT_EXCEEDED,
        "maximum context length",
        "new conversation",
    ),
    _status("llamacpp_400_context", ErrorKind.CONTEXT_EXCEEDED, "context", "larger context window"),
    _status(
        "anthropic_400_context",
        ErrorKind.CONTEXT_EXCEEDED,
        "prompt is too long",
        "new conversation",
    ),
    _status(
        "openai_400_invalid",
        ErrorKind.INVALID_REQUEST,
        "Invalid value for 'temperature'",
        "settings",
    ),
    _status(
        "anthropic_400_invalid", ErrorKind.INVALID_REQUEST, "max_tokens: Field required", "settings"
    ),
    _status("fastapi_detail", ErrorKind.INVALID_REQUEST, "missing field 'messages'", "settings"),
    Fault(
        "cut", {"cut_after": 2}, ErrorKind.STREAM_CUT, "closed in the middle", "kept", "one two "
    ),
    Fault(
        "malformed",
        {"malformed_after": 3},
        ErrorKind.MALFORMED,
        "not valid JSON",
        "kept",
        "one two three ",
    ),
    Fault(
        "stall",
        {"stall_after": 1, "stall_seconds": 30},
        ErrorKind.TIMEOUT,
        "stalled",
        "read timeout",
        "one ",
        connection={"timeouts": Timeouts(connect=5, read=0.5, write=5, pool=5)},
    ),
    Fault(
        "slow_first_token",
        {"first_token_delay": 30},
        ErrorKind.TIMEOUT,
        "stalled",
        "read timeout",
        "",
        connection={"timeouts": Timeouts(connect=5, read=0.5, write=5, pool=5)},
    ),
]
MIDSTREAM = {
    "openai": Fault(
        "midstream_error",
        {"midstream_error": "openrouter", "midstream_error_after": 2},
        ErrorKind.OVERLOADED,
        "upstream overloaded",
        "Try again",
        "one two ",
    ),
    "anthropic": Fault(
        "midstream_error",
        {"midstream_error": "anthropic_overloaded", "midstream_error_after": 3},
        ErrorKind.OVERLOADED,
        "Overloaded",
        "Try again",
        "one two three ",
    ),
}
CASES = [
    pytest.param(protocol, fault, id=f"{protocol}-{fault.name}")
    for protocol in ("openai", "anthropic")
    for fault in [*COMMON, MIDSTREAM[protocol]]
]


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
    driver = make_driver(connection_for(server, **fault.connection), KEY)
    text, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is fault.kind, error
    assert fault.sentence.lower() in error.message.lower()
    assert fault.hint.lower() in error.hint.lower()
    assert text == fault.partial
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


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_nothing_listening_says_connection_refused(protocol: str) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}" + ("/v1" if protocol == "openai" else "")
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


async def test_missing_v1_gets_a_suggested_base_url(fake_server: Any) -> None:
    server: FakeLLMServer = fake_server(prefix="/api")
    connection = connection_for(server, base_url=server.root_url + "/api")
    driver = make_driver(connection, KEY)
    _, error = await _run_until_error(driver)
    await driver.aclose()
    assert error.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert error.suggested_base_url == server.root_url + "/api/v1"
    assert server.root_url + "/api/chat/completions" in error.message
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


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_server_hanging_up_without_an_answer(fake_server: Any, protocol: str) -> None:
    server: FakeLLMServer = fake_server(protocol=protocol, hang_up=True)
    driver = make_driver(connection_for(server), KEY)
    text, error = await _run_until_error(driver)
    await driver.aclose()
    assert text == ""
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert "closed the connection without answering" in error.message
